// Prints raw / gzip (level 9) / brotli (quality 11) bytes of every shipped wasm and JS file and checks them
// against scripts/size-budget.json. Exit 1 only when something is over budget; 2 when an artefact is missing.
//
//   node scripts/size.mjs        (after `npm run build`)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { isMain, repoRoot } from "./util.mjs";

/** Expands a budget path; only a trailing "dir/*.ext" wildcard is supported. */
function expand(pattern) {
  const star = pattern.match(/^(.*)\/\*(\.[a-z]+)$/);
  if (!star) return [pattern];
  const dir = join(repoRoot, star[1]);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(star[2]))
    .sort()
    .map((name) => `${star[1]}/${name}`);
}

/** Measures one file: { raw, gzip, brotli } in bytes. */
export function measure(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

/** Returns { rows, over, missing } for every budgeted file. */
export function sizeReport(budgetFile = join(repoRoot, "scripts", "size-budget.json")) {
  const { budgets } = JSON.parse(readFileSync(budgetFile, "utf8"));
  const rows = [];
  const missing = [];
  for (const budget of budgets) {
    const files = expand(budget.path);
    if (files.length === 0) missing.push(budget.path);
    for (const file of files) {
      const abs = join(repoRoot, file);
      if (!existsSync(abs)) {
        missing.push(file);
        continue;
      }
      const size = measure(readFileSync(abs));
      const over = ["raw", "gzip", "brotli"].filter((k) => budget[k] !== undefined && size[k] > budget[k]);
      rows.push({ file, ...size, budget, over });
    }
  }
  return { rows, over: rows.filter((r) => r.over.length > 0), missing };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function cell(size, limit) {
  const text = `${size} (${kb(size)})`;
  return limit === undefined ? text : `${text} / ${kb(limit)}${size > limit ? " OVER" : ""}`;
}

/** Prints the table; returns the process exit code (0 ok, 1 over budget, 2 missing artefact). */
export function printSizeReport(log = (line) => console.log(line)) {
  const { rows, over, missing } = sizeReport();
  for (const r of rows) {
    log(
      `${r.file.padEnd(38)} raw ${cell(r.raw, r.budget.raw)}  gzip ${cell(r.gzip, r.budget.gzip)}  brotli ${cell(r.brotli, r.budget.brotli)}`,
    );
  }
  for (const file of missing) log(`${file}: missing (run \`npm run build\` first)`);
  for (const r of over) log(`over budget: ${r.file} (${r.over.join(", ")}); see scripts/size-budget.json`);
  if (over.length > 0) return 1;
  return missing.length > 0 ? 2 : 0;
}

if (isMain(import.meta.url)) {
  process.exitCode = printSizeReport();
}
