// Compiled playbooks for the demo server (scripts/serve.mjs): `npm start`, the browser tests and bench:browser.
// The browser and edge builds read only compiled playbooks (docs/playbook.md "Compiled playbooks"), so a request
// for `<dir>/<name>.rkp` whose `<dir>/<name>.json` exists is answered with that JSON compiled on the fly by
// compilePlaybook() (the package's Node entry): /examples/playbooks/saas.rkp is saas.json as it is now, never bytes
// that went stale when the JSON changed, and nothing compiled is committed. A JSON playbook that does not compile
// is answered 422 with the error as JSON, `{ code, message, problems }` (every problem with its path), which the
// demo page lists, as a bundler's dev server shows a compile error.
// Node built-ins only at import: npm start imports the server before bootstrap has run; the package is imported
// on the first compile.
import { readFile } from "node:fs/promises";

/** The file name ending of a compiled playbook (`rekindle compile --out saas.rkp`). */
export const COMPILED_EXTENSION = ".rkp";

/** The JSON playbook a compiled file is made from: `saas.rkp` → `saas.json`, or null for another file. */
export function jsonSource(file) {
  return file.endsWith(COMPILED_EXTENSION) ? `${file.slice(0, -COMPILED_EXTENSION.length)}.json` : null;
}

/**
 * The answer for a playbook's JSON text (or object): `{ status, headers, body }`, 200 with the compiled bytes, or
 * 422 with the playbook's problems as JSON when it does not compile. Anything but E_PLAYBOOK_INVALID is thrown.
 */
export async function compiledResponse(playbook) {
  const { compilePlaybook } = await import("rekindle");
  try {
    const bytes = compilePlaybook(playbook);
    return { status: 200, headers: { "content-type": "application/octet-stream" }, body: Buffer.from(bytes) };
  } catch (err) {
    if (err?.code !== "E_PLAYBOOK_INVALID") throw err;
    const body = { code: err.code, message: err.message, path: err.path ?? "", problems: err.details?.problems ?? [] };
    const headers = { "content-type": "application/json; charset=utf-8" };
    return { status: 422, headers, body: `${JSON.stringify(body)}\n` };
  }
}

/**
 * For a file path under the server's root: the answer compiled from the JSON beside it (`compiledResponse`), or
 * null when the path is not a `.rkp` or no such JSON exists (the server then serves the path as a file, or 404).
 */
export async function compiledFromSource(file) {
  const source = jsonSource(file);
  if (source === null) return null;
  let text;
  try {
    text = await readFile(source, "utf8");
  } catch (err) {
    if (err.code === "ENOENT" || err.code === "ENOTDIR" || err.code === "EISDIR") return null;
    throw err;
  }
  return compiledResponse(text);
}
