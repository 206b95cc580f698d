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
  | "subscribe"
  | "purchase"
  | "webinar_registered"
  | "webinar_attended"
  | "profile"
  | "consent"
  | "preferences"
  | "erasure_request"
  | "reactivation_started"
  | "sales_status"
  | "sms_sent"
  | "sms_reply"
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

/**
 * A test on one profile field; `value`'s type depends on `op`. Three-valued and never coerced: a missing
 * field or a value of another type is unknown (only `exists` / `missing` are always known).
 */
export type FieldTest =
  | { op: "eq" | "ne"; value: Scalar }
  | { op: "in" | "not_in"; value: Scalar[] }
  | { op: "lt" | "le" | "gt" | "ge"; value: number }
  /** Inclusive at both ends; low ≤ high. */
  | { op: "between"; value: [low: number, high: number] }
  | { op: "contains" | "starts_with" | "ends_with"; value: string }
  | { op: "exists" | "missing"; value?: never }
  /** The field holds an instant (epoch ms or RFC 3339) strictly before / after `value`. */
  | { op: "before" | "after"; value: Instant }
  /** The field holds an instant within the last `value` (`0 ≤ now − t < D`) / at least `value` old. */
  | { op: "within_last" | "older_than"; value: Duration };

/** A fit rule: a field test worth `points` when it holds. */
export type FitRule = {
  /** Defaults to `field`; unique within the group. */
  id?: string;
  /** A profile field, set by `profile` events. */
  field: string;
  points: number;
} & FieldTest;

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

/** A stage-bar condition: `signal` happened at least `at_least` (default 1) times within the last `within`. */
export interface BarCondition {
  signal: string;
  within: Duration;
  at_least?: number;
}

/** Met iff (every min and every `all` holds and (`any` is empty or one holds)) or one `direct` holds. */
export interface Bar {
  min?: { fit?: number; intent?: number; total?: number };
  all?: BarCondition[];
  any?: BarCondition[];
  direct?: BarCondition[];
}

export interface ReadinessRule {
  /** Default "intent". */
  on?: ScoreName;
  warm: number;
  hot: number;
}

export interface Stages {
  readiness?: ReadinessRule;
  mql?: Bar;
  sql?: Bar;
  /** How long a contact disqualified by sales waits before its bars count again (default "60d", D21). */
  recycle_for?: Duration;
}

/** One name or a non-empty list of names. */
type OneOrMore<T> = T | [T, ...T[]];

/**
 * The condition language shared by segments, sequences and CTAs (docs/playbook.md § segments). Three-valued:
 * true, false or unknown; only true is membership.
 */
export type Condition =
  | { all: [Condition, ...Condition[]] }
  | { any: [Condition, ...Condition[]] }
  | { not: Condition }
  | ({ field: string } & FieldTest)
  /** At least `at_least` (≥ 1, default 1) occurrences within the last `within`. */
  | { signal: string; within: Duration; at_least?: number; at_most?: never }
  /** At most `at_most` occurrences within the last `within` (0 = "zero times"). */
  | { signal: string; within: Duration; at_most: number; at_least?: never }
  /** The latest occurrence is at least `more_than` old / less than `less_than` old; never happened → false. */
  | { last: string; more_than: Duration; less_than?: never }
  | { last: string; less_than: Duration; more_than?: never }
  /** The same on the first occurrence ("30 days after the first order"). */
  | { first: string; more_than: Duration; less_than?: never }
  | { first: string; less_than: Duration; more_than?: never }
  /** Now is within `within` after a 365-day multiple (≥ 1) of the first occurrence. */
  | { anniversary: string; within: Duration }
  | { ever: string }
  | { never: string }
  /** Another segment holds (no cycles). */
  | { segment: string }
  | { stage: OneOrMore<Stage> }
  | { stage_at_least: Stage }
  | { readiness: OneOrMore<ReadinessLevel> }
  | { lifecycle: OneOrMore<Phase> }
  /** A score after decay at now. */
  | { score: ScoreName; op: "ge" | "gt" | "le" | "lt"; value: number }
  /** An RFM cell; unknown (`notComputed`) until retention analytics compute cells. */
  | { rfm: OneOrMore<string> };

/** A named condition tree (D18, D28–D34). */
export interface Segment {
  when: Condition;
  description?: string;
}

