// Types of what only the Node entry adds: the vendor adapters (the CLI's decoders) for plugin authors and the
// retention analytics. Re-exported by node.d.ts only.
import type { ContactEvent, Duration, Instant, Playbook } from "./playbook.js";

// ---------------------------------------------------------------------------------------------------------
// Node entry only: compiling playbooks

/**
 * A playbook (object or JSON text) validated and compiled to the bytes `new Engine(bytes)` reads in every build —
 * what `rekindle compile` writes. Compile at build time, where every problem is reported; ship the bytes. They are
 * read by the same rekindle version that wrote them.
 * @throws {RekindleError} E_PLAYBOOK_INVALID listing every problem in `details.problems`, as `new Engine` does.
 */
export declare function compilePlaybook(playbook: Playbook | string): Uint8Array;

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
 * A body longer than the vendor sends (1 MiB; Postmark 16 MiB) is refused before it is copied into wasm memory.
 * @throws {RekindleError} E_IMPORT_INVALID (`path: "body"`) when the body is not the vendor's shape, is another
 * vendor's, is not UTF-8, nests deeper than 64, or is over a limit (the message names the size and the limit);
 * E_INPUT_INVALID for an unknown vendor.
 */
export declare function importWebhook(vendor: WebhookVendor, body: string | Uint8Array): ImportedWebhook;

/**
 * Node entry only: a contact export held in memory; bad rows are located in `rejected`, the rest goes on.
 * @example
 * const { contacts, rejected } = importContacts("hubspot", readFileSync("contacts.csv"), { file: "contacts.csv" });
 */
export declare function importContacts(vendor: ContactExport, bytes: string | Uint8Array, options?: { file?: string }):
  { contacts: ImportedContact[]; rejected: RowProblem[]; warnings: RowProblem[] };

/**
 * Node entry only: whether a signed delivery is fresh — signed (`timestamp`, Unix seconds as sent) within
 * `tolerance` (default "5min", as `rekindle plan`) of `receivedAt` (epoch ms, default now). Call it after
 * `verifySendgrid` / `verifyMailgun`, which say who signed, not when.
 * @example
 * const fresh = checkSignatureAge(req.headers["x-twilio-email-event-webhook-timestamp"], { receivedAt: Date.now() });
 * if (!fresh.ok) return reject(400, fresh.message);
 */
export declare function checkSignatureAge(timestamp: string, options?: { receivedAt?: number; tolerance?: string }):
  { ok: true } | { ok: false; reason: "signature_expired" | "signature_from_future" | "bad_signature_timestamp"; message: string };

/** Node entry only: Mailgun's webhook HMAC-SHA256 (timestamp + token under the signing key), in constant time. */
export declare function verifyMailgun(input: { signingKey: string; timestamp: string; token: string; signature: string }): boolean;

/**
 * Node entry only: SendGrid's Signed Event Webhook (ECDSA P-256 over timestamp + the raw body).
 * @throws {RekindleError} E_IMPORT_INVALID when the body is over SendGrid's 1 MiB, before it is copied.
 */
export declare function verifySendgrid(input: { key: string; timestamp: string; body: string | Uint8Array; signature: string }):
  { ok: true } | { ok: false; reason: string; message: string };

// Node entry only: retention analytics (D36–D42 of docs/domain.md; docs/retention.md)

/** One order. `amount` defaults to 0 (frequency-only data: no spend model); a refund is refused: net it into
 * its order's amount first. `at` in epoch milliseconds (a number below 1e11 looks like seconds and is refused)
 * or RFC 3339. An `id` repeated with the same order counts once (`duplicateOrders`), with another customer,
 * instant or amount is refused; one `currency` per analysis (a second one is refused). */
export interface Transaction {
  customer: string | number;
  at: Instant;
  amount?: number;
  id?: string | number | null;
  currency?: string | null;
}

/** Orders as columns, for bulk: `at` in epoch ms (RFC 3339 strings are read too); one entry per order. */
export interface TransactionColumns {
  customer: Array<string | number>;
  at: Array<number | string> | Float64Array;
  amount?: number[] | Float64Array;
  id?: Array<string | number | null>;
  currency?: Array<string | null>;
}

