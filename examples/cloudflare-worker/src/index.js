// rekindle on Cloudflare Workers (D44): the engine runs in the isolate, next to the request.
//
//   POST /api/decide   { "events": [...], "now"?: epoch-ms }  → 200 decision JSON (docs/playbook.md)
//                                                             → 400 { code, path, message } for bad input
//   GET  /api/health                                          → 200 { status: "ok", version, engine }
//
// The playbook is bundled with the script and parsed once per isolate, on the first request that needs it (never at
// startup, which Workers cap at 1 s of CPU, and never per request). `rekindle` resolves to its `workerd` entry,
// which imports the .wasm as a pre-compiled module.
import { Engine, RekindleError, init, version } from "rekindle";
import playbook from "../../playbooks/saas.json";

const MAX_BODY_BYTES = 1024 * 1024;
const BODY_KEYS = new Set(["events", "now"]);
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** One engine per isolate, built lazily. Dropped if the wasm instance had to be replaced (E_INTERNAL/E_DISPOSED). */
let engine = null;

async function sharedEngine() {
  if (engine === null) {
    await init();
    engine = new Engine(playbook);
  }
  return engine;
}

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

async function decide(request) {
  const input = await readDecideBody(request);
  if (input instanceof Response) return input;
  try {
    const current = await sharedEngine();
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
  return json(200, { status: "ok", version: current, engine: engine === null ? "cold" : "warm" });
}

const ROUTES = {
  "/api/decide": { POST: decide },
  "/api/health": { GET: health },
};

// Workers' module format requires a default export with `fetch`; this is the one default export in the project.
export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    const route = ROUTES[pathname];
    if (!route) return json(404, { code: "NOT_FOUND", path: null, message: `no route ${pathname}` });
    const handler = route[request.method];
    if (!handler) {
      const allowed = Object.keys(route).join(", ");
      return json(405, { code: "METHOD_NOT_ALLOWED", path: null, message: `${pathname} accepts ${allowed}` },
        { allow: allowed });
    }
    return handler(request);
  },
};
