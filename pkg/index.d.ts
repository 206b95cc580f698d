// Hand-written types for the "rekindle" package. The playbook, event and decision formats are specified in
// docs/playbook.md of the repository; playbook keys are snake_case, everything rekindle returns is camelCase.

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
  | "cyclic_reference";

/** One problem in a playbook: where (`scores.intent.rules[3].decay.half_life`; "" for the document), what, why. */
export interface Problem {
  path: string;
  code: ProblemCode;
  message: string;
}

/** Extra data on an error; `problems` lists every playbook problem for E_PLAYBOOK_INVALID. */
export interface RekindleErrorDetails {
  problems?: Problem[];
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

export interface InitOptions {
  /** Browser entry: where to fetch the wasm (default: next to the package's browser.js). */
  url?: string | URL;
  /** Browser entry: an already compiled module, or its bytes, instead of fetching. */
  module?: WebAssembly.Module | BufferSource;
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
 * @throws {RekindleError} E_INTERNAL when the wasm cannot be fetched or instantiated (the promise rejects).
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
   * Parses and validates a playbook (an object, or its JSON text).
   * @throws {RekindleError} E_PLAYBOOK_INVALID listing every problem in `details.problems`; `path` is the first one's.
   * @throws {RekindleError} E_NOT_INITIALIZED before init() in a browser.
   */
  constructor(playbook: Playbook | string);

