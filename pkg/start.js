// startTracker(): the few lines a site pastes. Loads the wasm and the playbook, starts the tracker and defines
// <rekindle-cta>. It never throws and never breaks the page: if anything fails (a CSP without
// 'wasm-unsafe-eval', an old browser, a blocked file, a playbook that is not compiled) it logs one warning, leaves
// every <rekindle-cta> showing its fallback markup, and resolves to null.
import { CtaElement } from "./cta-element.js";
import { PreferencesElement } from "./preferences-element.js";
import { Engine, init, objectArg } from "./facade.js";
import { startedTracker, Tracker } from "./tracker.js";

// startTracker() calls still loading, by storage key: a second call made meanwhile waits for the first's tracker.
const loading = new Map();
const warnedTwice = new Set(); // keys already warned about: one warning, however many more calls

/**
 * Registers <rekindle-cta> bound to `tracker` (null: fallback mode) and <rekindle-preferences> (which needs no
 * wasm: its endpoint verifies the token). Safe to call more than once.
 */
export function defineElements(options) {
  const { tracker = null } = objectArg(options, "options", "{ tracker }", { optional: true });
  CtaElement.tracker = tracker;
  const registry = globalThis.customElements;
  if (!registry) return;
  if (!registry.get("rekindle-cta")) registry.define("rekindle-cta", CtaElement);
  if (!registry.get("rekindle-preferences")) registry.define("rekindle-preferences", PreferencesElement);
}

/**
 * The Engine for `playbook`: the bytes of a compiled playbook (`rekindle compile`, `compilePlaybook` in Node), or the
 * URL of a compiled file, fetched as bytes. This build reads no JSON: a JSON file or object is refused with the
 * engine's E_PLAYBOOK_INVALID saying to compile it, which becomes the one warning, with the URL it came from.
 */
async function loadEngine(playbook) {
  if (typeof playbook !== "string" && !(playbook instanceof URL)) {
    if (playbook instanceof ArrayBuffer || ArrayBuffer.isView(playbook)) return new Engine(playbook);
    try {
      return new Engine(playbook);
    } catch (err) {
      if (err?.code !== "E_PLAYBOOK_INVALID") throw err;
      throw new Error(`options.playbook: ${err.message} (as a Uint8Array or ArrayBuffer), or its URL: ` +
        "startTracker({ playbook: \"/playbook.rkp\" })", { cause: err });
    }
  }
  const response = await fetch(playbook);
  if (!response.ok) throw new Error(`playbook ${playbook}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  try {
    return new Engine(bytes);
  } catch (err) {
    throw new Error(`playbook ${playbook}: ${err?.message ?? err}`, { cause: err });
  }
}

/**
 * `await startTracker({ playbook: "/playbook.rkp", consent: { analytics: true } })` → the started Tracker, or
 * null after one console warning. Options: `playbook` (the URL of a compiled playbook, or its bytes: a Uint8Array
 * or ArrayBuffer), `wasm` (where the .wasm is served, if not next to browser.js), and every Tracker option (`key`,
 * `consent`, `onDecision`, `onSignal`, `sessionGap`).
 * Called again for the same `key` while a tracker runs (or loads), it resolves to that tracker, with one warning.
 */
export function startTracker(input) {
  let key = "rekindle";
  try {
    if (typeof input?.key === "string" && input.key !== "") key = input.key;
  } catch {
    // A throwing getter: launch() reports it, with the rest of the options.
  }
  const running = startedTracker(key) ?? loading.get(key);
  if (running !== undefined) {
    // The snippet included twice (the site's template and a tag manager): one tracker, or every event counts twice.
    if (!warnedTwice.has(key)) {
      warnedTwice.add(key);
      globalThis.console?.warn?.(`rekindle: startTracker() called again for key "${key}": returning the tracker already ` +
        "started (its options stay; tracker.consent() changes consent, tracker.stop() lets a new one start)");
    }
    return Promise.resolve(running);
  }
  const started = launch(input).finally(() => loading.delete(key));
  loading.set(key, started);
  return started;
}

async function launch(input) {
  try {
    // Read inside the try: a missing or wrong argument is one more failure that must not break the page.
    const { playbook, wasm, ...options } = objectArg(input, "options", "{ playbook, consent }", { optional: true });
    await init(wasm === undefined ? {} : { url: wasm });
    const engine = await loadEngine(playbook);
    const tracker = new Tracker(engine, options);
    tracker.start();
    defineElements({ tracker });
    return tracker;
  } catch (err) {
    globalThis.console?.warn?.(`rekindle: not started, showing fallback content: ${err?.message ?? err}`);
    defineElements({ tracker: null });
    return null;
  }
}
