// Types of the Cloudflare Workers entry (workerd.js; the `workerd` condition): what every entry exports and Keys.
// No tracker, vendor adapters or retention analytics: workerd.js does not export them.
import { Engine as EveryBuildEngine } from "./index.js";
export * from "./index.js";
export * from "./server-api.js";

/**
 * A compiled playbook, evaluating many contacts. The edge build reads compiled playbooks only: the bytes
 * `npx rekindle-compile playbook.json playbook.rkp`, `rekindle compile` or `compilePlaybook` (Node) wrote, with this
 * rekindle version — bundled (a wrangler `Data` module rule for `*.rkp`) or read from KV as an ArrayBuffer. A playbook
 * object or JSON text is a type error here, and at run time E_PLAYBOOK_INVALID with a `bad_compiled` problem saying
 * to compile it.
 * @throws {RekindleError} E_PLAYBOOK_INVALID (one `bad_compiled` problem) for bytes another version wrote, damaged
 *   bytes, or JSON.
 */
export declare class Engine extends EveryBuildEngine {
  constructor(playbook: Uint8Array | ArrayBuffer);
}
