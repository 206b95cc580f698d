// Types of the browser entry (browser.js; the `browser` and `default` conditions): what every entry exports and
// what only a page needs. No Keys, no vendor adapters, no retention analytics: browser.js does not export them.
import { Engine as EveryBuildEngine } from "./index.js";
export * from "./index.js";
export * from "./browser-api.js";

/**
 * A compiled playbook, evaluating many contacts. The browser build reads compiled playbooks only: the bytes
 * `npx rekindle-compile playbook.json playbook.rkp`, `rekindle compile` or `compilePlaybook` (Node) wrote, with this
 * rekindle version — fetched (`await (await fetch("/playbook.rkp")).arrayBuffer()`) or bundled. A playbook object
 * or JSON text is a type error here, and at run time E_PLAYBOOK_INVALID with a `bad_compiled` problem saying to
 * compile it.
 * @throws {RekindleError} E_PLAYBOOK_INVALID (one `bad_compiled` problem) for bytes another version wrote, damaged
 *   bytes, or JSON; E_NOT_INITIALIZED before init().
 */
export declare class Engine extends EveryBuildEngine {
  constructor(playbook: Uint8Array | ArrayBuffer);
}
