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
  | "duplicate_key";

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

// ---------------------------------------------------------------------------------------------------------
// Playbook (snake_case, as the marketer writes it)

/** A duration with one unit: "30s", "30min", "48h", "90d", "2w". Months are not a unit (write "30d"). */
export type Duration = `${number}${"s" | "min" | "h" | "d" | "w"}`;

/** UTC milliseconds since the epoch (like Date.now()), or an RFC 3339 string such as "2026-11-01T09:30:00Z". */
export type Instant = number | string;

/** Event kinds; custom ones are written `custom:<name>`. */
export type EventKind =
  | "page_view"
  | "form_submit"
  | "cta_click"
  | "email_sent"
  | "email_open"
  | "email_click"
  | "email_reply"
  | "email_bounce"
  | "spam_complaint"
  | "unsubscribe"
  | "purchase"
  | "webinar_registered"
  | "webinar_attended"
  | "profile"
  | `custom:${string}`;

/** A flat property value; nested objects and arrays are rejected. */
export type PropValue = string | number | boolean | null;

/** A signal: which events count. String match values are case-insensitive globs (`"/pricing*"`). */
export interface Signal {
  kind: EventKind;
  match?: Record<string, string | number | boolean>;
  /** Count machine / privacy-proxy events too (default false). */
  include_machine?: boolean;
}

type Scalar = string | number | boolean;
interface FitRuleBase {
  /** Defaults to `field`; unique within the group. */
  id?: string;
  /** A profile field, set by `profile` events. */
  field: string;
  points: number;
}
/** A fit rule; `value`'s type depends on `op`. */
export type FitRule = FitRuleBase &
  (
    | { op: "eq" | "ne"; value: Scalar }
    | { op: "in" | "not_in"; value: Scalar[] }
    | { op: "lt" | "le" | "gt" | "ge"; value: number }
    | { op: "contains" | "starts_with" | "ends_with"; value: string }
    | { op: "exists" | "missing"; value?: never }
  );

/** Fit does not decay. The group total is clamped to [min, max] when given. */
export interface FitGroup {
  max?: number;
  min?: number;
  rules: FitRule[];
}

/** How an intent rule's accumulator decays: halves every `half_life`, or drains `|points|` per `linear`. */
export type Decay = { half_life: Duration } | { linear: Duration };

export interface IntentRule {
  /** Defaults to the signal id. */
  id?: string;
  /** A key of `signals`. */
  signal: string;
  points: number;
  decay?: Decay;
  /** The accumulator drops to 0 once this long has passed since the rule's last matching event. */
  expire_after?: Duration;
  /** The accumulator never exceeds this (requires points > 0). */
  cap?: number;
}

export interface IntentGroup {
  max?: number;
  rules: IntentRule[];
}

/** `signal` happened at least `at_least` (default 1) times within the last `within`. */
export interface Condition {
  signal: string;
  within: Duration;
  at_least?: number;
}

/** Met iff (every min and every `all` holds and (`any` is empty or one holds)) or one `direct` holds. */
export interface Bar {
  min?: { fit?: number; intent?: number; total?: number };
  all?: Condition[];
  any?: Condition[];
  direct?: Condition[];
}

export interface Readiness {
  /** Default "intent". */
  on?: "intent" | "fit" | "total";
  warm: number;
  hot: number;
}

/** The marketer's configuration (docs/playbook.md). Unknown keys are errors. */
export interface Playbook {
  version: 1;
  signals: Record<string, Signal>;
  scores?: { fit?: FitGroup; intent?: IntentGroup };
  stages?: { readiness?: Readiness; mql?: Bar; sql?: Bar };
}

/** One thing a contact did. Events may arrive in any order; a fold sorts each batch by (at, kind, id). */
export interface ContactEvent {
  at: Instant;
  kind: EventKind;
  /** Orders ties within the same millisecond. */
  id?: string;
  contact?: string;
  /** A machine / privacy-proxy event (default false). */
  machine?: boolean;
  props?: Record<string, PropValue>;
}

// ---------------------------------------------------------------------------------------------------------
// Decision (camelCase, what rekindle returns)

export type ReadinessLevel = "cold" | "warm" | "hot";
export type Stage = "lead" | "mql" | "sql";
export type ScoreName = "fit" | "intent" | "total";

export interface FitRuleReason {
  kind: "fitRule";
  /** Playbook path of the rule, e.g. "scores.fit.rules[0]". */
  rule: string;
  id: string;
  field: string;
  points: number;
}
export interface FitUnknownReason {
  kind: "fitUnknown";
  rule: string;
  id: string;
  field: string;
  cause: "missing" | "typeMismatch";
}
export interface IntentRuleReason {
  kind: "intentRule";
  rule: string;
  id: string;
  signal: string;
  count: number;
  points: number;
  decayedTo: number;
  lastAt: number;
  capped: boolean;
}
export interface RuleExpiredReason {
  kind: "ruleExpired";
  rule: string;
  id: string;
  signal: string;
  lastAt: number;
  expiredAt: number;
}
export interface CapReachedReason {
  kind: "capReached";
  group: "scores.fit" | "scores.intent";
  cap: number;
  dropped: number;
}
export interface ThresholdReason {
  kind: "threshold";
  /** e.g. "stages.readiness.warm", "stages.mql.min.fit". */
  bar: string;
  score: ScoreName;
  needed: number;
  actual: number;
  met: boolean;
}
export interface WindowReason {
  kind: "window";
  /** e.g. "stages.sql.any[0]". */
  condition: string;
  signal: string;
  counted: number;
  needed: number;
  window: Duration;
  met: boolean;
}
export interface StageReachedReason {
  kind: "stageReached";
  stage: Stage;
  at: number;
}
/** Why the decision is what it is, in a documented order (docs/playbook.md). */
export type Reason =
  | FitRuleReason
  | FitUnknownReason
  | IntentRuleReason
  | RuleExpiredReason
  | CapReachedReason
  | ThresholdReason
  | WindowReason
  | StageReachedReason;

export interface Decision {
  scores: { fit: number; intent: number; total: number };
  readiness: ReadinessLevel;
  /** The highest stage ever reached (forward-only). */
  stage: Stage;
  /** Which bars hold now. */
  meets: { mql: boolean; sql: boolean };
  /** Reached MQL once, but the MQL bar no longer holds. */
  reactivationCandidate: boolean;
  /** The first instant each stage was reached. */
  funnel: { stage: Stage; at: number }[];
  reasons: Reason[];
}

/** A readable view of a state; its shape is for debugging and may change between versions. */
export interface StateView {
  [key: string]: unknown;
}

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
   * The decision for a state at `options.now` (default Date.now()): scores, readiness, stage and reasons.
   *
   * @example
   * const { readiness, stage, reasons } = engine.decide(state, { now: Date.now() });
   * @throws {RekindleError} E_INPUT_INVALID when `options.now` is not whole epoch milliseconds (`path` "options.now").
   * @throws {RekindleError} E_STATE_INVALID when `state` is truncated, corrupt or of an unknown version.
   * @throws {RekindleError} E_DISPOSED after free().
   */
  decide(state: Uint8Array | null | undefined, options?: DecideOptions): Decision;

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
