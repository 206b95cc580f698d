// rekindle on Cloudflare Workers (D44): the engine runs in the isolate, in front of the site.
//
//   every other GET     the origin's page (env.ORIGIN), classified from the signed state cookie (only with consent:
//                       consent.js) and this page view, with the chosen CTA streamed into <rekindle-cta> (edge.js);
//                       non-HTML passes through; a HEAD of a page gets the classified page's headers, nothing folded
//   GET/POST /preferences, GET/POST /unsubscribe   the preference center and RFC 8058 one-click unsubscribe for a
//                       signed token (preferences.js), recorded in the KV namespace PREFERENCES
//   GET/POST /keep      the break-up email's "keep me subscribed" for a signed keep token (keep.js): GET asks, POST
//                       records a `subscribe` of email in the same log
//   POST /api/decide    { "events": [...], "now"?: epoch-ms }  → 200 decision JSON (docs/playbook.md)
//                                                             → 400 { code, path, message } for bad input
//                       (every route that reads a body caps it at 1 MiB: 413, body.js)
//   GET  /api/events    the preference log of every contact as NDJSON for `rekindle plan --events` (export.js),
//                       for a bearer EXPORT_TOKEN; paged by X-Rekindle-Next
//   POST /api/events    facts from the ESP or the site (an unsubscribe, a complaint, a bounce, SMS consent) into
//                       the preference log, in the export's format, for a bearer IMPORT_TOKEN (ingest.js)
//   GET  /api/health    → 200 { status: "ok" | "degraded", problems?, version, engine, playbook, cookies, tokens,
//                       consent, export: "on" | "off", import: "on" | "off" }
//   HEAD of a route with GET  the GET's status and headers, no body (RFC 9110 §9.3.2); it never acts
//   POST to a form path of site.js FORMS   passes to the origin; when it accepts, the state cookie gains a
//                       `form_submit` (edge.js recordForm). Every other POST passes through untouched.
//
// Secrets and bindings (wrangler.toml): REKINDLE_KEYS (kid:hexkey lines; the last signs cookies), PREFERENCES (KV),
// ORIGIN (the site behind the Worker; absent = the request's own URL, as on a route in front of an origin; local
// dev sets it in .dev.vars), PLAYBOOKS (optional KV: the playbook JSON under the key "playbook" replaces the
// bundled one), CONSENT_COOKIE / CONSENT_REQUIRED (when the state cookie may be written: consent.js), EXPORT_TOKEN
// (optional secret, at least 32 characters: turns on GET /api/events), IMPORT_TOKEN (optional secret, at least 32
// characters and not EXPORT_TOKEN: turns on POST /api/events).
// The engine and the keys are built once per isolate, on first use, and rebuilt together after a wasm failure
// (runtime.js). Failures never reach the visitor as an uncaught exception: a page that cannot be classified is
// served as the origin sent it (fetched once), and the signed routes answer JSON 503s and 500s with a stable code.
// `rekindle` resolves to its `workerd` entry, which imports the .wasm as a pre-compiled module.
import { RekindleError, version } from "rekindle";
import { MAX_BODY_BYTES, readCapped, tooLarge } from "./body.js";
import { classify, fetchOrigin, headOfPage, isPage, recordForm } from "./edge.js";
import { consentConfig, consentStats, stateConsent } from "./consent.js";
import { cookieStats } from "./cookie.js";
import { exportEvents, exportProblem } from "./export.js";
import { importOn, importProblem, ingestEvents } from "./ingest.js";
import { keep } from "./keep.js";
import { StorageError } from "./log.js";
import { preferences, tokenStats, unsubscribe } from "./preferences.js";
import { engineHealth, engineTopics, recover, sharedEngine, sharedKeys, topicsProblem } from "./runtime.js";
import { FORMS } from "./site.js";

const BODY_KEYS = new Set(["events", "now"]);
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** The client's mistake: always a 4xx with `{ code, path, message }`, never a 500. */
function inputError(message, path = null, status = 400) {
  return json(status, { code: "E_INPUT_INVALID", path, message });
}

/**
 * Our failure, as JSON with a stable code. A replaced wasm instance (recovered: the next request rebuilds) and a
 * KV failure are 503s with Retry-After, since a retry succeeds; anything else is a 500 whose details stay in the log.
 */
