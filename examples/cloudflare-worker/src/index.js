// rekindle on Cloudflare Workers (D44): the engine runs in the isolate, in front of the site.
//
//   every other GET     the origin's page (env.ORIGIN), classified from the signed state cookie and this page view,
//                       with the chosen CTA streamed into <rekindle-cta> (edge.js); non-HTML passes through
//   GET/POST /preferences, GET/POST /unsubscribe   the preference center and RFC 8058 one-click unsubscribe for a
//                       signed token (preferences.js), recorded in the KV namespace PREFERENCES
//   POST /api/decide    { "events": [...], "now"?: epoch-ms }  → 200 decision JSON (docs/playbook.md)
//                                                             → 400 { code, path, message } for bad input
//   GET  /api/health    → 200 { status: "ok", version, engine, playbook, cookies, tokens }
//
// Secrets and bindings (wrangler.toml): REKINDLE_KEYS (kid:hexkey lines; the last signs cookies), PREFERENCES (KV),
// ORIGIN (the site behind the Worker; absent = the request's own URL, as on a route in front of an origin),
// PLAYBOOKS (optional KV: the playbook JSON under the key "playbook" replaces the bundled one).
// The playbook is bundled with the script, or read from KV; the engine and the keys are built once per isolate, on
// the first request that needs them (never at startup, which Workers cap at 1 s of CPU, and never per request), so
// a playbook changed in KV reaches each isolate when it next starts. A KV playbook that does not compile is logged
// and reported by /api/health, and the bundled one serves: a typo in KV never takes the site's CTAs down.
// `rekindle` resolves to its `workerd` entry, which imports the .wasm as a pre-compiled module.
import { Engine, Keys, RekindleError, init, version } from "rekindle";
import playbook from "../../playbooks/saas.json";
import { classifyAndInject, cookieStats, fetchOrigin } from "./edge.js";
import { preferences, tokenStats, unsubscribe } from "./preferences.js";

const MAX_BODY_BYTES = 1024 * 1024;
const BODY_KEYS = new Set(["events", "now"]);
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** The KV key holding the playbook JSON in the optional PLAYBOOKS namespace. */
const PLAYBOOK_KEY = "playbook";

/** One engine per isolate, built lazily. Dropped if the wasm instance had to be replaced (E_INTERNAL/E_DISPOSED). */
let engine = null;
/** The build in progress, shared by the requests that arrive before it ends. */
let building = null;
/** Where the engine's playbook came from, for /api/health: `{ source: "kv" | "bundle", error? }`. */
let playbookSource = null;

function sharedEngine(env) {
  if (engine !== null) return engine;
  building ??= buildEngine(env).finally(() => {
    building = null;
  });
  return building;
}

async function buildEngine(env) {
  await init();
  let text = null;
  let error;
  if (env.PLAYBOOKS) {
    try {
      text = await env.PLAYBOOKS.get(PLAYBOOK_KEY);
    } catch (cause) {
      error = `reading KV PLAYBOOKS/${PLAYBOOK_KEY} failed: ${cause?.message ?? cause}`;
    }
  }
  if (text !== null) {
    try {
      engine = new Engine(text);
      playbookSource = { source: "kv", key: PLAYBOOK_KEY };
      return engine;
    } catch (cause) {
      if (!(cause instanceof RekindleError)) throw cause;
      error = `KV PLAYBOOKS/${PLAYBOOK_KEY}: ${cause.code} at ${cause.path || "(document)"}: ${cause.message}`;
    }
  }
  if (error !== undefined) console.error(`rekindle: ${error}; serving the bundled playbook`);
  engine = new Engine(playbook);
  playbookSource = error === undefined ? { source: "bundle" } : { source: "bundle", error };
  return engine;
}

/** The keys of env.REKINDLE_KEYS, parsed once per isolate (again only if the secret changes). */
let keys = null;
let keysText = null;

function sharedKeys(env) {
  if (typeof env.REKINDLE_KEYS !== "string") return null;
  if (keys === null || keysText !== env.REKINDLE_KEYS) {
    keys = new Keys(env.REKINDLE_KEYS);
    keysText = env.REKINDLE_KEYS;
  }
  return keys;
}

let warnedNoKeys = false;

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** The client's mistake: always a 4xx with `{ code, path, message }`, never a 500. */
function inputError(message, path = null, status = 400) {
  return json(status, { code: "E_INPUT_INVALID", path, message });
}

function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads and validates `{ events, now? }`; returns either `{ events, now }` or a ready error Response. */
async function readDecideBody(request) {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) return inputError(`body is over ${MAX_BODY_BYTES} bytes`, null, 413);
  const text = await request.text();
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    return inputError(`body is over ${MAX_BODY_BYTES} bytes`, null, 413);
  }
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
    if (error instanceof RekindleError && (error.code === "E_INTERNAL" || error.code === "E_DISPOSED")) {
      engine = null; // the facade replaced the wasm instance: build a fresh engine on the next request
    }
    console.error("rekindle: decide failed", error);
    return json(500, { code: error?.code ?? "E_INTERNAL", path: null, message: "internal error" });
  }
}

function health() {
  const current = typeof version === "function" ? version() : version;
  return json(200, { status: "ok", version: current, engine: engine === null ? "cold" : "warm", playbook: playbookSource,
    cookies: cookieStats, tokens: tokenStats });
}

/** Runs `handler` with the engine, the keys and the request's instant; a missing secret is a 503, not a crash. */
function signed(handler) {
  return async (request, env) => {
    const shared = sharedKeys(env);
    if (shared === null) return json(503, { code: "E_NOT_CONFIGURED", path: null, message: "REKINDLE_KEYS is not set" });
    return handler(request, env, { engine: await sharedEngine(env), keys: shared, now: Date.now() });
  };
}

const ROUTES = {
  "/api/decide": { POST: decide },
  "/api/health": { GET: health },
  "/preferences": { GET: signed(preferences), POST: signed(preferences) },
  "/unsubscribe": { GET: signed(unsubscribe), POST: signed(unsubscribe) },
};

/** Every other path: the site, classified. Without keys, or if anything fails, the page passes through untouched. */
async function site(request, env) {
  const shared = sharedKeys(env);
  if (shared === null) {
    if (!warnedNoKeys) console.warn("rekindle: REKINDLE_KEYS is not set; pages pass through unclassified");
    warnedNoKeys = true;
    return fetchOrigin(request, env);
  }
  try {
    return await classifyAndInject(request, env, { engine: await sharedEngine(env), keys: shared, now: Date.now() });
  } catch (error) {
    if (error instanceof RekindleError && (error.code === "E_INTERNAL" || error.code === "E_DISPOSED")) engine = null;
    console.error("rekindle: classification failed; serving the page as it is", error);
    return fetchOrigin(request, env);
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
    const handler = route[request.method];
    if (!handler) {
      const allowed = Object.keys(route).join(", ");
      return json(405, { code: "METHOD_NOT_ALLOWED", path: null, message: `${pathname} accepts ${allowed}` },
        { allow: allowed });
    }
    return handler(request, env);
  },
};
