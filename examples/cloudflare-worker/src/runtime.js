// What the Worker keeps per isolate: the engine (the compiled playbook) and the signing keys, both built lazily on
// the first request that needs them — never at startup, which Workers cap at 1 s of CPU, and never per request.
//
// The playbook is compiled: rekindle's edge build reads only the bytes `rekindle-compile` writes (`new Engine(bytes)`,
// no JSON reader in the wasm, no checks repeated per isolate). wrangler's build step (wrangler.toml [build]) compiles
// playbook.json into playbook.rkp before every bundle, and the bundle carries the bytes. The optional KV namespace
// PLAYBOOKS (key "playbook") holds another compiled playbook, so a playbook changed in KV reaches each isolate when it
// next starts. A KV playbook the engine refuses — JSON (what this example stored before playbooks were compiled),
// bytes another rekindle version compiled, a damaged file — is logged and reported by /api/health with what to do,
// and the bundled one serves: a bad put never takes the site's CTAs down.
//
// The preference center's topics (topics.js) are the playbook's policy.topics, labels included, read from the engine
// (`engine.topics()`): the compiled bytes carry them, so a KV playbook brings its own.
//
// Both are handles into the wasm instance. If the instance had to be replaced (a trap: the facade re-instantiates
// it and every older handle throws E_DISPOSED), `recover` drops both together — dropping only the engine would
// leave keys that fail on every later request for the isolate's life.
import { Engine, Keys, RekindleError, init } from "rekindle";
// playbook.json compiled by the build (an ArrayBuffer: wrangler.toml's Data rule for *.rkp). playbook.json is a copy
// of examples/playbooks/saas.json, kept equal to it by tests/worker; replace it with your playbook.
import playbook from "../playbook.rkp";
import { topicSettings } from "./topics.js";

/** The KV key holding a compiled playbook in the optional PLAYBOOKS namespace. */
const PLAYBOOK_KEY = "playbook";
/** What to do about a KV playbook the engine refuses as bytes (a `bad_compiled` problem). */
const COMPILE_HINT = "compile playbook.json with this rekindle version and put the bytes: npm run kv:playbook " +
  "(rekindle-compile playbook.json playbook.rkp, then wrangler kv key put --path playbook.rkp)";

let engine = null;
/** The build in progress, shared by the requests that arrive before it ends. */
let building = null;
/** Where the engine's playbook came from, for /api/health: `{ source: "kv" | "bundle", error? }`. */
let playbookSource = null;
/** The preference center's topics of the engine's playbook (topics.js), set with the engine. */
let topics = null;

/** The isolate's engine, built on first use. */
export function sharedEngine(env) {
  if (engine !== null) return engine;
  building ??= buildEngine(env).finally(() => {
    building = null;
  });
  return building;
}

async function buildEngine(env) {
  await init();
  let stored = null;
  let error;
  if (env.PLAYBOOKS) {
    try {
      stored = await env.PLAYBOOKS.get(PLAYBOOK_KEY, "arrayBuffer");
    } catch (cause) {
      error = `reading KV PLAYBOOKS/${PLAYBOOK_KEY} failed: ${cause?.message ?? cause}`;
    }
  }
  if (stored !== null) {
    try {
      const built = new Engine(stored);
      topics = topicSettings(built.topics());
      playbookSource = { source: "kv", key: PLAYBOOK_KEY };
      engine = built;
      return engine;
    } catch (cause) {
      if (!(cause instanceof RekindleError)) throw cause;
      const hint = cause.details?.problems?.some((p) => p.code === "bad_compiled") ? `; ${COMPILE_HINT}` : "";
      error = `KV PLAYBOOKS/${PLAYBOOK_KEY}: ${cause.code} at ${cause.path || "(document)"}: ${cause.message}${hint}`;
    }
  }
  if (error !== undefined) console.error(`rekindle: ${error}; serving the bundled playbook`);
  const built = new Engine(playbook);
  topics = topicSettings(built.topics());
  engine = built;
  playbookSource = error === undefined ? { source: "bundle" } : { source: "bundle", error };
  return engine;
}

/** The topics of the engine's playbook (topics.js topicSettings); call after sharedEngine. */
export const engineTopics = () => topics;

/** The keys of env.REKINDLE_KEYS, parsed once per isolate (again only if the secret changes, or after recover). */
let keys = null;
/** The secret text `keys` or `keysProblem` was made from. */
let keysText = null;
/** Why the secret could not be used, without its text: `{ message }`, or null. */
let keysProblem = null;

/**
 * The isolate's keys: `{ keys }`, or `{ problem }` saying why there are none (not set, or not kid:hexkey lines).
 * A secret that does not parse is logged once per secret text, and the message never quotes it: a line that is
 * almost right is still key material.
 */
export async function sharedKeys(env) {
  const text = env.REKINDLE_KEYS;
  if (typeof text !== "string") {
    return { problem: "REKINDLE_KEYS is not set: cat keys.txt | npx wrangler secret put REKINDLE_KEYS (kid:hexkey lines)" };
  }
  if (text !== keysText) {
    await init();
    keys?.free();
    keys = null;
    keysProblem = null;
    keysText = text;
    try {
      keys = new Keys(text);
    } catch (error) {
      if (!(error instanceof RekindleError) || error.code !== "E_INPUT_INVALID") throw error;
      keysProblem = { message: describeKeysError(error, text) };
      console.error(`rekindle: ${keysProblem.message}; pages pass through unclassified, signed routes answer 503`);
    }
  }
  return keys !== null ? { keys } : { problem: keysProblem.message };
}

/**
 * The core's reason for refusing the secret, unless it quotes a run of 16 or more characters of it — which could be
 * key material; key ids are public (every cookie carries one) and shorter — and then only where the problem is.
 */
function describeKeysError(error, text) {
  const pieces = text.split(/[\s:]+/).filter((piece) => piece.length >= 16);
  const quotes = pieces.some((piece) => error.message.includes(piece));
  const where = error.path ? ` (${error.path})` : "";
  return quotes
    ? `REKINDLE_KEYS is not valid${where}: expected kid:hexkey lines, each key 64 hex digits`
    : `REKINDLE_KEYS is not valid: ${error.message}`;
}

/**
 * Called with any error from work on the engine or keys. If it says the wasm instance was replaced (E_INTERNAL,
 * E_DISPOSED), drops the engine and the keys together, so the next request builds both afresh; answers whether it
 * did.
 */
export function recover(error) {
  if (!(error instanceof RekindleError) || (error.code !== "E_INTERNAL" && error.code !== "E_DISPOSED")) return false;
  engine = null; // a handle into the replaced instance: never freed, only dropped
  keys = null;
  keysText = null;
  keysProblem = null;
  return true;
}

/** For /api/health: whether the engine is built, and where its playbook came from. */
export const engineHealth = () => ({ engine: engine === null ? "cold" : "warm", playbook: playbookSource });

/** For /api/health: site.js TOPICS disagreeing with the playbook's policy.topics, or null (known once built). */
export const topicsProblem = () => (engine === null ? null : topics?.problem ?? null);
