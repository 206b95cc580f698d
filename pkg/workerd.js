// Cloudflare Workers (workerd) entry: Workers only accept pre-compiled wasm, so the bundler hands us the
// edge build as a WebAssembly.Module and we instantiate it synchronously; `await init()` resolves at once.
import wasm from "./gen/edge/rekindle_wasm_bg.wasm";
import * as gen from "./gen/edge/rekindle_wasm.js";
import { install } from "./facade.js";

install(gen, () => gen.initSync({ module: wasm }), { sync: true });

export { Contact, ERROR_CODES, Engine, RekindleError, init, version } from "./facade.js";
export { Keys } from "./keys.js";
export { pageViewProps, SESSION_GAP_MS } from "./page-view.js";
