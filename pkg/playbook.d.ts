// Part of the "rekindle" package types; index.d.ts re-exports everything. Formats: docs/playbook.md.
import type { ReadinessLevel, Stage, ScoreName, Channel, StepChannel, Phase } from "./decision.js";
// ---------------------------------------------------------------------------------------------------------
// Playbook (snake_case, as the marketer writes it)

/** A duration with one unit: "30s", "30min", "48h", "90d", "2w". Months are not a unit (write "30d"). */
export type Duration = `${number}${"s" | "min" | "h" | "d" | "w"}`;

/** UTC milliseconds since the epoch (like Date.now()), or an RFC 3339 string such as "2026-11-01T09:30:00Z". */
export type Instant = number | string;

/** Event kinds; custom ones are written `custom:<name>`. */
export type EventKind =
  | "page_view"
  | "page_leave"
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

/**
 * Numeric bounds for a measured prop (`{ ge: 75 }`, `{ gt: 1800, le: 172800 }`): at least one bound, at most one
 * per side. Only numbers match.
 */
export interface Bounds {
  gt?: number;
  ge?: number;
  lt?: number;
  le?: number;
}

/**
 * A signal: which events count. String match values are case-insensitive globs (`"/pricing*"`); numbers and
 * booleans match exactly; {@link Bounds} match numbers within them.
 */
export interface Signal {
  kind: EventKind;
  match?: Record<string, string | number | boolean | Bounds>;
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
  /** The contact's RFM cell (profile field `rfm_cell`, written by retention analytics) is one of these;
   * unknown (`notComputed`) while none is recorded. Cells must be defined in `retention.rfm.cells`. */
  | { rfm: OneOrMore<string> }
  /** The deal status sales last reported (`sales_status` events); `none` when sales never reported one. Always
   * known; changes only with an event. Unlike `stage` (forward-only), it follows a lost deal. */
  | { deal: OneOrMore<DealCondition> }
  /** The lifecycle's ghost-open flag (D2): at least `lifecycle.ghost.min_opens` opens and no click for
   * `no_click_for` — the decision's `lifecycle.ghost`. Turns true with time alone; an event undoes it. */
  | { ghost: boolean };

/** A deal status in a `deal` condition; `none`: sales never reported one. */
export type DealCondition = "open" | "won" | "lost" | "disqualified" | "none";

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
  /** `custom:<name>` signals that also count as engagement (product logins, cart updates); without them custom
   * events never do. Each signal once; built-in kinds are refused (`out_of_range`). */
  engagement_signals?: string[];
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
  /** The consent purpose each channel needs; null = none (default { email: null, sms: "sms_marketing", call: "call",
   * linkedin: "linkedin" }). For a call or LinkedIn task the purpose is an opt-out: only its denial denies. */
  consent?: { email?: string | null; sms?: string | null; call?: string | null; linkedin?: string | null };
  /** Deny marketing while a deal is open (default true). */
  stop_during_sales?: boolean;
  /** The topics (subscription types) a step may belong to: id → the label a preference center shows (D27). */
  topics?: Record<string, string>;
  /** A contact who never chose topics receives none (true) or every one (false, the default). */
  topics_opt_in?: boolean;
}

/** One nurture step. */
export interface SequenceStep {
  /** Unique within the sequence. */
  id: string;
  /** Delay after the anchor (absent = at once). */
  after?: Duration;
  /** The anchor: the enrolment (default), the previous step's send, or the id of an earlier step of the sequence
   * (its send; for either, the due time when that step was not sent). "enrolment" and "previous" are keywords,
   * never step ids here (D34). */
  from?: "enrolment" | "previous" | (string & {});
  /** A send (email, sms) or a task for a person (call, linkedin, D20): a task is not a marketing message (no caps,
   * frequency, topic, important or email/SMS consent); a call waits out quiet hours and 21:00–08:00 local. */
  channel: StepChannel;
  /** Your template reference (non-empty). */
  content: string;
  /** A branch rule judged at the step's due time; the step is skipped unless it holds (D23). */
  when?: Condition;
  /** One of `policy.topics`: a contact who does not receive the topic has the step skipped (D5, D27). Not on a task. */
  topic?: string;
  /** A service notice, sent under "only important messages" (default false); consent and topics still apply. */
  important?: boolean;
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

/** Score bounds on the 1–5 scale: `[low, high]` or one score. */
export type ScoreRange = number | [number, number];

/** A named RFM cell; absent bounds match any score. */
export interface RfmCell {
  id: string;
  r?: ScoreRange;
  f?: ScoreRange;
  m?: ScoreRange;
  /** Bounds on ⌊(f + m)/2⌋. */
  fm?: ScoreRange;
}

/** Retention analytics (D36–D42); every key is optional (docs/playbook.md § retention). */
export interface RetentionRules {
  /** Orders pooled per UTC day or per week from Monday (default "day"); also the models' time unit. */
  period?: "day" | "week";
  /** RFM levels (default 5, or 3 below 100 customers) and cells (first match wins). */
  rfm?: { levels?: 3 | 5; cells?: RfmCell[] };
  /** Active vs dormant: an order within this span (default "90d"). */
  active_within?: Duration;
  /** High value: a monetary score (1–5 scale) of at least this (default 4). */
  high_value?: number;
  /** Early-warning thresholds (D41). */
  churn?: {
    p_alive_below?: number;
    gap_factor?: number;
    activity_drop?: { window?: Duration; ratio?: number };
    negative_rating?: { signal: string; within?: Duration };
  };
  /** CLV horizon in 30-day months (default 12) and discount per month (default 0.01). */
  clv?: { months?: number; monthly_discount?: number };
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
  retention?: RetentionRules;
  contacts?: ContactsSection;
}

/**
 * How `rekindle plan` reads a generic contacts CSV: the headers of the contact's own columns and profile fields
 * under other names (docs/playbook.md § contacts). Headers match trimmed, in any letter case.
 */
export interface ContactsSection {
  columns?: {
    /** Header of the email column. Default "email". */
    email?: string;
    /** Header of the export's id column; named here, the file must have it. Default "id". */
    id?: string;
    /** Header of the creation instant (RFC 3339 or epoch ms); named here, the file must have it. Default "created_at". */
    created_at?: string;
    /** Header → profile field name, e.g. { "Job Title": "role" }. */
    fields?: Record<string, string>;
  };
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
