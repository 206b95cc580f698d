// Type-level usage of the Cloudflare Workers entry as a Worker project resolves it (the exports map's `workerd`
// condition, workerd.d.ts; a TypeScript Worker sets "customConditions": ["workerd"]). Checked by
// `tsc --noEmit -p tests/types/workerd`: Keys and pageViewProps are typed; the browser's additions and the Node-only
// adapters and analytics, which workerd.js does not export, are type errors.
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
} from "rekindle";

export async function handle(request: Request, secret: string, cookie: string | null): Promise<string> {
  await init();
  const engine = new Engine({ version: 1, signals: {} });
  const keys = new Keys(secret);
  const { contact, opened } = keys.openContact(engine, cookie, { now: Date.now() });
  const refusal: CookieRefusal | undefined = opened ? undefined : keys.openState(cookie ?? "").ok ? undefined : "malformed";
  contact.fold([{ at: Date.now(), kind: "page_view", props: pageViewProps({ url: request.url, now: Date.now() }) }]);
  return `${keys.sealState(contact, { expiresAt: Date.now() + 86_400_000 })} ${refusal ?? ""}`;
}
