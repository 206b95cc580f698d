// Node entry: instantiates the node build (the edge engine plus the vendor adapters and retention analytics)
// synchronously from disk, so `await init()` resolves at once.
import { readFileSync } from "node:fs";
import * as gen from "./gen/node/rekindle_wasm.js";
import { install } from "./facade.js";

const wasmUrl = new URL("./gen/node/rekindle_wasm_bg.wasm", import.meta.url);
install(gen, () => gen.initSync({ module: readFileSync(wasmUrl) }), { sync: true });

export { Contact, ERROR_CODES, Engine, RekindleError, compilePlaybook, init, version } from "./facade.js";
export { Keys } from "./keys.js";
export { pageViewProps, SESSION_GAP_MS } from "./page-view.js";
export { checkSignatureAge, importContacts, importWebhook, verifyMailgun, verifySendgrid } from "./adapters.js";
export { fitRetention, retention } from "./retention.js";
