// Part of the "rekindle" package types; index.d.ts re-exports everything. Formats: docs/playbook.md.
import type { Duration } from "./playbook.js";
// ---------------------------------------------------------------------------------------------------------
// Decision (camelCase, what rekindle returns). Instants are epoch milliseconds.

export type ReadinessLevel = "cold" | "warm" | "hot";
/** Forward-only; `opportunity` and `customer` come from `sales_status` events. */
export type Stage = "lead" | "mql" | "sql" | "opportunity" | "customer";
export type ScoreName = "fit" | "intent" | "total";
export type Channel = "email" | "sms";
/** A step's channel: a marketing send (`Channel`) or a task for a person, `call` / `linkedin` (D20). */
export type StepChannel = Channel | "call" | "linkedin";
/** The lifecycle phase (DESIGN §7). */
export type Phase = "active" | "cooling" | "cold" | "soft_reactivation" | "break_up" | "archived" | "erased";
/** Why a condition could not be decided. */
export type UnknownCause = "missing" | "typeMismatch" | "shortHistory" | "notComputed" | "dropped";

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
  /** `pending` (with `until`, in a deferral): a grant stamped after the decision's instant, in effect from `until`. */
  | { gate: "noConsent"; purpose: string; status: "denied" | "unknown" | "pending"; until?: number }
  /** In a deferral, `since` null and `until` the instant a close stamped after the decision's instant lifts the stop. */
  | { gate: "salesConversation"; since: number | null; until?: number }
  | { gate: "importantOnly" }
  /** A step's topic is not one the contact receives (they chose topics without it, or topics are opt-in and they chose none); in `stepSkipped` reasons. */
  | { gate: "topic"; topic: string; status: "opted_out" | "not_opted_in" }
  | { gate: "paused"; until: number }
  /** `until`: when the max-th newest counted send leaves the window. */
  | {
      gate: "cap";
      path: string;
      channel: Channel | "any";
      max: number;
      per: Duration;
      sent: number;
      until: number;
      /** Present when older sends the state dropped may be in the window: held until they have surely left. */
      unsure?: true;
    }
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
  /** `call` / `linkedin`: a task for a person, marked done by a `custom:task_done` event carrying sequence and step. */
  channel: StepChannel;
  content: string;
  dueAt: number;
  /** The first instant at or after max(dueAt, now) the send policy (for a task: its own gates) allows; null when
   * it denies. */
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
  /** Occurrences at or before `now` (only the first, 1, when every instant the state kept lies after `now`). */
  count: number;
  firstAt: number | null;
  /** The latest at or before `now`; `null` when it is not known (instants stamped after `now` displaced it). */
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
  /** At or before `now`, newest first: at most 5 (fewer when ones stamped after `now` took their places). */
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
  /** The gate that made the step unwanted (`topic` or `importantOnly`), when that is why it was skipped; [] for a branch rule. */
  gates: Gate[];
}
export interface NextStepReason {
  kind: "nextStep";
  /** due / deferred / denied (with sequence and step), or why there is no step (`stopped`: the sequence whose latest stop left none). */
  outcome: "due" | "deferred" | "denied" | "not_enrolled" | "stopped" | "completed";
  sequence: string | null;
  step: string | null;
}
export interface NoCtaReason {
  kind: "noCta";
  /** `erased`: terminal for everything (D9); `none_eligible`: no candidate holds and the playbook names no default. */
  why: "erased" | "none_eligible";
  /** With `none_eligible`: every candidate in priority order and why it was passed over; [] when erased. */
  skipped: CtaSkip[];
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
  | NextStepReason
  | NoCtaReason;

/** Why a contact is not in the retargeting audience, the first that applies in this order. */
export type RetargetingExclusion =
  | "outside_window"
  | "erased"
  | "unsubscribed"
  | "complained"
  | "bounced"
  | "ads_consent_withdrawn"
  | "ads_consent_missing"
  | "sales_conversation";
export type Retargeting = { status: "member"; until: number } | { status: "excluded"; why: RetargetingExclusion };

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
  /** A marketing message of no topic, not marked important, per channel. */
  send: { email: SendVerdict; sms: SendVerdict };
  /** null when no step is due (the `nextStep` reason says why). */
  nextStep: NextStep | null;
  sequences: SequenceStatus[];
  /** null without candidates, when none is eligible and there is no default, and for an erased contact (erased is
   * terminal for everything); with candidates, the `noCta` reason says which. */
  cta: CtaChoice | null;
  /** null below SQL or without a `handoff` section. */
  handoff: Handoff | null;
  /** In the retargeting audience (break-up and the 30 days after it ended without a reaction; D10, D22, D35) until
   * `until`, or why not: the same verdict `rekindle plan`'s ad audience files use. */
  retargeting: Retargeting;
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
  /** Chosen topics (empty: every topic, or none chosen yet — `topicsChosenAt` tells which). */
  topics: string[];
  /** When the contact last chose topics; null if never (under `topics_opt_in`: no topic yet). */
  topicsChosenAt: number | null;
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