function failure(error, where) {
  console.error(`rekindle: ${where} failed`, error);
  if (recover(error)) {
    return json(503, { code: error.code, path: null, message: `${where}: the engine was restarted; retry` }, { "retry-after": "1" });
  }
  if (error instanceof StorageError) {
    return json(503, { code: "E_STORAGE_UNAVAILABLE", path: null, message: `${where}: ${error.message}` }, { "retry-after": "1" });
  }
  return json(500, { code: error instanceof RekindleError ? error.code : "E_INTERNAL", path: null, message: `${where}: internal error` });
}

const isPlainObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads and validates `{ events, now? }`; returns either `{ events, now }` or a ready error Response. */
async function readDecideBody(request) {
  const text = await readCapped(request, MAX_BODY_BYTES);
  if (text === null) return inputError(tooLarge(MAX_BODY_BYTES), null, 413);
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return inputError(`body is not valid JSON: ${error.message}`);
  }
  if (!isPlainObject(body)) return inputError('body must be a JSON object: { "events": [...], "now"?: epoch-ms }');
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.has(key)) return inputError(`unknown field "${key}"; expected "events" and optionally "now"`, key);
  }
  if (!Array.isArray(body.events)) return inputError('"events" must be an array of events', "events");
  const now = body.now ?? Date.now();
  if (typeof now !== "number" || !Number.isSafeInteger(now)) {
    return inputError('"now" must be an instant in epoch milliseconds (an integer)', "now");
  }
  return { events: body.events, now };
}

