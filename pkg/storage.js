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


// A page view's page_leave as it stands while its tab is hidden, held as JSON under `<key>:leave:<view>` until the
// page view ends (see Tracker): a hidden tab may be discarded without `pagehide`, and what it measured must not
// be lost, nor counted twice when the visitor comes back to the tab and reads on.
const LEAVE = ":leave:";

function local() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked: reading the property throws
  }
}

/** Holds `event` (a page_leave) for page view `view`; false when storage is unavailable or full. */
export function holdLeave(key, view, event) {
  const name = `${keyArg(key)}${LEAVE}${view}`;
  try {
    const storage = local();
    storage?.setItem(name, JSON.stringify(event));
    return storage !== null;
  } catch {
    return false;
  }
}

const isLeave = (e) => e !== null && typeof e === "object" && typeof e.id === "string" && Number.isSafeInteger(e.at) &&
  e.kind === "page_leave" && e.props !== null && typeof e.props === "object" && !Array.isArray(e.props);

/** Every held page_leave under `key`, as `{ view, event }`; an entry that is not one is removed. */
export function heldLeaves(key) {
  const prefix = `${keyArg(key)}${LEAVE}`;
  const held = [];
  try {
    const storage = local();
    const names = [];
    for (let i = 0; storage !== null && i < storage.length; i++) names.push(storage.key(i));
    for (const name of names.filter((n) => n?.startsWith(prefix))) {
      let event = null;
      try {
        event = JSON.parse(storage.getItem(name));
      } catch {
        // Not JSON: removed below.
      }
      if (isLeave(event)) held.push({ view: name.slice(prefix.length), event });
      else storage.removeItem(name);
    }
  } catch {
    // Storage went away while reading: what was read so far.
  }
  return held;
}

/** True when page view `view` holds a page_leave, or storage cannot say. */
export function isHeld(key, view) {
  try {
    const storage = local();
    return storage === null || storage.getItem(`${keyArg(key)}${LEAVE}${view}`) !== null;
  } catch {
    return true;
  }
}

/** Removes page view `view`'s held page_leave; false when there was none (another tab took it). */
export function releaseLeave(key, view) {
  const held = isHeld(key, view);
  try {
    local()?.removeItem(`${keyArg(key)}${LEAVE}${view}`);
  } catch {
    // Unavailable: nothing to release.
  }
  return held;
}

/** Removes every held page_leave under `key` ("forget me", analytics refused). */
export function clearHeld(key) {
  const prefix = `${keyArg(key)}${LEAVE}`;
  try {
    const storage = local();
    for (let i = storage?.length ?? 0; i-- > 0;) {
      const name = storage.key(i);
      if (name?.startsWith(prefix)) storage.removeItem(name);
    }
  } catch {
    // Unavailable: nothing is held.
  }
}
