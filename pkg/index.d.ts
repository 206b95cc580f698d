// Hand-written types of what every entry of the "rekindle" package exports (browser, node, workerd). Each entry's
// own declarations (browser.d.ts, node.d.ts, workerd.d.ts, picked by the `exports` map's conditions) re-export
// these and add only what that entry exports. The playbook, event and decision formats are specified in
// docs/playbook.md; playbook keys are snake_case, everything rekindle returns is camelCase.

// ---------------------------------------------------------------------------------------------------------
// Errors

/** Every stable error code. */
export type ErrorCode =
  | "E_PLAYBOOK_INVALID"
  | "E_INPUT_INVALID"
  | "E_STATE_INVALID"
  | "E_SIGNATURE_INVALID"
  | "E_IMPORT_INVALID"
  | "E_NOT_INITIALIZED"
  | "E_WASM_UNAVAILABLE"
  | "E_DISPOSED"
  | "E_INTERNAL";

/** Every error code rekindle can raise, in documentation order. */
export declare const ERROR_CODES: readonly ErrorCode[];

/** The kind of one playbook problem. */
export type ProblemCode =
  | "wrong_type"
  | "unknown_field"
  | "missing_field"
  | "bad_duration"
  | "bad_timestamp"
  | "negative_duration"
  | "unknown_signal"
  | "unknown_kind"
  | "unknown_op"
  | "duplicate_id"
  | "bad_id"
  | "out_of_range"
  | "unsupported_version"
  | "empty_bar"
  | "threshold_order"
  | "duplicate_key"
  | "unknown_reference"
  | "cyclic_reference"
  | "bad_compiled";

/** `engine.topics()`: the subscription types a contact may choose, with their labels. */
export interface PlaybookTopics {
  topics: { id: string; label: string }[];
  /** True when a contact who never chose gets no topic (opt-in) rather than all (opt-out, the default). */
  optIn: boolean;
}

/** One problem in a playbook: where (`scores.intent.rules[3].decay.half_life`; "" for the document), what, why. */
export interface Problem {
  path: string;
  code: ProblemCode;
  message: string;
}

/** Extra data on an error; `problems` lists every playbook problem for E_PLAYBOOK_INVALID. */
export interface RekindleErrorDetails {
  problems?: Problem[];
  /** E_WASM_UNAVAILABLE: the URL init() tried (null when bytes or a module were passed). */
  url?: string | null;
  /**
   * E_WASM_UNAVAILABLE: why. `"csp"`: the page's Content-Security-Policy refused to compile it (add
   * 'wasm-unsafe-eval' to script-src); `"http"`: the server answered `status`; `"network"`: the fetch failed;
   * `"compile"`: what arrived is not rekindle's wasm.
   */
  reason?: "csp" | "http" | "network" | "compile";
  /** E_WASM_UNAVAILABLE with reason "http": the HTTP status. */
  status?: number;
  [key: string]: unknown;
}

/**
 * The one error class rekindle throws.
 *
 * @example
 * try {
 *   new Engine({ version: 2, signals: {} });
 * } catch (err) {
 *   if (err instanceof RekindleError && err.code === "E_PLAYBOOK_INVALID") {
 *     for (const p of err.details?.problems ?? []) console.log(`${p.path}: ${p.message}`);
 *   }
 * }
 */
export declare class RekindleError extends Error {
  constructor(code: ErrorCode, message: string, options?: { path?: string; details?: RekindleErrorDetails; cause?: unknown });
  readonly name: "RekindleError";
  /** Stable; switch on this, never on the message. */
  readonly code: ErrorCode;
  /** Where the (first) problem is, e.g. `events[1].at`; undefined when the error has no place. */
  readonly path: string | undefined;
  readonly details: RekindleErrorDetails | undefined;
}

// Playbook (snake_case, as the marketer writes it): playbook.d.ts. Decision (camelCase): decision.d.ts.
export * from "./playbook.js";
export * from "./decision.js";
import type { Playbook, ContactEvent, EventKind, PropValue, Duration, Instant } from "./playbook.js";
import type { SegmentMemberships, Decision, Update, StateView, CtaChoice } from "./decision.js";

// ---------------------------------------------------------------------------------------------------------
// API

