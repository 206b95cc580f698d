// The cross-runtime check: every runtime ran the same shared vectors and wrote its canonical outputs to
// target/vector-outputs/<runtime>.json; all four files must be byte-identical. On a difference it names the
// vectors whose outputs differ and the runtimes that disagree.
//
//   node tests/cross-runtime.mjs
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const RUNTIMES = Object.freeze(["rust", "node", "chromium", "workerd"]);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Compares the runtimes' output files in `dir`. Returns { ok, lines } where lines explain any difference. */
export function compareOutputs(dir = join(repoRoot, "target", "vector-outputs"), runtimes = RUNTIMES) {
  const lines = [];
  const texts = new Map();
  for (const runtime of runtimes) {
    const file = join(dir, `${runtime}.json`);
    if (existsSync(file)) texts.set(runtime, readFileSync(file, "utf8"));
    else lines.push(`${runtime}: ${file} is missing (did its test layer run?)`);
  }
  if (lines.length > 0) return { ok: false, lines };

  const [reference, ...others] = runtimes;
  if (others.every((r) => texts.get(r) === texts.get(reference))) {
    const count = Object.keys(JSON.parse(texts.get(reference))).length;
    if (count === 0) return { ok: false, lines: [`${reference}.json has no vectors; nothing was compared`] };
    return { ok: true, lines: [`${count} vectors: ${runtimes.join(", ")} outputs are byte-identical`] };
  }

  const parsed = new Map();
  for (const [runtime, text] of texts) {
    try {
      parsed.set(runtime, JSON.parse(text));
    } catch (err) {
      lines.push(`${runtime}.json is not JSON: ${err.message}`);
    }
  }
  if (lines.length > 0) return { ok: false, lines };
  const names = [...new Set([...parsed.values()].flatMap((o) => Object.keys(o)))].sort();
  for (const name of names) {
    const groups = new Map();
    for (const [runtime, outputs] of parsed) {
      const value = Object.hasOwn(outputs, name) ? outputs[name] : "<missing>";
      groups.set(value, [...(groups.get(value) ?? []), runtime]);
    }
    if (groups.size === 1) continue;
    lines.push(`${name} differs:`);
    for (const [value, group] of groups) lines.push(`  ${group.join(", ")}: ${value}`);
  }
  if (lines.length === 0) {
    lines.push(`the same outputs, but the files differ in bytes (key order or formatting): ${runtimes.join(", ")}`);
  }
  return { ok: false, lines };
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { ok, lines } = compareOutputs();
  for (const line of lines) (ok ? console.log : console.error)(line);
  process.exitCode = ok ? 0 : 1;
}