export interface RetentionOptions {
  /** The end of observation (epoch ms; default Date.now()): later orders are left out. */
  now?: number;
  /** The models' time unit in whole days (default: the playbook's period, 1 or 7 days), e.g. "7d" for weeks. */
  unit?: Duration;
  /** The latest negative rating per customer (D41). */
  negativeRatings?: Array<{ customer: string; at: Instant }>;
  /** Each customer's owner (e.g. the CRM's contact owner), named in `alertList` (D41); absent: unassigned. */
  owners?: Array<{ customer: string; owner: string }>;
  /** The churn reason a customer stated (exit survey, ticket; D39), kept beside the behavioural reasons and in
   * `profile.churn_reason_stated`, never replaced by them. */
  statedReasons?: Array<{ customer: string; reason: string; at?: Instant | null }>;
  /** When a win-back campaign started for a customer, one entry per start: measured in `winback` (D42). */
  winbackStarts?: Array<{ customer: string; at: Instant }>;
  /** NPS survey answers (a whole `score` 0–10): `kpis.nps` per month, the latest answer per customer (D38). */
  npsAnswers?: Array<{ customer: string; at: Instant; score: number }>;
  /** Referrals a customer made (`referred`: the new customer's id, if known): `kpis.referrals` per month (D38). */
  referrals?: Array<{ customer: string; at: Instant; referred?: string | null }>;
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
  /** atBound: a parameter ended on the optimiser's box. noFiniteMean: Gamma-Gamma's q ≤ 1, no expected order
   * value exists (status "noFiniteMean"; docs/retention.md says what to do). */
  | { kind: "atBound" | "noFiniteMean" }
  | { kind: "notConverged"; iterations: number };

/** A fit. Gamma-Gamma's `status` may be "noFiniteMean" (q ≤ 1, warning `noFiniteMean`): the spend has no finite
 * mean, so expected order values, CLV and win-back priority are null. */
export interface Fitted<P, S extends "fitted" | "noFiniteMean" = "fitted"> {
  status: S;
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
  | { kind: "negativeRating"; since: number }
  /** A one-time buyer silent for longer than the base's median time to a second purchase × gap_factor
   * (typicalRepeatDays null: nobody bought twice, the threshold is active_within). */
  | { kind: "noRepeat"; days: number; typicalRepeatDays: number | null; thresholdDays: number; since: number };

/** Win-back starts of one group: lapsed customers entered (n), returned within the window, lost (window over),
 * open (window running at `now`); returnedShare = returned / (returned + lost), null while none is decided. */
export interface WinbackTally {
  entered: number;
  returned: number;
  lost: number;
  open: number;
  returnedShare: number | null;
  /** The returners' orders within their windows. */
  revenue: number;
}

/** An early-warning alert as a work item (D41): oldest first. */
export interface OwnedAlert {
  customer: string;
  /** The signal that fired first: "p_alive" | "purchase_gap" | "activity_drop" | "negative_rating" | "no_repeat". */
  kind: string;
  /** Every signal that holds. */
  signals: string[];
  /** Why, in figures ("170 days since the last order, over 2 × the customer's average gap of 30 days"). */
  why: string;
  since: number;
  /** null: unassigned. */
  owner: string | null;
  statedReason: { reason: string; at: number | null } | null;
  winbackPriority: number | null;
}

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
  /** BG/NBD's P(alive), for repeat buyers; null for a one-time buyer (the model holds them alive whatever their
   * silence: see the `noRepeat` alert) and when BG/NBD is not fitted. */
  pAlive: number | null;
  /** Probability of at least one order within the CLV horizon (an upper bound for a one-time buyer). */
  pReturn: number | null;
  expectedPurchases: number | null;
  expectedOrderValue: number | null;
  clv: number | null;
  churn: { firedAt: number; reasons: ChurnReason[] } | null;
  /** CLV × P(return), for customers with an alert or dormant. */
  winbackPriority: number | null;
  /** The owner given in `options.owners` (null: unassigned). */
  owner: string | null;
  /** The churn reason the customer stated (options.statedReasons). */
  statedReason: { reason: string; at: number | null } | null;
  /** Facts to keep on the contact: fold `{ kind: "profile", at: now, props: profile }` (null clears a field).
   * rfm_cell, rfm_score, customer_type, value_tier, activity, p_alive, clv, churn_reason (p_alive, purchase_gap,
   * activity_drop, negative_rating, no_repeat), churn_alert_at, winback_priority. */
  profile: Record<string, string | number | null>;
}

export interface RetentionAnalysis {
  now: number;
  period: "day" | "week";
  unitDays: number;
  horizon: { months: number; periodsPerMonth: number; monthlyDiscount: number };
  bgnbd: Fitted<BgNbdParams> | Unfit;
  gammaGamma: Fitted<GammaGammaParams, "fitted" | "noFiniteMean"> | Unfit;
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
  /** Orders left out because their `id` repeated an earlier order's (the same order exported twice). */
  duplicateOrders: number;
  /** The base's median days from a first order to a second purchase (null: nobody bought twice). */
  typicalRepeatDays: number | null;
  kpis: {
    revenue: number;
    returningRevenue: number;
    returningRevenueShare: number;
    returningCustomers: number;
    cohorts: Array<{ month: string; customers: number; retained: number[] }>;
    months: Array<{ month: string; revenue: number; returningRevenue: number; activeAtStart: number; churned: number; churnRate: number }>;
    /** Net Promoter Score per month (promoters 9–10 minus detractors 0–6, in points of 100); `lowSample` under 30
     * answers; `superseded` answers replaced by a later one the same month, `outside` answers out of the window. */
    nps: {
      months: Array<{ month: string; answers: number; promoters: number; passives: number; detractors: number; nps: number; lowSample: boolean }>;
      superseded: number;
      outside: number;
    };
    /** Referrals per month, and the share of the month's new customers a referral named (null without new ones). */
    referrals: {
      months: Array<{ month: string; referrals: number; newCustomers: number; referred: number; referredShare: number | null }>;
      outside: number;
    };
  };
  /** The win-back plan measured (D42; docs/retention.md): lapsed = last order before the start at least
   * `window` (active_within) old; returned = an order in [start, start + window). */
  winback: {
    /** The window, e.g. "90d". */
    window: Duration;
    total: WinbackTally;
    months: Array<{ month: string } & WinbackTally>;
    afterNow: number;
    notCustomers: number;
    activeAtStart: number;
    repeatStarts: number;
  };
  /** Every alert with its owner, why and since when (D41), oldest first. */
  alertList: OwnedAlert[];
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
}): { bgnbd: Fitted<BgNbdParams> | Unfit; gammaGamma: Fitted<GammaGammaParams, "fitted" | "noFiniteMean"> | Unfit | null };
