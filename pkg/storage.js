// localStorage persistence of state bytes (browser build only). Every call degrades to "nothing stored" when
// storage is blocked, full or holds something that is not a valid state: the page never breaks because of us.
import * as gen from "./gen/web/rekindle_wasm.js";
import { RekindleError, call } from "./facade.js";

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

