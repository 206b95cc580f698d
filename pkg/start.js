// startTracker(): the few lines a site pastes. Loads the wasm and the playbook, starts the tracker and defines
// <rekindle-cta>. It never throws and never breaks the page: if anything fails (a CSP without
// 'wasm-unsafe-eval', an old browser, a blocked file, a bad playbook) it logs one warning, leaves every
// <rekindle-cta> showing its fallback markup, and resolves to null.
import { CtaElement } from "./cta-element.js";
import { PreferencesElement } from "./preferences-element.js";
import { Engine, init, objectArg } from "./facade.js";
import { Tracker } from "./tracker.js";

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

async function loadPlaybook(playbook) {
  if (typeof playbook === "string" || playbook instanceof URL) {
    const response = await fetch(playbook);
    if (!response.ok) throw new Error(`playbook ${playbook}: HTTP ${response.status}`);
    return response.json();
  }
  return playbook;
}

/**
 * `await startTracker({ playbook: "/playbook.json", consent: { analytics: true } })` → the started Tracker, or
 * null after one console warning. Options: `playbook` (object or URL), `wasm` (where the .wasm is served, if not
 * next to browser.js), and every Tracker option (`key`, `consent`, `onDecision`, `onSignal`, `sessionGap`).
 */
export async function startTracker(input) {
  try {
    // Read inside the try: a missing or wrong argument is one more failure that must not break the page.
    const { playbook, wasm, ...options } = objectArg(input, "options", "{ playbook, consent }", { optional: true });
    await init(wasm === undefined ? {} : { url: wasm });
    const engine = new Engine(await loadPlaybook(playbook));
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