/** The re-engagement state machine (D1–D2, D6–D9, D11); every key is optional. */
export interface LifecycleRules {
  /** Sets cooling_after to one cycle and cold_after to two; explicit keys override. */
  sales_cycle?: Duration;
  /** Default "90d". */
  cooling_after?: Duration;
  /** Default "180d"; must be longer than cooling_after. */
  cold_after?: Duration;
  /** Default "on_cold"; "manual" waits for a `reactivation_started` event. */
  reactivation_entry?: "on_cold" | "manual";
  /** Default "14d". */
  soft_reactivation_for?: Duration;
  /** Default "72h". */
  breakup_deadline?: Duration;
  /** Default { min_opens: 5, no_click_for: "90d" }. */
  ghost?: { min_opens?: number; no_click_for?: Duration };
  /** Besides `erasure_request`, these also erase (default none). */
  erase_on?: ("spam_trap" | "hard_bounce" | "spam_complaint")[];
  /** Signals that show intent (`showedIntent`, D6). */
  intent_signals?: string[];
}

/** A rolling frequency cap: at most `max` (1–32) marketing sends of `channel` (or of both: "any") per `per`. */
export interface CapRule {
  channel: Channel | "any";
  max: number;
  per: Duration;
}

/** The send policy (D4, D5, D22, D24, D27); every key is optional. */
export interface Policy {
  caps?: CapRule[];
  /** Local "from-to", [from, to), may wrap midnight: "21:00-08:00". */
  quiet_hours?: string;
  /** The profile field holding the contact's IANA zone (default "timezone"). */
  timezone_field?: string;
  /** An IANA zone for contacts without a known zone (default "UTC"). */
  default_timezone?: string;
  /** The consent purpose each channel needs; null = none (default { email: null, sms: "sms_marketing" }). */
  consent?: { email?: string | null; sms?: string | null };
  /** Deny marketing while a deal is open (default true). */
  stop_during_sales?: boolean;
}

/** One nurture step. */
export interface SequenceStep {
  /** Unique within the sequence. */
  id: string;
  /** Delay after the anchor (absent = at once). */
  after?: Duration;
  /** The anchor: the enrolment (default) or the previous step's send. */
  from?: "enrolment" | "previous";
  channel: Channel;
  /** Your template reference (non-empty). */
  content: string;
  /** A branch rule judged at the step's due time; the step is skipped unless it holds (D23). */
  when?: Condition;
}

/** A nurture sequence (D13–D14, D20–D23, D34, D37). */
export interface Sequence {
  /** Enrols at the first instant this holds. */
  start: Condition;
  /** The run stops at the first instant any holds. */
  stop?: Condition[];
  /** A new run may start this long after the previous one ended (D14); without it, never twice (D22). */
  reenrol_after?: Duration;
  /** Stop after this long without engagement (D13). */
  inactive_stop?: Duration;
  steps: [SequenceStep, ...SequenceStep[]];
  description?: string;
}

/** A call-to-action candidate; list order is priority. */
export interface CtaCandidate {
  id: string;
  /** Eligible when this holds (absent = always). */
  when?: Condition;
  /** Suppressed when this holds or cannot be decided. */
  unless?: Condition;
  /** Your template reference. */
  variant?: string;
  description?: string;
}

/** Call-to-action choice (D17, D25). */
export interface Ctas {
  candidates: CtaCandidate[];
  /** A candidate id, returned with `fallback: true` when none is eligible. */
  default?: string;
}

/** The sales handoff packet's rules (D19); every key is optional. */
export interface HandoffRules {
  /** The sales team's local window (default "09:00-17:00"). */
  business_hours?: string;
  /** Days with business hours (default "mon-fri"; also "mon,wed,fri", "sun-thu"). */
  days?: string;
  /** Time to first contact, in business time (default "15min"). */
  sla?: Duration;
  /** The SLA never exceeds this much business time (default "2h"). */
  max?: Duration;
  /** The sales team's IANA zone (default "UTC"). */
  timezone?: string;
  /** Signals listed as downloaded materials (default: form, webinar and custom signals). */
  assets?: string[];
}

