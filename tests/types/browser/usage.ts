// Type-level usage of the browser entry as a bundler project resolves it (the exports map's `browser` condition,
// browser.d.ts). Checked by `tsc --noEmit -p tests/types/browser`: the page-only additions are typed, and the
// server names browser.js does not export are type errors, as they are build errors in esbuild --platform=browser.
import {
  Engine,
  clearState,
  init,
  loadState,
  saveState,
  CtaElement,
  PreferencesElement,
  PURPOSES,
  SESSION_GAP_MS,
  pageViewProps,
  Tracker,
  defineElements,
  startTracker,
  type ConsentState,
  type Decision,
  type TrackedEvent,
} from "rekindle";
import {
  // @ts-expect-error server only: browser.js does not export Keys (a page never holds a key)
  Keys,
  // @ts-expect-error Node only: browser.js does not export retention
  retention,
  // @ts-expect-error Node only: browser.js does not export fitRetention
  fitRetention,
  // @ts-expect-error Node only: browser.js does not export importWebhook
  importWebhook,
  // @ts-expect-error Node only: browser.js does not export verifyMailgun
  verifyMailgun,
} from "rekindle";

export async function page(): Promise<string> {
  await init({ url: new URL("https://cdn.example/rekindle.wasm") });
  // The browser build reads compiled playbooks only (rekindle compile, compilePlaybook in Node): bytes, fetched or given.
  const engine = new Engine(await (await fetch("/playbook.rkp")).arrayBuffer());
  const fromBytes: Engine = new Engine(new Uint8Array([0x52, 0x4b, 0x50, 0x42]));
  fromBytes.free();
  // @ts-expect-error a playbook object: the browser build reads no JSON (compile it, pass the bytes)
  void new Engine({ version: 1, signals: { pricing: { kind: "page_view", match: { path: "/pricing*" } } } });
  // @ts-expect-error JSON text, likewise
  void new Engine('{"version":1,"signals":{}}');
  const state = engine.fold(null, [{ at: Date.now(), kind: "page_view", props: pageViewProps({ url: "https://x.test/pricing", now: SESSION_GAP_MS }) }]);
  const saved: boolean = saveState("rekindle:visitor", state);
  const loaded: Uint8Array | null = loadState("rekindle:visitor");
  const cleared: boolean = clearState("rekindle:visitor");
  const tracker = new Tracker(engine, { key: "rk", consent: { analytics: false }, onSignal: (e: TrackedEvent) => e.kind }).start();
  tracker.track("trial_started", { plan: "pro" });
  const consented: ConsentState = tracker.consent({ analytics: true, personalisation: true });
  const unsubscribe: () => void = tracker.subscribe((d: Decision) => d.cta?.id);
  unsubscribe();
  const purposes: readonly string[] = PURPOSES;
  void startTracker({ playbook: "/playbook.rkp", wasm: new URL("https://cdn.example/rekindle.wasm") }).then((t: Tracker | null) => t?.forget());
  void startTracker({ playbook: new URL("https://cdn.example/playbook.rkp") });
  void startTracker({ playbook: new Uint8Array(0) });
  void startTracker({ playbook: new ArrayBuffer(0) });
  // @ts-expect-error a playbook object: startTracker in the browser takes a compiled playbook's URL or bytes
  void startTracker({ playbook: { version: 1, signals: {} } });
  defineElements({ tracker: null });
  const widget: HTMLElement = new CtaElement();
  const center: HTMLElement = new PreferencesElement();
  // The element's events are typed on the document's event map (browser-api.d.ts PreferencesEventMap).
  document.addEventListener("rekindle-preferences-error", (e) => {
    const reason: "bad_link" | "http" | "network" | "bad_response" = e.detail.reason;
    const status: number | null = e.detail.status;
    // @ts-expect-error the detail has no token: a failure never exposes the link's token
    void e.detail.token;
    return [e.detail.action, reason, status];
  });
  center.addEventListener("rekindle-preferences-saved", (e) => e.detail.topics.join(","));
  return [consented.gpc, purposes.length, widget.tagName, center.tagName, saved, loaded?.length, cleared].join(" ");
}
