// Browser entry: init() fetches and compiles the web build with instantiateStreaming (or takes { url } /
// { module }). Also offers localStorage persistence of state bytes that never throws when storage is blocked.
import * as gen from "./gen/web/rekindle_wasm.js";
import { RekindleError, call, install } from "./facade.js";

install(gen, async ({ url, module, ...rest }) => {
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new RekindleError("E_INPUT_INVALID", `options.${unknown}: unknown option; use url or module`, { path: `options.${unknown}` });
  }
  await gen.default({ module_or_path: module ?? url ?? new URL("./gen/web/rekindle_wasm_bg.wasm", import.meta.url) });
});

const keyArg = (key) => {
  if (typeof key === "string" && key !== "") return key;
  throw new RekindleError("E_INPUT_INVALID", "key: expected a non-empty string", { path: "key" });
};

/** The state bytes saved under `key`, or null when there are none or storage is unavailable. */
export const loadState = (key) => call(() => gen.loadState(keyArg(key)) ?? null);

/** Saves state bytes under `key`; false when storage is unavailable (blocked, full, private mode). */
export function saveState(key, bytes) {
  if (!(bytes instanceof Uint8Array)) {
    throw new RekindleError("E_INPUT_INVALID", "bytes: expected a Uint8Array from fold()", { path: "bytes" });
  }
  return call(() => gen.saveState(keyArg(key), bytes));
}

/** Removes the state saved under `key`; false when storage is unavailable. */
export const clearState = (key) => call(() => gen.clearState(keyArg(key)));

export { Contact, ERROR_CODES, Engine, RekindleError, init, version } from "./facade.js";
