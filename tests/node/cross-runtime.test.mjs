// tests/cross-runtime.mjs judges the four runtimes' vector outputs: Rust and Node hold every vector; Chromium and
// workerd (compiled playbooks only) hold every vector but those refused at compile time, each output identical.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { outputsFileText } from "../support/vectors.mjs";
import { compareOutputs } from "../cross-runtime.mjs";

const DECIDED = '{"stage":"lead"}';
const REFUSED = '{"code":"E_PLAYBOOK_INVALID","path":"signals","message":"invalid playbook","problems":[]}';
const BAD_EVENT = '{"code":"E_INPUT_INVALID","path":"events[0].at","message":"bad","problems":[]}';
const ALL = { "a/decided.json": DECIDED, "a/bad-event.json": BAD_EVENT, "errors/refused.json": REFUSED };
const { "errors/refused.json": _, ...COMPILABLE } = ALL;

/** A fresh directory, removed when the file's tests are done. */
const dirs = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "rekindle-cross-"));
  dirs.push(dir);
  return dir;
}

function judge(files) {
  const dir = scratch();
  for (const [runtime, outputs] of Object.entries(files)) writeFileSync(join(dir, `${runtime}.json`), outputsFileText(outputs));
  return compareOutputs(dir);
}

test("agreeing runtimes pass, the compiled-only ones without the vectors refused at compile time", () => {
  const { ok, lines } = judge({ rust: ALL, node: ALL, chromium: COMPILABLE, workerd: COMPILABLE });
  assert.ok(ok, lines.join("\n"));
  assert.match(lines[0], /3 vectors: rust, node outputs identical; chromium, workerd \(compiled playbooks\) identical on the 2 whose playbook compiles \(1 are refused at compile time\)/);
});

test("a missing vector, an extra one and a different output each fail, naming vector and runtime", () => {
  const missing = judge({ rust: ALL, node: ALL, chromium: { "a/decided.json": DECIDED }, workerd: COMPILABLE });
  assert.equal(missing.ok, false);
  assert.match(missing.lines.join("\n"), /chromium: 1 vector\(s\) missing, e\.g\. a\/bad-event\.json/);

  const extra = judge({ rust: ALL, node: ALL, chromium: COMPILABLE, workerd: ALL });
  assert.equal(extra.ok, false);
  assert.match(extra.lines.join("\n"), /workerd: 1 vector\(s\) it should not hold, e\.g\. errors\/refused\.json/);

  const nodeMissing = judge({ rust: ALL, node: COMPILABLE, chromium: COMPILABLE, workerd: COMPILABLE });
  assert.equal(nodeMissing.ok, false, "Node reads JSON playbooks: it must run every vector");

  const differs = judge({ rust: ALL, node: ALL, chromium: { ...COMPILABLE, "a/decided.json": '{"stage":"mql"}' }, workerd: COMPILABLE });
  assert.equal(differs.ok, false);
  assert.match(differs.lines.join("\n"), /a\/decided\.json differs:\n {2}rust, node, workerd: \{"stage":"lead"\}\n {2}chromium: \{"stage":"mql"\}/);
});

test("a missing file fails with the runtime named", () => {
  const dir = scratch();
  writeFileSync(join(dir, "rust.json"), outputsFileText(ALL));
  const { ok, lines } = compareOutputs(dir);
  assert.equal(ok, false);
  assert.match(lines.join("\n"), /node: .*node\.json is missing/);
});