/** The marketer's configuration (docs/playbook.md). Unknown keys are errors. */
export interface Playbook {
  version: 1;
  signals: Record<string, Signal>;
  scores?: { fit?: FitGroup; intent?: IntentGroup };
  stages?: Stages;
  segments?: Record<string, Segment>;
  lifecycle?: LifecycleRules;
  policy?: Policy;
  sequences?: Record<string, Sequence>;
  ctas?: Ctas;
  handoff?: HandoffRules;
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
// Decision (camelCase, what rekindle returns). Instants are epoch milliseconds.

export type ReadinessLevel = "cold" | "warm" | "hot";
/** Forward-only; `opportunity` and `customer` come from `sales_status` events. */
export type Stage = "lead" | "mql" | "sql" | "opportunity" | "customer";
export type ScoreName = "fit" | "intent" | "total";
export type Channel = "email" | "sms";
/** The lifecycle phase (DESIGN §7). */
export type Phase = "active" | "cooling" | "cold" | "soft_reactivation" | "break_up" | "archived" | "erased";
/** Why a condition could not be decided. */
export type UnknownCause = "missing" | "typeMismatch" | "shortHistory" | "notComputed";

export interface Scores {
  fit: number;
  /** After decay at `now`. */
  intent: number;
  total: number;
}

/** The re-engagement lifecycle at `now` (D1–D2, D6–D9). */
export interface LifecycleStatus {
  state: Phase;
  /** When the phase began; null when nothing is known about the contact. */
  since: number | null;
  /** When the phase ends on its own; null when nothing happens without events (manual entry, archived, erased). */
  nextTransitionAt: number | null;
  /** The last return to active from cooling or later: the signal for sales (D7). */
  reactivatedAt: number | null;
  /** Opening without clicking for long (D2). */
  ghost: boolean;
  /** Ever did one of `lifecycle.intent_signals` (D6). */
  showedIntent: boolean;
}

/** A segment membership at `now` (D18, D28–D34). */
export interface Membership {
  id: string;
  /** Only true is membership. */
  member: boolean;
  /** The condition could not be decided. */
  unknown: boolean;
  /** The first instant after now at which membership changes if no event arrives; null within 10 years. */
  nextFlipAt: number | null;
  /** A count over 32 was answered from per-day buckets (nextFlipAt is day-granular then). */
  approximate: boolean;
}

/** A segment the contact entered or left while events were folded (`Engine.update`). */
export interface SegmentDelta {
  segment: string;
  change: "entered" | "exited";
  at: number;
}

/** `Engine.segments`: segment id → true (member), false, or null (cannot be decided). */
export type SegmentMemberships = Record<string, boolean | null>;

/** Why a channel is denied or deferred (`gate` tells which rule). */
export type Gate =
  | { gate: "erased"; since: number | null }
  | { gate: "archived"; since: number | null }
  | { gate: "doNotContact"; reason: "unsubscribed" | "manual" | "bounced" | "complained"; since: number }
  | { gate: "noConsent"; purpose: string; status: "denied" | "unknown" }
  | { gate: "salesConversation"; since: number }
  | { gate: "importantOnly" }
  | { gate: "paused"; until: number }
  /** `until`: when the max-th newest counted send leaves the window. */
  | { gate: "cap"; path: string; channel: Channel | "any"; max: number; per: Duration; sent: number; until: number }
  | { gate: "frequency"; frequency: "weekly" | "monthly" | "important_only"; until: number }
  /** `window` in the contact's local time, `zone` the IANA zone used. */
  | { gate: "quietHours"; window: string; zone: string; until: number };

/** May a marketing message go out on one channel now. */
export type SendVerdict =
  | { verdict: "allow" }
  /** Never, until the contact changes something; `reasons` lists every denying rule. */
  | { verdict: "deny"; reasons: Gate[] }
  /** Not before `until`, the earliest instant every time rule allows; `reasons` are the rules blocking now. */
  | { verdict: "defer"; until: number; reasons: Gate[] };

/** The next nurture step due. */
export interface NextStep {
  sequence: string;
  step: string;
  channel: Channel;
  content: string;
  dueAt: number;
  /** The first instant at or after max(dueAt, now) the send policy allows; null when it denies. */
  sendAt: number | null;
  /** The policy gates that deferred or denied the send. */
  gates: Gate[];
}

/** One sequence's status, in playbook order. */
export interface SequenceStatus {
  id: string;
  status: "not_enrolled" | "enrolled" | "stopped" | "completed";
  enrolledAt: number | null;
  runs: number;
  stoppedAt: number | null;
  /** A stop condition's path (`sequences.welcome.stop[0]`), `opt_out:email` (`sms`, `email,sms`) or `inactive`. */
  stoppedBy: string | null;
  completedAt: number | null;
  doneSteps: string[];
}

/** A higher-priority CTA candidate passed over. */
export interface CtaSkip {
  id: string;
  why: "condition_false" | "condition_unknown" | "suppressed";
  /** Paths of the leaf conditions that decided. */
  decidedBy: string[];
}

/** The call to action to show (D17, D25). */
export interface CtaChoice {
  id: string;
  variant: string | null;
  /** Paths of the winner's `when` leaves that decided (empty without `when`). */
  because: string[];
  skipped: CtaSkip[];
  /** No candidate was eligible: this is the default. */
  fallback: boolean;
}

/** A signal seen in the contact's history (handoff `assets` and `pages`). */
export interface SignalSeen {
  signal: string;
  count: number;
  firstAt: number | null;
  lastAt: number | null;
}

/** The kind of an interaction in the handoff packet (`custom` for custom events). */
export type InteractionKind =
  | "page_view"
  | "form_submit"
  | "cta_click"
  | "email_open"
  | "email_click"
  | "email_reply"
  | "purchase"
  | "webinar_registered"
  | "webinar_attended"
  | "sms_reply"
  | "subscribe"
  | "custom";

/** The sales handoff packet for an SQL (D19). */
export interface Handoff {
  sqlAt: number;
  /** The SLA due time, in business time after sqlAt. */
  dueAt: number;
  overdue: boolean;
  /** The first page view that carried UTM parameters. */
  source: {
    utmSource: string | null;
    utmMedium: string | null;
    utmCampaign: string | null;
    referrer: string | null;
    at: number;
  } | null;
  /** The last 5 interactions, newest first, with the first signal each matched. */
  lastInteractions: { kind: InteractionKind; signal: string | null; at: number }[];
  assets: SignalSeen[];
  pages: SignalSeen[];
  score: Scores;
  /** The 5 largest fit and intent contributions. */
  topReasons: { rule: string; id: string; points: number }[];
}

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
  cause: UnknownCause;
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
export interface SegmentReason {
  kind: "segment";
  segment: string;
  member: boolean;
  unknown: UnknownCause | null;
  /** Paths of the leaf conditions whose values decided. */
  decidedBy: string[];
}
export interface StageReachedReason {
  kind: "stageReached";
  stage: Stage;
  at: number;
}
export interface StepSkippedReason {
  kind: "stepSkipped";
  sequence: string;
  step: string;
  dueAt: number;
  unknown: UnknownCause | null;
  decidedBy: string[];
}
export interface NextStepReason {
  kind: "nextStep";
  /** due / deferred / denied (with sequence and step), or why there is no step. */
  outcome: "due" | "deferred" | "denied" | "not_enrolled" | "stopped" | "completed";
  sequence: string | null;
  step: string | null;
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
  | SegmentReason
  | StageReachedReason
  | StepSkippedReason
  | NextStepReason;

/** Everything rekindle decides for one contact at one instant. */
export interface Decision {
  scores: Scores;
  readiness: ReadinessLevel;
  /** The highest stage reached since the last recycle (forward-only). */
  stage: Stage;
  /** Disqualified by sales and not re-qualified since (D21). */
  recycled: boolean;
  /** Which bars hold now. */
  meets: { mql: boolean; sql: boolean };
  /** Reached MQL once, but its behaviour score slipped under the MQL bar while the SQL bar does not hold (D11). */
  reactivationCandidate: boolean;
  /** The first instant each stage was reached. */
  funnel: { stage: Stage; at: number }[];
  lifecycle: LifecycleStatus;
  /** In playbook order. */
  segments: Membership[];
  send: { email: SendVerdict; sms: SendVerdict };
  /** null when no step is due (the `nextStep` reason says why). */
  nextStep: NextStep | null;
  sequences: SequenceStatus[];
  /** null without candidates or default. */
  cta: CtaChoice | null;
  /** null below SQL or without a `handoff` section. */
  handoff: Handoff | null;
  /** The first instant this decision changes on its own; null when nothing changes without new events. */
  validUntil: number | null;
  reasons: Reason[];
}

/** What `Engine.update` returns. */
export interface Update {
  /** The new state bytes, as `fold` returns them. */
  state: Uint8Array;
  /** Segments entered or exited, in playbook order. */
  deltas: SegmentDelta[];
}

/** A readable view of a state, for debugging; its shape may change between versions. */
export interface StateView {
  updatedAt: number | null;
  firstSeen: number | null;
  lastEngagement: number | null;
  /** Profile fields the playbook reads. */
  profile: { field: string; value: string | number | boolean }[];
  /** Intent accumulators by rule. */
  rules: { id: string; value: number; lastAt: number; count: number; granted: number; capped: boolean }[];
  /** Signal occurrences; `recent` newest first. */
  signals: { id: string; count: number; firstAt: number | null; recent: number[] }[];
  funnel: { stage: Stage; at: number }[];
  /** Do-not-contact entries, per channel. */
  dnc: { channel: Channel; reason: "unsubscribed" | "manual" | "bounced" | "complained"; since: number }[];
  /** Consent by purpose: given (true) or refused / withdrawn (false). */
  consents: { purpose: string; granted: boolean; at: number }[];
  frequency: "weekly" | "monthly" | "important_only" | null;
  pauseUntil: number | null;
  topics: string[];
  /** Marketing sends kept per channel, newest first. */
  sends: { email: number[]; sms: number[] };
  /** The deal status and when it was set. */
  deal: { status: "open" | "won" | "lost" | "disqualified"; at: number } | null;
  recycled: number | null;
  erased: number | null;
  /** Entries for ids no longer in the playbook. */
  orphans: number;
  /** Size of the serialised state. */
  bytes: number;
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