/**
 * `WebAssembly.Module` where the program's libs declare it (TypeScript's `dom` or `webworker` lib, Cloudflare's
 * workers-types), found through `globalThis` rather than named: a Node project's types (`@types/node`, no `dom` lib)
 * declare no `WebAssembly` namespace, and naming it here would make every Node user's `tsc` fail in this file.
 */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: any[]) => infer M } } ? M : never;

export interface InitOptions {
  /** Browser entry: where to fetch the wasm (default: next to the package's browser.js). */
  url?: string | URL;
  /** Browser entry: an already compiled module, or its bytes (an ArrayBuffer or a view of one), instead of fetching. */
  module?: WasmModule | ArrayBuffer | ArrayBufferView;
}

/** When to decide. */
export interface DecideOptions {
  /** Epoch milliseconds (whole number); default Date.now(). */
  now?: number;
}

/**
 * Loads the wasm. Idempotent and safe to call concurrently. In Node and workerd it resolves at once; in a
 * browser it fetches and compiles with streaming. A strict CSP needs 'wasm-unsafe-eval' in script-src.
 *
 * @example
 * import { init, Engine } from "rekindle";
 * await init();
 * @throws {RekindleError} E_WASM_UNAVAILABLE when the wasm cannot be fetched or compiled (a 404, a CSP without
 * 'wasm-unsafe-eval', a file that is not rekindle's wasm): the message names the URL and the fix, `details` has
 * `{ url, reason, status? }` (the promise rejects).
 * @throws {RekindleError} E_INTERNAL when the wasm traps while starting (a bug).
 * @throws {RekindleError} E_INPUT_INVALID when `options` is not an options object.
 */
export declare function init(options?: InitOptions): Promise<void>;

/**
 * rekindle's version, as compiled into the wasm.
 *
 * @example
 * console.log(version()); // "0.1.0"
 * @throws {RekindleError} E_NOT_INITIALIZED before init() in a browser.
 */
export declare function version(): string;

/**
 * A compiled, validated playbook. Build one per page or isolate and evaluate many contacts with it; free it
 * (or declare it with `using`) when done.
 *
 * @example
 * await init();
 * using engine = new Engine(playbook);
 * let state = engine.fold(null, [{ at: "2026-11-01T09:30:00Z", kind: "page_view", props: { path: "/pricing" } }]);
 * const decision = engine.decide(state, { now: Date.parse("2026-11-02T00:00:00Z") });
 * console.log(decision.readiness, decision.stage);
 */
export declare class Engine {
  /**
   * Parses and validates a playbook (an object, or its JSON text), or reads a compiled one (the bytes of
   * `rekindle compile` or `compilePlaybook`, compiled by this rekindle version). Which forms a build reads:
   * Node both; the browser and edge builds as docs/playbook.md says ("Compiled playbooks").
   * @throws {RekindleError} E_PLAYBOOK_INVALID listing every problem in `details.problems`; `path` is the first one's
   *   (compiled bytes another version wrote, or damaged ones: one `bad_compiled` problem saying so).
   * @throws {RekindleError} E_NOT_INITIALIZED before init() in a browser.
   */
  constructor(playbook: Playbook | string | Uint8Array | ArrayBuffer);