  /**
   * Folds events into a contact state and returns the new state bytes (compact and versioned; store them).
   * Pass null for a new contact. Folding in several batches gives the same state as one batch.
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
   * A readable view of the state.
   * @example
   * console.table(contact.inspect().rules);
   * @throws {RekindleError} E_DISPOSED after free().
   */
  inspect(): StateView;

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
// Browser entry only (not exported in Node or workerd)

/**
 * Browser entry only: the state bytes saved under `key` in localStorage, or null when there are none or
 * storage is unavailable. Never throws because storage is blocked.
 *
 * @example
 * const state = loadState("rekindle:visitor") ?? engine.fold(null, []);
 * @throws {RekindleError} E_INPUT_INVALID when `key` is not a non-empty string.
 * @throws {RekindleError} E_NOT_INITIALIZED before init().
 */
export declare function loadState(key: string): Uint8Array | null;

/**
 * Browser entry only: saves state bytes under `key`; returns false when storage is unavailable.
 *
 * @example
 * saveState("rekindle:visitor", state);
 * @throws {RekindleError} E_INPUT_INVALID when `key` or `bytes` has the wrong type.
 * @throws {RekindleError} E_NOT_INITIALIZED before init().
 */
export declare function saveState(key: string, bytes: Uint8Array): boolean;

/**
 * Browser entry only: removes the state saved under `key`; returns false when storage is unavailable.
 *
 * @example
 * clearState("rekindle:visitor");
 * @throws {RekindleError} E_INPUT_INVALID when `key` is not a non-empty string.
 * @throws {RekindleError} E_NOT_INITIALIZED before init().
 */
export declare function clearState(key: string): boolean;

/** Browser entry only: the consent purposes a {@link Tracker} knows. */
export declare const PURPOSES: readonly ["analytics", "personalisation"];

/** Consent per purpose, as the site's consent banner reports it. */
export interface ConsentUpdate {
  /** The state may persist in localStorage (before: memory only, nothing stored, nothing sent). */
  analytics?: boolean;
  /** Decisions (the CTA) may use the visitor's state; without it they are an unknown visitor's. */
  personalisation?: boolean;
}

/** The consent in effect: what the site granted minus what Global Privacy Control refuses. */
export interface ConsentState {
  analytics: boolean;
  personalisation: boolean;
  /** `navigator.globalPrivacyControl` was on: both purposes are refused, whatever the site grants. */
  gpc: boolean;
}

/** An event the tracker recorded (passed to `onSignal`): what was folded into the visitor's state. */
export interface TrackedEvent {
  id: string;
  at: number;
  kind: EventKind;
  props: Record<string, PropValue>;
}

export interface TrackerOptions {
  /** localStorage key (default "rekindle"). */
  key?: string;
  /** Initial consent (default: both refused). */
  consent?: ConsentUpdate;
  /** Called after every recorded event with the new decision (`event` is null for consent changes). */
  onDecision?: (decision: Decision, event: TrackedEvent | null) => void;
  /** Called with every recorded event, for the site to forward if it chooses; rekindle sends nothing itself. */
  onSignal?: (event: TrackedEvent) => void;
  /** The clock (default Date.now). */
  now?: () => number;
  /** Inactivity that starts a new visit, in ms (default 30 minutes): the first page view of a visit carries
   * `since_last_visit` (seconds). */
  sessionGap?: number;
  /** The window to track (default globalThis). */
  window?: Window;
  /** Where the visitor is, for the `path` prop (default `location.pathname`); hash-routed apps:
   * `(location) => location.hash.slice(1) || "/"`. */
  pathOf?: (location: Location) => string;
}

/**
 * Browser entry only: the on-device tracker (D43). Records page views (URL without query, title, referrer,
 * UTM), `page_leave` (visible seconds, scroll depth), clicks on `[data-rekindle-cta]` / `[data-rekindle-event]`,
 * form submits by form id (never field values) and `track()` events; folds them on the device.
 *
 * @example
 * const tracker = new Tracker(engine, { consent: { analytics: cmp.analytics } }).start();
 * tracker.track("webinar_registered");
 * @throws {RekindleError} E_INPUT_INVALID for an unknown or mistyped option.
 */
export declare class Tracker {
  constructor(engine: Engine, options?: TrackerOptions);
  /** Records the page view and starts listening; returns the tracker. */
  start(): this;
  /** A new page view in a single-page app (after `history.pushState`); the previous page's page_leave first. */
  page(): void;
  /** Stops listening; the state stays. */
  stop(): void;
  /** Records a site event; names other than the site-side kinds become `custom:<name>`. */
  track(name: string, props?: Record<string, PropValue>): void;
  /** Profile facts the site chooses to share (a `profile` event); form fields are never read by themselves. */
  identify(traits: Record<string, PropValue>): void;
  /** Updates consent; granting analytics saves (merging this page into stored history), refusing deletes. */
  consent(update: ConsentUpdate): ConsentState;
  /** The consent in effect. */
  readonly consentState: ConsentState;
  /** "Forget me": deletes everything rekindle stored and starts from a fresh state. */
  forget(): void;
  /** The current decision (an unknown visitor's without personalisation consent). */
  decision(): Decision;
  /** Calls `fn` now and on every new decision; returns the unsubscribe function. */
  subscribe(fn: (decision: Decision) => void): () => void;
  /** The visitor's state bytes. */
  toBytes(): Uint8Array;
}

export interface StartTrackerOptions extends TrackerOptions {
  /** The playbook object, or the URL to fetch it from. */
  playbook: object | string | URL;
  /** Where the .wasm is served, when not next to browser.js. */
  wasm?: string | URL;
}

/**
 * Browser entry only: loads the wasm and the playbook, starts a {@link Tracker} and defines `<rekindle-cta>`.
 * Never throws: on any failure it logs one warning, leaves every widget's fallback markup showing and
 * resolves to null.
 *
 * @example
 * const tracker = await startTracker({ playbook: "/playbook.json", consent: { analytics: false } });
 */
export declare function startTracker(options: StartTrackerOptions): Promise<Tracker | null>;

/** Browser entry only: registers `<rekindle-cta>` bound to `tracker` (null: fallback markup stays). */
export declare function defineElements(options?: { tracker?: Tracker | null }): void;

/**
 * Browser entry only: the `<rekindle-cta>` element. Children: `<template data-cta="id">` or
 * `<template data-variant="…">` per CTA (the site's markup; `[data-field="id" | "variant"]` receive text),
 * and `[data-rekindle-fallback]` markup shown until a CTA renders.
 */
export declare class CtaElement extends HTMLElement {}

// ---------------------------------------------------------------------------------------------------------
// Node and workerd entries only (a page must never hold a key)

/** Why a cookie was refused; treat every reason as a new visitor. */
export type CookieRefusal = "too_long" | "malformed" | "unknown_key" | "bad_signature" | "expired" | "payload";
/** Why a token was refused; answer every reason with the same "invalid or expired link" page. */
export type TokenRefusal = "too_long" | "malformed" | "unknown_key" | "bad_signature" | "expired" | "not_yet_valid" | "wrong_purpose";
export type TokenPurpose = "unsubscribe" | "preferences";

/** What a verified token vouches for (docs/tokens.md). */
export interface TokenClaims {
  purpose: TokenPurpose;
  /** The contact, preferably an opaque ESP id (the token is signed, not encrypted). */
  contact: string;
  /** The list or topic it is scoped to; null for every list. */
  topic: string | null;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Node and workerd entries only: keys by key id from `kid:hexkey` lines (a Worker secret, the CLI's key file).
 * The last key signs, every key verifies: rotate by appending. Cookies (`c1.…`) and tokens (`v1.…`) are signed
 * with HMAC-SHA256 and checked in constant time in the core; a cookie can never pass as a token.
 *
 * @example
 * const keys = new Keys(env.REKINDLE_KEYS);
 * const opened = keys.openState(cookieValue, { now: Date.now() });
 * const contact = engine.contact(opened.ok ? opened.state : null);
 * @throws {RekindleError} E_INPUT_INVALID naming the line of a malformed key.
 */
export declare class Keys {
  constructor(text: string);
  /** Key ids, oldest first; the last one signs. */
  ids(): string[];
  /**
   * A cookie value for a contact's state, signed with the newest key, valid until `expiresAt`.
   * @throws {RekindleError} E_SIGNATURE_INVALID when the state is too large for a cookie (over 3800 bytes).
   */
  sealState(state: Contact | Uint8Array, options: { expiresAt: number }): string;
  /** The state a cookie carries, or why not (never throws for hostile text). */
  openState(text: string, options?: { now?: number }):
    | { ok: true; state: Uint8Array }
    | { ok: false; reason: CookieRefusal; message: string };
  /** A token signed with the newest key. */
  signToken(token: { purpose: TokenPurpose; contact: string; topic?: string | null; issuedAt: number; expiresAt: number }): string;
  /** What a token vouches for, or why not (never throws for hostile text). */
  verifyToken(text: string, options: { purpose: TokenPurpose; now?: number }):
    | { ok: true; token: TokenClaims }
    | { ok: false; reason: TokenRefusal; message: string };
  /** Releases the wasm memory; idempotent. */
  free(): void;
  [Symbol.dispose](): void;
}

// ---------------------------------------------------------------------------------------------------------
// Every entry

/** Inactivity that starts a new visit, in ms (30 minutes). */
export declare const SESSION_GAP_MS: number;

/**
 * The props of a `page_view` as the browser tracker and the edge Worker record it: `url` and `referrer` without
 * query strings or fragments, `path` (default the URL's), `title`, `utm_*`, and `since_last_visit` (seconds) when
 * `lastSeen` is at least `gap` before `now`.
 *
 * @example
 * const props = pageViewProps({ url: request.url, referrer: request.headers.get("referer"), lastSeen, now });
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

// ---------------------------------------------------------------------------------------------------------
// Node entry only: the vendor adapters (the CLI's decoders) for plugin authors

/** A located problem: `at` is `<file>:<line>[:<column>]` or a place in a body. */
export interface ImportDiagnostic {
  at: string;
  code: string;
  message: string;
}

/** What one webhook body decoded to: events for `fold`, problems, and vendor events rekindle does not use. */
export interface ImportedWebhook {
  events: ContactEvent[];
  diagnostics: ImportDiagnostic[];
  skipped: { at: string; providerKind: string; reason: string }[];
}

export type WebhookVendor = "sendgrid" | "mailgun" | "postmark" | "mailchimp" | "ses";
export type ContactExport = "mailchimp" | "mailchimp-unsubscribed" | "mailchimp-cleaned" | "hubspot" | "klaviyo";

/** A row of a contact export that was kept. */
export interface ImportedContact {
  line: number;
  /** Trimmed and lower-cased: the dedup key (D22). */
  email: string;
  /** The vendor's record id (Mailchimp EUID, HubSpot Record ID, Klaviyo ID). */
  id: string | null;
  createdAt: number | null;
  /** Every other non-empty cell, snake_case names. */
  fields: Record<string, string | number | boolean>;
  /** What the export states (unsubscribed, bounced, consent…), as events for this contact. */
  events: ContactEvent[];
}

export interface RowProblem extends ImportDiagnostic {
  line: number;
  column: number | null;
  field: string | null;
}

/**
 * Node entry only: one ESP webhook body decoded by the CLI's adapter.
 * @example
 * const { events } = importWebhook("sendgrid", rawBody);
 * @throws {RekindleError} E_IMPORT_INVALID when the body is not the vendor's shape; E_INPUT_INVALID for an unknown vendor.
 */
export declare function importWebhook(vendor: WebhookVendor, body: string | Uint8Array): ImportedWebhook;

/**
 * Node entry only: a contact export held in memory; bad rows are located in `rejected`, the rest goes on.
 * @example
 * const { contacts, rejected } = importContacts("hubspot", readFileSync("contacts.csv"), { file: "contacts.csv" });
 */
export declare function importContacts(vendor: ContactExport, bytes: string | Uint8Array, options?: { file?: string }):
  { contacts: ImportedContact[]; rejected: RowProblem[]; warnings: RowProblem[] };

/** Node entry only: Mailgun's webhook HMAC-SHA256 (timestamp + token under the signing key), in constant time. */
export declare function verifyMailgun(input: { signingKey: string; timestamp: string; token: string; signature: string }): boolean;

/** Node entry only: SendGrid's Signed Event Webhook (ECDSA P-256 over timestamp + the raw body). */
export declare function verifySendgrid(input: { key: string; timestamp: string; body: string | Uint8Array; signature: string }):
  { ok: true } | { ok: false; reason: string; message: string };

// Node entry only: retention analytics (issue 8; D36–D42, docs/retention.md)

/** One order. `amount` defaults to 0 (frequency-only data: no spend model). */
export interface Transaction {
  customer: string | number;
  at: Instant;
  amount?: number;
}

/** Orders as columns, for bulk: `at` in epoch ms. */
export interface TransactionColumns {
  customer: Array<string | number>;
  at: number[] | Float64Array;
  amount?: number[] | Float64Array;
}

export interface RetentionOptions {
  /** The end of observation (epoch ms; default Date.now()): later orders are left out. */
  now?: number;
  /** The models' time unit in whole days (default: the playbook's period, 1 or 7 days), e.g. "7d" for weeks. */
  unit?: Duration;
  /** The latest negative rating per customer (D41). */
  negativeRatings?: Array<{ customer: string; at: Instant }>;
  /** A playbook (object or JSON text) whose `retention` section sets cells, thresholds and the CLV horizon. */
  playbook?: Playbook | string;
}

/** Why a model was not fitted: `no_customers`, `too_few_customers`, `no_observation_time`, `no_repeat_buyers`,
 * `no_spend`, `bad_history`, `not_finite`. */
export interface Unfit {
  status: "unfit";
  code: string;
  message: string;
}

export type FitWarning =
  | { kind: "smallBase"; customers: number; advised: number }
  | { kind: "atBound" }
  | { kind: "notConverged"; iterations: number };

export interface Fitted<P> {
  status: "fitted";
  params: P;
  /** Total log-likelihood at `params` (CDNOW: −9582.43). */
  logLikelihood: number;
  customers: number;
  excluded: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  warnings: FitWarning[];
}

/** BG/NBD: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b); alpha in the model's time unit. */
export interface BgNbdParams { r: number; alpha: number; a: number; b: number }
/** Gamma-Gamma spend model (`gamma` is lifetimes' `v`). */
export interface GammaGammaParams { p: number; q: number; gamma: number }

export type ChurnReason =
  | { kind: "pAlive"; pAlive: number; threshold: number; since: number }
  | { kind: "purchaseGap"; days: number; averageGapDays: number; factor: number; since: number }
  | { kind: "activityDrop"; recent: number; expected: number; window: Duration; since: number }
  | { kind: "negativeRating"; since: number };

/** Everything the analysis says about one customer. */
export interface CustomerFigures {
  customer: string;
  /** Repeat purchase periods, first to last period, first period to now (model time unit). */
  frequency: number;
  recency: number;
  age: number;
  /** Mean of the repeat periods' order sums (0 without). */
  monetary: number;
  orders: number;
  total: number;
  first: number;
  last: number;
  rfm: { r: number; f: number; m: number; cell: string | null };
  returning: boolean;
  highValue: boolean;
  active: boolean;
  pAlive: number | null;
  /** Probability of at least one order within the CLV horizon. */
  pReturn: number | null;
  expectedPurchases: number | null;
  expectedOrderValue: number | null;
  clv: number | null;
  churn: { firedAt: number; reasons: ChurnReason[] } | null;
  /** CLV × P(return), for customers with an alert or dormant. */
  winbackPriority: number | null;
  /** Facts to keep on the contact: fold `{ kind: "profile", at: now, props: profile }` (null clears a field).
   * rfm_cell, rfm_score, customer_type, value_tier, activity, p_alive, clv, churn_reason, churn_alert_at,
   * winback_priority. */
  profile: Record<string, string | number | null>;
}

export interface RetentionAnalysis {
  now: number;
  period: "day" | "week";
  unitDays: number;
  horizon: { months: number; periodsPerMonth: number; monthlyDiscount: number };
  bgnbd: Fitted<BgNbdParams> | Unfit;
  gammaGamma: Fitted<GammaGammaParams> | Unfit;
  rfm: {
    breakpoints: { levels: 3 | 5; recencyDays: number[]; frequency: number[]; monetary: number[] };
    /** grid[r − 1][fm − 1]: customers. */
    grid: number[][];
    cells: Array<{ id: string | null; customers: number; revenue: number }>;
  };
  /** Repeat buyers' P(alive) in ten bins [0, 0.1) … [0.9, 1]. */
  pAliveHistogram: number[];
  oneTimeBuyers: number;
  alerts: number;
  kpis: {
    revenue: number;
    returningRevenue: number;
    returningRevenueShare: number;
    returningCustomers: number;
    cohorts: Array<{ month: string; customers: number; retained: number[] }>;
    months: Array<{ month: string; revenue: number; returningRevenue: number; activeAtStart: number; churned: number; churnRate: number }>;
  };
  customers: CustomerFigures[];
}

/**
 * Node entry only: analyses an order log (D36–D42): RFM, BG/NBD and Gamma-Gamma, P(alive), CLV, churn alerts,
 * win-back priority, KPIs. A model that cannot be fitted is `{ status: "unfit", code, message }`, never NaN.
 * @example
 * const a = retention([{ customer: "c1", at: "2026-01-05T10:00:00Z", amount: 25 }, …], { now: Date.now() });
 * for (const c of a.customers) if (c.churn) console.log(c.customer, c.churn.reasons[0].kind, c.winbackPriority);
 * @throws {RekindleError} E_INPUT_INVALID naming the bad order (`transactions[12].amount`) or option;
 * E_PLAYBOOK_INVALID for a bad `playbook`.
 */
export declare function retention(transactions: Transaction[] | TransactionColumns, options?: RetentionOptions): RetentionAnalysis;

/**
 * Node entry only: BG/NBD and Gamma-Gamma fitted on summaries (lifetimes' frequency, recency, T, monetary_value).
 * @example
 * const { bgnbd } = fitRetention({ frequency, recency, T }); // CDNOW: r 0.243, alpha 4.414, a 0.793, b 2.426
 * @throws {RekindleError} E_INPUT_INVALID naming the bad value (`recency[3]`).
 */
export declare function fitRetention(summaries: {
  frequency: number[] | Float64Array;
  recency: number[] | Float64Array;
  T: number[] | Float64Array;
  monetary?: number[] | Float64Array;
}): { bgnbd: Fitted<BgNbdParams> | Unfit; gammaGamma: Fitted<GammaGammaParams> | Unfit | null };
