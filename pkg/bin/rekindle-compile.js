#!/usr/bin/env node
// `npx rekindle-compile playbook.json playbook.rkp`: checks a JSON playbook and writes its compiled bytes, the form
// the browser and edge builds read (`new Engine(bytes)`; docs/playbook.md, "Compiled playbooks"). The same bytes as
// the Rust CLI's `rekindle compile` (which also reads YAML). Exit 0 written, 2 usage, 3 an invalid playbook (every
// problem listed with its path), 1 a file that cannot be read or written. The output is written whole or not at
// all (a temporary file renamed over it).
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { RekindleError, compilePlaybook } from "../node.js";

const USAGE = "usage: rekindle-compile <playbook.json> <out.rkp>   (- as the output writes to stdout)";

function main(args) {
  if (args.includes("-h") || args.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  if (args.length !== 2) {
    console.error(USAGE);
    return 2;
  }
  const [input, output] = args;
  let text;
  try {
    text = readFileSync(input, "utf8").replace(/^\uFEFF/, "");
  } catch (err) {
    console.error(`rekindle-compile: ${input}: ${err.message}`);
    return 1;
  }
  let bytes;
  try {
    bytes = compilePlaybook(text);
  } catch (err) {
    if (!(err instanceof RekindleError)) throw err;
    const problems = err.details?.problems ?? [];
    if (problems.length === 0) console.error(`rekindle-compile: ${input}: ${err.message}`);
    else console.error(`rekindle-compile: ${input}: invalid playbook, ${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
    for (const p of problems) console.error(`  ${p.path || "(document)"}: ${p.message} [${p.code}]`);
    return 3;
  }
  if (output === "-") {
    process.stdout.write(bytes);
    return 0;
  }
  const temporary = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, output);
  } catch (err) {
    rmSync(temporary, { force: true });
    console.error(`rekindle-compile: ${output}: ${err.message}`);
    return 1;
  }
  console.error(`rekindle-compile: ${input} → ${output} (${bytes.length} bytes)`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