  /**
   * Folds events into a contact state and returns the new state bytes (compact and versioned; store them).
   * Pass null for a new contact. Within a batch the order of the events never matters; a later batch is applied
   * after the earlier ones, so for a profile field (and the deal status at one instant) the later batch wins, as
   * docs/playbook.md says. An event folded twice counts twice: the fold keeps no event ids (a state stays small),
   * so drop redelivered webhooks (same id) before folding.
   *
   * @example
   * let state = engine.fold(null, firstEvents);
   * state = engine.fold(state, moreEvents);
   * @throws {RekindleError} E_INPUT_INVALID for a bad event, with `path` like `events[3].at`.
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  fold(state: Uint8Array | null | undefined, events: readonly ContactEvent[]): Uint8Array;

  /**
   * The decision for a state at `options.now` (default Date.now()): scores, readiness, stage, lifecycle,
   * segments, send verdicts per channel, the next nurture step, the CTA, the handoff packet for an SQL,
   * `validUntil` (when to decide again) and every reason.
   *
   * @example
   * const d = engine.decide(state, { now: Date.now() });
   * if (d.send.email.verdict === "defer") schedule(d.send.email.until);
   * if (d.nextStep?.sendAt != null) queue(d.nextStep.content, d.nextStep.sendAt);
   * if (d.validUntil !== null) scheduleRecheck(d.validUntil);
   * @throws {RekindleError} E_INPUT_INVALID when `options.now` is not whole epoch milliseconds (`path` "options.now").
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  decide(state: Uint8Array | null | undefined, options?: DecideOptions): Decision;

  /**
   * Folds events like fold() and also reports the segments the contact entered or exited by them: each
   * delta is `{ segment, change: "entered" | "exited", at }`, `at` being the latest event instant folded.
   * Use it to trigger "segment entry" automations without polling.
   *
   * @example
   * const { state, deltas } = engine.update(saved, [{ at: Date.now(), kind: "page_view", props: { path: "/pricing" } }]);
   * for (const d of deltas) if (d.change === "entered") console.log(`joined ${d.segment}`);
   * await store.put(contactId, state);
   * @throws {RekindleError} E_INPUT_INVALID for a bad event (`path` like `events[3].at`) or a state that is not a Uint8Array.
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  update(state: Uint8Array | null | undefined, events: readonly ContactEvent[]): Update;

  /**
   * Segment memberships only, at `options.now` (default Date.now()): `{ [segmentId]: true | false | null }`,
   * null when the condition cannot be decided (missing data, short history). Agrees with
   * `decide(state, options).segments[i].member` (null there is `member: false, unknown: true`) and is much
   * cheaper: no reasons, no next flips, scores only when a condition reads them.
   *
   * @example
   * const member = engine.segments(state, { now: Date.now() });
   * if (member.pricing_intent === true) showPricingBanner();
   * @throws {RekindleError} E_INPUT_INVALID when `options.now` is not whole epoch milliseconds or `state` is not a Uint8Array.
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  segments(state: Uint8Array | null | undefined, options?: DecideOptions): SegmentMemberships;

  /**
   * The playbook's topics (`policy.topics`, in playbook order) and whether they are opt-in (`policy.topics_opt_in`):
   * what a preference center offers (D27). The same from a JSON or a compiled playbook.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  topics(): PlaybookTopics;

  /**
   * Opens one contact held in wasm memory (`null` for a new contact). Its methods skip decoding and encoding
   * the state bytes on every call — the fast path for per-event work (a tracker, a webhook stream, a batch).
   * Call `toBytes()` to persist, and `free()` (or `using`) when done.
   *
   * @example
   * const contact = engine.contact(saved);
   * for (const e of events) contact.fold([e]);
   * const { readiness } = contact.decide({ now: Date.now() });
   * save(contact.toBytes());
   * contact.free();
   * @throws {RekindleError} E_INPUT_INVALID when `state` is not a Uint8Array or null.
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after the engine's free().
   */
  contact(state?: Uint8Array | null): Contact;

  /**
   * `decide(fold(null, events), options)` in one call.
   *
   * @example
   * const decision = engine.evaluate(events, { now: 1764547200000 });
   * @throws {RekindleError} E_INPUT_INVALID for a bad event (`path` like `events[1].at`) or bad options.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  evaluate(events: readonly ContactEvent[], options?: DecideOptions): Decision;

  /**
   * Only the call to action for a state at `options.now` — the same choice as `decide().cta` without computing the
   * rest: the cheap call per page (the edge Worker uses it).
   * @example
   * const cta = engine.cta(state, { now: Date.now() });
   * @throws {RekindleError} E_STATE_INVALID for corrupt state bytes.
   */
  cta(state: Uint8Array | null | undefined, options?: DecideOptions): CtaChoice | null;

  /**
   * A readable view of a state, for debugging and the demo.
   *
   * @example
   * console.log(engine.inspect(state));
   * @throws {RekindleError} E_INPUT_INVALID when `state` is not a Uint8Array.
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  inspect(state: Uint8Array): StateView;

  /**
   * Releases the engine's wasm memory. Idempotent; afterwards every method throws E_DISPOSED.
   *
   * @example
   * engine.free();
   */
  free(): void;

  /** Same as free(), so `using engine = new Engine(playbook)` frees at the end of the scope. */
  [Symbol.dispose](): void;
}

