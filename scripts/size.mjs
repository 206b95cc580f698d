// Prints raw / gzip (level 9) / brotli (quality 11) bytes of every shipped wasm and JS file (and, for JS, the
// size minified by esbuild) and checks them against scripts/size-budget.json.
// Exit 1 only when something is over budget; 2 when an artefact (or esbuild, for JS) is missing.
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

/** esbuild's transform, or null before `npm ci` has run. */
async function loadMinifier() {
  try {
    const { transform } = await import("esbuild");
    return async (code) => (await transform(code, { minify: true, format: "esm", target: "es2022" })).code.length;
  } catch {
    return null;
  }
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
export async function sizeReport(budgetFile = join(repoRoot, "scripts", "size-budget.json")) {
  const minify = await loadMinifier();
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
      const bytes = readFileSync(abs);
      const size = measure(bytes);
      if (file.endsWith(".js")) {
        if (minify === null) missing.push(`esbuild (to minify ${file}; run \`node scripts/bootstrap.mjs\`)`);
        else size.min = await minify(bytes.toString("utf8"));
      }
      const over = ["raw", "min", "gzip", "brotli"].filter((k) => budget[k] !== undefined && size[k] > budget[k]);
      rows.push({ file, ...size, budget, over });
    }
  }
  return { rows, over: rows.filter((r) => r.over.length > 0), missing };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function cell(size, limit) {
  if (size === undefined) return "";
  const text = `${size} (${kb(size)})`;
  return limit === undefined ? text : `${text} / ${kb(limit)}${size > limit ? " OVER" : ""}`;
}

/** Prints the table; returns the process exit code (0 ok, 1 over budget, 2 missing artefact). */
export async function printSizeReport(log = (line) => console.log(line)) {
  const { rows, over, missing } = await sizeReport();
  for (const r of rows) {
    const min = r.min === undefined ? "" : `  min ${cell(r.min, r.budget.min)}`;
    log(
      `${r.file.padEnd(36)} raw ${cell(r.raw, r.budget.raw)}${min}  gzip ${cell(r.gzip, r.budget.gzip)}  brotli ${cell(r.brotli, r.budget.brotli)}`,
    );
  }
  for (const file of missing) log(`${file}: missing (run \`npm run build\` first)`);
  for (const r of over) log(`over budget: ${r.file} (${r.over.join(", ")}); see scripts/size-budget.json`);
  if (over.length > 0) return 1;
  return missing.length > 0 ? 2 : 0;
}

if (isMain(import.meta.url)) {
  process.exitCode = await printSizeReport();
}
