// GET /api/events: the preference log of every contact as NDJSON, one rekindle event per line in the format
// `rekindle plan --events FILE` reads — `{"contact","id","at","kind","props"}`, `at` in epoch ms — so the opt-outs
// and choices taken at the edge reach the batch plan and, through it, the ESP (D5, D27). Without this export they
// would stay in KV and the next plan would mail the person again.
//
//   GET /api/events[?since=<epoch ms>][&cursor=<from X-Rekindle-Next>]
//   Authorization: Bearer <EXPORT_TOKEN>       (a Worker secret of at least 32 characters)
//   → 200 application/x-ndjson; X-Rekindle-Next: the URL of the next page (absent on the last page);
//     X-Rekindle-Unnamed: events left out because their contact cannot be told (also logged; normally 0)
//   → 401 wrong or missing token (WWW-Authenticate: Bearer), 503 E_NOT_CONFIGURED when EXPORT_TOKEN is not set
//     or too short, 400 a bad `since` / `cursor` / another parameter, 503 E_STORAGE_UNAVAILABLE on a KV failure
//
// Each request makes one KV list call (at most 1000 keys), so a page is bounded whatever the namespace holds; the
// client follows X-Rekindle-Next to the end. KV lists keys in key order (contact, then time), not by time, so
// `since` filters each page rather than skipping to it: every page is still walked. KV is eventually consistent
// (a write can take up to 60 s to be listed elsewhere), so a sync that passes `since` should overlap the previous
// run by a few minutes; events carry ids, and `rekindle plan` folds an event with an id once however often the
// files repeat it. Compaction (log.js) deletes only events a later kept event makes irrelevant, so a full export
// (no `since`) always folds to every contact's current choices.
import { bearerMatches, secretProblem } from "./bearer.js";
import { exportPage } from "./log.js";

const MAX_CURSOR_LENGTH = 1024;
const PARAMS = new Set(["since", "cursor"]);
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
const refuse = (status, code, path, message, headers) => json(status, { code, path, message }, headers);

/** Why EXPORT_TOKEN cannot be used, or null (for /api/health and the route). */
export const exportProblem = (env) => secretProblem(env, "EXPORT_TOKEN", "the export (GET /api/events)");

/** The request's `since` and `cursor`, or a ready 400 naming the parameter. */
function readParams(url) {
  for (const name of url.searchParams.keys()) {
    if (!PARAMS.has(name)) return { response: refuse(400, "E_INPUT_INVALID", name, `unknown parameter; expected since, cursor`) };
  }
  const sinceText = url.searchParams.get("since");
  let since = 0;
  if (sinceText !== null) {
    since = /^\d{1,16}$/.test(sinceText) ? Number(sinceText) : NaN;
    if (!Number.isSafeInteger(since)) {
      return { response: refuse(400, "E_INPUT_INVALID", "since", "expected an instant in epoch milliseconds (digits only)") };
    }
  }
  const cursor = url.searchParams.get("cursor");
  if (cursor !== null && (cursor === "" || cursor.length > MAX_CURSOR_LENGTH)) {
    return { response: refuse(400, "E_INPUT_INVALID", "cursor", "expected the cursor of X-Rekindle-Next") };
  }
  return { since, cursor: cursor ?? undefined };
}

export async function exportEvents(request, env) {
  const problem = exportProblem(env);
  if (env.EXPORT_TOKEN === undefined || problem !== null) {
    return refuse(503, "E_NOT_CONFIGURED", null, problem ??
      "the export is off: set the secret EXPORT_TOKEN (openssl rand -hex 32 | npx wrangler secret put EXPORT_TOKEN)");
  }
  if (!(await bearerMatches(request, env.EXPORT_TOKEN))) {
    return refuse(401, "E_UNAUTHORIZED", null, "expected Authorization: Bearer <EXPORT_TOKEN>",
      { "www-authenticate": 'Bearer realm="rekindle export"' });
  }
  const url = new URL(request.url);
  const params = readParams(url);
  if (params.response) return params.response;
  const page = await exportPage(env.PREFERENCES, params);
  const headers = { "content-type": "application/x-ndjson; charset=utf-8", "cache-control": "no-store",
    "x-rekindle-unnamed": String(page.unnamed) };
  if (page.cursor !== null) {
    const next = new URL(url.pathname, url);
    if (url.searchParams.has("since")) next.searchParams.set("since", String(params.since));
    next.searchParams.set("cursor", page.cursor);
    headers["x-rekindle-next"] = `${next.pathname}${next.search}`;
  }
  if (page.unnamed > 0) {
    console.warn(`rekindle: GET /api/events left out ${page.unnamed} events whose contact cannot be told (hashed keys ` +
      "written before their metadata named the contact)");
  }
  return new Response(page.events.map((event) => `${JSON.stringify(event)}\n`).join(""), { status: 200, headers });
}