async function decide(request, env) {
  const input = await readDecideBody(request);
  if (input instanceof Response) return input;
  try {
    const current = await sharedEngine(env);
    return json(200, current.evaluate(input.events, { now: input.now }));
  } catch (error) {
    if (error instanceof RekindleError && error.code === "E_INPUT_INVALID") {
      return inputError(error.message, error.path ?? null);
    }
    return failure(error, "POST /api/decide");
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Why env.ORIGIN cannot work here, or null: a loopback ORIGIN (the local-dev value, e.g. copied from .dev.vars)
 * answered at a host that is not loopback is a deployed Worker fetching its own machine — every page a 502.
 */
function originProblem(request, env) {
  if (!env.ORIGIN) return null;
  let origin;
  try {
    origin = new URL(env.ORIGIN);
  } catch {
    return `ORIGIN is not a URL: ${JSON.stringify(String(env.ORIGIN).slice(0, 40))}`;
  }
  if (!LOOPBACK.test(origin.hostname) || LOOPBACK.test(new URL(request.url).hostname)) return null;
  return `ORIGIN is ${origin.origin}, a loopback address, but this Worker answers at ${new URL(request.url).hostname}: ` +
    "pages cannot be fetched (502); delete ORIGIN on a route in front of your site, or set it to the site's URL";
}

/**
 * "degraded" (with the problems) when pages cannot be served or classified: the keys secret is missing or
 * unusable, or ORIGIN points at loopback from a deployed host; a consent var that does not parse is listed too (the
 * gate then stays closed: no state cookie), and so is site.js TOPICS disagreeing with the playbook's policy.topics
 * (once the engine is built: the playbook may come from KV).
 */
async function health(request, env) {
  const current = typeof version === "function" ? version() : version;
  const { problem } = await sharedKeys(env);
  const { problem: consentProblem, ...consent } = consentConfig(env);
  const problems = [problem, originProblem(request, env), consentProblem, exportProblem(env), importProblem(env), topicsProblem()]
    .filter((p) => p !== undefined && p !== null);
  const status = problems.length === 0 ? { status: "ok" } : { status: "degraded", problems };
  return json(200, { ...status, version: current, ...engineHealth(), cookies: cookieStats, tokens: tokenStats,
    consent: { ...consent, requests: consentStats },
    export: env.EXPORT_TOKEN !== undefined && exportProblem(env) === null ? "on" : "off", import: importOn(env) ? "on" : "off" });
}

/**
 * Runs `handler` with the engine, the keys and the request's instant. Keys that are missing or unusable are a 503
 * E_NOT_CONFIGURED naming the problem; any failure inside is a JSON error (failure), never an uncaught exception.
 */
function signed(handler) {
  return async (request, env) => {
    const where = `${request.method} ${new URL(request.url).pathname}`;
    try {
      const shared = await sharedKeys(env);
      if (shared.problem) return json(503, { code: "E_NOT_CONFIGURED", path: null, message: shared.problem });
      const engine = await sharedEngine(env);
      return await handler(request, env, { engine, keys: shared.keys, now: Date.now(), topics: engineTopics() });
    } catch (error) {
      return failure(error, where);
    }
  };
}

/** The export, with any failure as a JSON error (a KV failure is a 503 the sync retries), never an exception. */
async function events(request, env) {
  try {
    return await exportEvents(request, env);
  } catch (error) {
    return failure(error, "GET /api/events");
  }
}

/** The import, with any failure as a JSON error (a KV failure is a 503 the sender retries: ingest.js), never an exception. */
async function ingest(request, env) {
  try {
    return await ingestEvents(request, env, { engine: () => sharedEngine(env), now: Date.now() });
  } catch (error) {
    return failure(error, "POST /api/events");
  }
}

const ROUTES = {
  "/api/decide": { POST: decide },
  "/api/events": { GET: events, POST: ingest },
  "/api/health": { GET: health },
  "/keep": { GET: signed(keep), POST: signed(keep) },
  "/preferences": { GET: signed(preferences), POST: signed(preferences) },
  "/unsubscribe": { GET: signed(unsubscribe), POST: signed(unsubscribe) },
};

let warnedNoKeys = false;

/**
 * Every other path: the site. The origin is fetched once; an HTML page is classified (edge.js classify), a POST of
 * one of the site's forms is recorded (recordForm), anything else passes through. Without usable keys, or if the
 * engine fails, the response fetched is served as it is (a wasm failure also resets the engine and keys).
 */
async function site(request, env) {
  let response;
  try {
    response = await fetchOrigin(request, env);
  } catch (error) {
    console.error(`rekindle: the origin could not be reached${env.ORIGIN ? ` (ORIGIN ${env.ORIGIN})` : ""}`, error);
    return new Response("the site could not be reached; try again shortly\n", { status: 502,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "retry-after": "5" } });
  }
  const form = request.method === "POST" ? FORMS[new URL(request.url).pathname] : undefined;
  if (form === undefined && !isPage(request, response)) return response;
  try {
    const shared = await sharedKeys(env);
    if (shared.problem) {
      if (!warnedNoKeys) console.warn(`rekindle: ${shared.problem}; pages pass through unclassified`);
      warnedNoKeys = true;
      return response;
    }
    if (request.method === "HEAD") return headOfPage(response); // the GET's headers; a HEAD is no page view
    const context = { engine: await sharedEngine(env), keys: shared.keys, now: Date.now(), consent: stateConsent(request, env) };
    return form === undefined ? classify(request, response, context) : recordForm(request, response, form, context);
  } catch (error) {
    recover(error);
    console.error("rekindle: classification failed; serving the response as the origin sent it", error);
    return response;
  }
}

// Workers' module format requires a default export with `fetch`; this is the one default export in the project.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    const route = ROUTES[pathname];
    if (!route) {
      if (pathname.startsWith("/api/")) return json(404, { code: "NOT_FOUND", path: null, message: `no route ${pathname}` });
      return site(request, env);
    }
    // HEAD is GET without the body (RFC 9110 §9.3.2: link checkers and monitors send it): the GET handler answers a
    // GET made of it, so a HEAD can never take a POST's path, and only the headers leave.
    if (request.method === "HEAD" && route.GET) {
      const answer = await route.GET(new Request(request, { method: "GET" }), env);
      await answer.body?.cancel();
      return new Response(null, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
    }
    const handler = route[request.method];
    if (!handler) {
      const allowed = Object.keys(route).flatMap((method) => (method === "GET" ? ["GET", "HEAD"] : [method])).join(", ");
      return json(405, { code: "METHOD_NOT_ALLOWED", path: null, message: `${pathname} accepts ${allowed}` },
        { allow: allowed });
    }
    return handler(request, env);
  },
};
