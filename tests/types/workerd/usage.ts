// Type-level usage of the Cloudflare Workers entry as a Worker project resolves it (the exports map's `workerd`
// condition, workerd.d.ts; a TypeScript Worker sets "customConditions": ["workerd"]). Checked by
// `tsc --noEmit -p tests/types/workerd`: Keys and pageViewProps are typed; an Engine is built from compiled playbook
// bytes (what the edge build reads: an ArrayBuffer from a Data module or KV, or a Uint8Array); the browser's
// additions and the Node-only adapters, analytics and compilePlaybook, which workerd.js does not export, are type
// errors.
import { Engine, Keys, init, pageViewProps, type CookieRefusal } from "rekindle";
import {
  // @ts-expect-error browser only: workerd.js does not export startTracker
  startTracker,
  // @ts-expect-error browser only: workerd.js does not export saveState
  saveState,
  // @ts-expect-error Node only: workerd.js does not export retention
  retention,
  // @ts-expect-error Node only: workerd.js does not export importContacts
  importContacts,
  // @ts-expect-error Node only: workerd.js does not export compilePlaybook (compile at build time)
  compilePlaybook,
} from "rekindle";

/** A Worker's engine from a compiled playbook: bytes bundled as a Data module, or read from KV ("arrayBuffer"). */
export async function fromKv(kv: { get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null> }, bundled: ArrayBuffer): Promise<Engine> {
  await init();
  const stored = await kv.get("playbook", "arrayBuffer");
  return new Engine(stored ?? bundled);
}

export async function handle(request: Request, secret: string, cookie: string | null, compiled: Uint8Array): Promise<string> {
  await init();
  const engine = new Engine(compiled);
  // @ts-expect-error a playbook object: the edge build reads no JSON (compile it at build time, bundle the bytes)
  void new Engine({ version: 1, signals: {} });
  // @ts-expect-error JSON text, likewise
  void new Engine('{"version":1,"signals":{}}');
  const keys = new Keys(secret);
  const { contact, opened } = keys.openContact(engine, cookie, { now: Date.now() });
  const refusal: CookieRefusal | undefined = opened ? undefined : keys.openState(cookie ?? "").ok ? undefined : "malformed";
  contact.fold([{ at: Date.now(), kind: "page_view", props: pageViewProps({ url: request.url, now: Date.now() }) }]);
  return `${keys.sealState(contact, { expiresAt: Date.now() + 86_400_000 })} ${refusal ?? ""}`;
}
