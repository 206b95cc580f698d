// The cross-runtime check: every runtime ran the same shared vectors and wrote its canonical outputs to
// target/vector-outputs/<runtime>.json. Rust and Node (which read JSON playbooks) must be byte-identical. Chromium
// and workerd read compiled playbooks only (docs/playbook.md, "Compiled playbooks"), so a vector whose playbook
// does not compile — answered at compile time, E_PLAYBOOK_INVALID — is not theirs to run: each of their files must
// hold exactly the other vectors, each output identical to Rust's. On a difference it names the vectors whose
// outputs differ and the runtimes that disagree.
//
//   node tests/cross-runtime.mjs
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const RUNTIMES = Object.freeze(["rust", "node", "chromium", "workerd"]);
/** The runtimes whose builds read compiled playbooks only. */
export const COMPILED_ONLY = Object.freeze(["chromium", "workerd"]);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Whether a canonical output is the refusal of its playbook (answered when the playbook is compiled). */
function playbookRefused(canonical) {
  try {
    return JSON.parse(canonical)?.code === "E_PLAYBOOK_INVALID";
  } catch {
    return false;
  }
}

/** Compares the runtimes' output files in `dir`. Returns { ok, lines } where lines explain any difference. */
export function compareOutputs(dir = join(repoRoot, "target", "vector-outputs"), runtimes = RUNTIMES) {
  const lines = [];
  const parsed = new Map();
  for (const runtime of runtimes) {
    const file = join(dir, `${runtime}.json`);
    if (!existsSync(file)) {
      lines.push(`${runtime}: ${file} is missing (did its test layer run?)`);
      continue;
    }
    try {
      parsed.set(runtime, JSON.parse(readFileSync(file, "utf8")));
    } catch (err) {
      lines.push(`${runtime}.json is not JSON: ${err.message}`);
    }
  }
  if (lines.length > 0) return { ok: false, lines };

  const [reference] = runtimes;
  const all = parsed.get(reference);
  if (Object.keys(all).length === 0) return { ok: false, lines: [`${reference}.json has no vectors; nothing was compared`] };
  const atCompile = new Set(Object.keys(all).filter((name) => playbookRefused(all[name])));
  // What each runtime must hold: every vector, or for a compiled-only runtime every vector but those.
  const expected = (runtime) => Object.keys(all).filter((name) => !(COMPILED_ONLY.includes(runtime) && atCompile.has(name)));
  for (const [runtime, outputs] of parsed) {
    const want = new Set(expected(runtime));
    const missing = [...want].filter((name) => !Object.hasOwn(outputs, name));
    const extra = Object.keys(outputs).filter((name) => !want.has(name));
    if (missing.length > 0) lines.push(`${runtime}: ${missing.length} vector(s) missing, e.g. ${missing.slice(0, 3).join(", ")}`);
    if (extra.length > 0) lines.push(`${runtime}: ${extra.length} vector(s) it should not hold, e.g. ${extra.slice(0, 3).join(", ")}`);
  }
  for (const name of Object.keys(all).sort()) {
    const groups = new Map();
    for (const [runtime, outputs] of parsed) {
      if (!Object.hasOwn(outputs, name)) continue;
      groups.set(outputs[name], [...(groups.get(outputs[name]) ?? []), runtime]);
    }
    if (groups.size <= 1) continue;
    lines.push(`${name} differs:`);
    for (const [value, group] of groups) lines.push(`  ${group.join(", ")}: ${value}`);
  }
  if (lines.length > 0) return { ok: false, lines };
  const compiledOnly = runtimes.filter((r) => COMPILED_ONLY.includes(r));
  const full = runtimes.filter((r) => !COMPILED_ONLY.includes(r));
  return {
    ok: true,
    lines: [
      `${Object.keys(all).length} vectors: ${full.join(", ")} outputs identical` +
        (compiledOnly.length > 0
          ? `; ${compiledOnly.join(", ")} (compiled playbooks) identical on the ${Object.keys(all).length - atCompile.size} ` +
            `whose playbook compiles (${atCompile.size} are refused at compile time)`
          : ""),
    ],
  };
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { ok, lines } = compareOutputs();
  for (const line of lines) (ok ? console.log : console.error)(line);
  process.exitCode = ok ? 0 : 1;
}