/** One contact's state held in wasm memory; opened with `engine.contact(state)`. */
export declare class Contact {
  private constructor();

  /**
   * Folds events into the contact.
   * @example
   * contact.fold([{ at: Date.now(), kind: "page_view", props: { path: "/pricing" } }]);
   * @throws {RekindleError} E_INPUT_INVALID naming the bad event field (`events[0].at`).
   * @throws {RekindleError} E_DISPOSED after free().
   */
  fold(events: readonly ContactEvent[]): void;

  /**
   * Folds events and returns the segments the contact entered or exited.
   * @example
   * for (const d of contact.update(events)) console.log(d.change, d.segment);
   * @throws {RekindleError} E_INPUT_INVALID naming the bad event field.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  update(events: readonly ContactEvent[]): Update["deltas"];

  /**
   * The decision at `options.now` (default `Date.now()`), as `engine.decide(contact.toBytes(), options)`.
   * @example
   * const { stage, reasons } = contact.decide({ now: Date.now() });
   * @throws {RekindleError} E_INPUT_INVALID when `options.now` is not whole epoch milliseconds.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  decide(options?: DecideOptions): Decision;

  /** Only the call to action at `options.now` (the same choice as `decide().cta`), or null. */
  cta(options?: DecideOptions): CtaChoice | null;

  /**
   * Segment memberships only: `{ [segmentId]: true | false | null }`.
   * @example
   * if (contact.segments().pricing_intent) showPricingBanner();
   * @throws {RekindleError} E_DISPOSED after free().
   */
  segments(options?: DecideOptions): SegmentMemberships;

  /**
   * The state's compact, versioned bytes, to store.
   * @example
   * localStorage.setItem("state", btoa(String.fromCharCode(...contact.toBytes())));
   * @throws {RekindleError} E_DISPOSED after free().
   */
  toBytes(): Uint8Array;

  /**
   * Whether the state's bytes differ from the bytes this contact was opened from — `engine.contact(bytes)`'s, a
   * cookie's in `keys.openContact` — or, for a new contact (`null`, no cookie, a refused cookie), from an empty
   * state's: whether the cookie or stored copy must be written again. Cheaper than comparing `toBytes()` with a copy
   * kept at open (one encoding in wasm, no bytes copied to JS). Bytes of an older state layout count as changed, so
   * writing them again upgrades them.
   * @example
   * if (contact.changed()) headers.append("Set-Cookie", `rk=${keys.sealState(contact, { expiresAt })}`);
   * @throws {RekindleError} E_DISPOSED after free().
   */
  changed(): boolean;

  /**
   * A readable view of the state.
   * @example
   * console.table(contact.inspect().rules);
   * @throws {RekindleError} E_DISPOSED after free().
   */
  inspect(): StateView;

  /**
   * The latest event folded (epoch ms), or null for a contact nothing is known about: when the visitor was last
   * seen (`pageViewProps({ lastSeen })`).
   * @example
   * const lastSeen = contact.updatedAt();
   */
  updatedAt(): number | null;

  /**
   * Releases the wasm memory; idempotent.
   * @example
   * contact.free();
   */
  free(): void;

  /** Same as free(), for `using contact = engine.contact(saved)`. */
  [Symbol.dispose](): void;
}

// ---------------------------------------------------------------------------------------------------------
// Page views (every entry: the browser tracker and the edge Worker record them the same way)

/** Inactivity that starts a new visit, in ms (30 minutes). */
export declare const SESSION_GAP_MS: number;

/**
 * The props of a `page_view` as the browser tracker and the edge Worker record it: `url` and `referrer` without
 * query strings or fragments, `path` (default the URL's), `title`, `utm_*`, and `since_last_visit` (seconds) when
 * `lastSeen` is at least `gap` (default 30 minutes) before `now` (default `Date.now()`).
 *
 * @example
 * const props = pageViewProps({ url: request.url, referrer: request.headers.get("referer"), lastSeen, now });
 * @throws {RekindleError} E_INPUT_INVALID when `input` is missing or `input.url` is not an absolute URL (path "input.url").
 */
export declare function pageViewProps(input: {
  url: string | URL;
  path?: string;
  title?: string | null;
  referrer?: string | null;
  lastSeen?: number | null;
  now?: number;
  gap?: number;
}): Record<string, PropValue>;
