// Browser entry: init() fetches and compiles the web build with instantiateStreaming (or takes { url } /
// { module }). Adds what only a page needs: localStorage persistence that never throws when storage is blocked,
// the on-device tracker, <rekindle-cta>, and startTracker() that wires them up without ever breaking the page.
import * as gen from "./gen/web/rekindle_wasm.js";
import { RekindleError, install, loadWasm } from "./facade.js";

install(gen, async ({ url, module, ...rest }) => {
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new RekindleError("E_INPUT_INVALID", `options.${unknown}: unknown option; use url or module`, { path: `options.${unknown}` });
  }
  const source = module ?? url ?? new URL("./gen/web/rekindle_wasm_bg.wasm", import.meta.url);
  await loadWasm(source, (fetched) => gen.default({ module_or_path: fetched }));
});

export { clearState, loadState, saveState } from "./storage.js";
export { PURPOSES, Tracker } from "./tracker.js";
export { CtaElement } from "./cta-element.js";
export { PreferencesElement } from "./preferences-element.js";
export { defineElements, startTracker } from "./start.js";
export { Contact, ERROR_CODES, Engine, RekindleError, init, version } from "./facade.js";
export { pageViewProps, SESSION_GAP_MS } from "./page-view.js";
