// Type-level usage of the "rekindle" package as a Node project resolves it (module nodenext: the exports map's
// `node` condition, node.d.ts). Checked by `tsc --noEmit -p tests/types`; every @ts-expect-error must be an error,
// so misuse is caught too. The browser and workerd entries have their own projects: tests/types/{browser,workerd}.
import {
  ERROR_CODES,
  Engine,
  RekindleError,
  init,
  version,
  Keys,
  SESSION_GAP_MS,
  pageViewProps,
  importContacts,
  importWebhook,
  verifyMailgun,
  verifySendgrid,
  retention,
  fitRetention,
  compilePlaybook,
  type PlaybookTopics,
  type RetentionAnalysis,
  type ContactEvent,
  type Decision,
  type StepChannel,
  type ErrorCode,
  type Playbook,
  type Condition,
  type Gate,
  type Reason,
  type SegmentMemberships,
  type SendVerdict,
  type StateView,
  type Update,
} from "rekindle";
// The node entry exports none of the browser entry's additions, so its types must not declare them.
import {
  // @ts-expect-error browser only: node.js does not export startTracker
  startTracker,
  // @ts-expect-error browser only: node.js does not export loadState
  loadState,
  // @ts-expect-error browser only: node.js does not export Tracker
  Tracker,
  // @ts-expect-error browser only: node.js does not export CtaElement
  CtaElement,
  // @ts-expect-error browser only: node.js does not export defineElements
  defineElements,
} from "rekindle";

const playbook: Playbook = {
  version: 1,
  contacts: { columns: { email: "E-mail Address", id: "Customer ID", fields: { "Job Title": "role" } } },
  signals: {
    pricing_visit: { kind: "page_view", match: { path: "/pricing*" } },
    demo_request: { kind: "form_submit", match: { form: "demo" } },
    webinar: { kind: "custom:webinar_join", include_machine: false },
  },
  scores: {
    fit: {
      max: 50,
      rules: [
        { id: "decision_maker", field: "role", op: "in", value: ["VP", "CTO"], points: 20 },
        { id: "mid_market", field: "company_size", op: "ge", value: 50, points: 15 },
        { field: "email", op: "exists", points: 1 },
      ],
    },
    intent: {
      max: 100,
      rules: [
        { id: "pricing", signal: "pricing_visit", points: 15, decay: { half_life: "7d" }, expire_after: "30d", cap: 45 },
        { id: "demo", signal: "demo_request", points: 40, decay: { linear: "14d" } },
      ],
    },
  },
  stages: {
    readiness: { on: "intent", warm: 15, hot: 40 },
    mql: { min: { fit: 20, intent: 20 } },
    sql: { min: { total: 60 }, direct: [{ signal: "demo_request", within: "7d", at_least: 1 }] },
    recycle_for: "60d",
  },
  segments: {
    decision_makers: { when: { field: "role", op: "in", value: ["CEO", "CTO"] }, description: "Persona" },
    mid_market: { when: { field: "company_size", op: "between", value: [50, 999] } },
    pricing_intent: { when: { signal: "pricing_visit", within: "7d", at_least: 2 } },
    quiet: { when: { signal: "pricing_visit", within: "30d", at_most: 0 } },
    lapsed: {
      when: {
        all: [
          { last: "pricing_visit", more_than: "90d" },
          { not: { segment: "pricing_intent" } },
          { any: [{ stage: ["mql", "sql"] }, { stage_at_least: "opportunity" }, { readiness: "hot" }] },
          { lifecycle: ["cold", "soft_reactivation"] },
          { score: "intent", op: "lt", value: 10 },
          { field: "signed_up", op: "older_than", value: "30d" },
          { field: "trial_end", op: "before", value: "2026-01-01T00:00:00Z" },
        ],
      },
    },
    anniversary: { when: { anniversary: "demo_request", within: "7d" } },
    first_month: { when: { first: "demo_request", less_than: "30d" } },
    champions: { when: { rfm: ["champions", "loyal"] } },
    never_demo: { when: { never: "demo_request" } },
    lost_or_no_deal: { when: { deal: ["lost", "none"] } },
    ever_demo: { when: { ever: "demo_request" } },
  },
  lifecycle: {
    sales_cycle: "45d",
    reactivation_entry: "manual",
    ghost: { min_opens: 5, no_click_for: "90d" },
    erase_on: ["spam_trap", "hard_bounce"],
    intent_signals: ["demo_request"],
    engagement_signals: ["webinar"],
  },
  policy: {
    caps: [{ channel: "email", max: 3, per: "7d" }, { channel: "any", max: 4, per: "7d" }],
    quiet_hours: "21:00-08:00",
    default_timezone: "Europe/Warsaw",
    consent: { email: null, sms: "sms_marketing" },
    stop_during_sales: true,
  },
  sequences: {
    welcome: {
      start: { signal: "demo_request", within: "1d" },
      stop: [{ ever: "pricing_visit" }, { stage_at_least: "sql" }],
      reenrol_after: "30d",
      inactive_stop: "60d",
      steps: [
        { id: "deliver", channel: "email", content: "welcome/deliver" },
        { id: "nudge", after: "2d", from: "previous", channel: "sms", content: "welcome/nudge", when: { ever: "webinar" } },
        { id: "first_call", after: "3d", channel: "call", content: "tasks/first_call" },
        { id: "connect", after: "4d", channel: "linkedin", content: "tasks/connect" },
        { id: "recap", after: "7d", from: "deliver", channel: "email", content: "welcome/recap" },
      ],
    },
  },
  ctas: {
    candidates: [
      { id: "book_demo", when: { readiness: "hot" }, unless: { any: [{ deal: "open" }, { stage: "customer" }] }, variant: "cta/demo" },
      { id: "checklist", variant: "cta/checklist", description: "always" },
    ],
    default: "checklist",
  },
  handoff: { business_hours: "09:00-17:00", days: "mon-fri", sla: "15min", max: "2h", timezone: "Europe/Berlin", assets: ["webinar"] },
};

const events: ContactEvent[] = [
  { at: 1764547200000, kind: "page_view", props: { path: "/pricing" } },
  { at: "2025-12-01T00:00:00Z", kind: "profile", id: "p1", props: { role: "CTO", company_size: 120, nickname: null } },
];

export async function main(): Promise<string> {
  await init();
  await init({ url: new URL("https://cdn.example/rekindle.wasm") });
  const v: string = version();

  using engine = new Engine(playbook);
  const fromJson = new Engine(JSON.stringify(playbook));
  fromJson.free();
  // Node compiles (for the browser and edge builds) and reads both forms.
  const compiled: Uint8Array = compilePlaybook(playbook);
  const fromBytes = new Engine(compiled);
  const topics: PlaybookTopics = fromBytes.topics();
  const labels: string[] = topics.topics.map((t) => t.label);
  const optIn: boolean = topics.optIn;
  void labels;
  void optIn;
  new Engine(compiled.buffer as ArrayBuffer).free();
  compilePlaybook(JSON.stringify(playbook));
  // @ts-expect-error compilePlaybook takes a playbook, not its compiled bytes
  compilePlaybook(compiled);
  fromBytes.free();

  let state: Uint8Array = engine.fold(null, events);
  state = engine.fold(state, [{ at: 1764547300000, kind: "email_click", machine: true }]);
  const decision: Decision = engine.decide(state, { now: Date.now() });
  const later: Decision = engine.decide(state);
  const once: Decision = engine.evaluate(events, { now: 1764547200000 });
  const view: StateView = engine.inspect(state);
  const consent: string[] = view.consents.map((c) => `${c.purpose} ${c.granted} ${c.at}`);
  const dealStatus: string | undefined = view.deal?.status;

  const updated: Update = engine.update(state, [{ at: 1764547400000, kind: "sales_status", props: { status: "open" } }]);
  state = updated.state;
  const entered: string[] = updated.deltas.filter((d) => d.change === "entered").map((d) => `${d.segment}@${d.at}`);
  const members: SegmentMemberships = engine.segments(state, { now: 1764547500000 });
  const intent: boolean | null | undefined = members["pricing_intent"];
  const fresh: SegmentMemberships = engine.segments(null);
  const plan = planning(decision);

  const total: number = decision.scores.total + later.scores.fit + once.scores.intent;
  const hot: boolean = decision.readiness === "hot" && decision.stage !== "lead" && decision.meets.sql;
  for (const reason of decision.reasons) describe(reason);

  const keys = new Keys("2026-11:00");
  const opened = keys.openState("c1.x", { now: 1 });
  const openedBytes: number = opened.ok ? opened.state.length : opened.reason.length;
  const visit = keys.openContact(engine, null, { now: 1 });
  const visitReason: string | undefined = visit.opened ? undefined : visit.reason;
  void [visit.contact.updatedAt(), visitReason];
  const verified = keys.verifyToken("v1.x", { purpose: "unsubscribe" });
  const who: string = verified.ok ? verified.token.contact : verified.reason;
  const sealed: string = keys.sealState(engine.contact(null), { expiresAt: 2 });
  const lastSeen: number | null = engine.contact(null).updatedAt();
  const pageView = pageViewProps({ url: "https://x.test/pricing?utm_source=a", referrer: null, lastSeen: 1, now: SESSION_GAP_MS + 2 });
  const imported = importWebhook("sendgrid", "[]");
  const firstKind = imported.events[0]?.kind;
  const rows = importContacts("hubspot", new Uint8Array(), { file: "x.csv" });
  const rejectedAt: string | undefined = rows.rejected[0]?.at;
  const sg = verifySendgrid({ key: "k", timestamp: "1", body: "{}", signature: "s" });
  void [firstKind, rejectedAt, sg.ok ? "ok" : sg.reason, verifyMailgun({ signingKey: "k", timestamp: "1", token: "t", signature: "s" })];
  void [churnRisk(retention([{ customer: "c1", at: "2026-01-05T10:00:00Z", amount: 25 }], { now: 1, unit: "7d" }))];
  const fitted = fitRetention({ frequency: new Float64Array([2]), recency: [30.4], T: [38.9] }).bgnbd;
  void [fitted.status === "fitted" ? fitted.params.alpha : fitted.code];
  // @ts-expect-error the unit is a duration like "7d"
  retention([], { unit: 7 });
  // @ts-expect-error an order needs its customer
  retention([{ at: 1, amount: 2 }]);
  void [pageView["path"], openedBytes, who, sealed, keys.signToken({ purpose: "preferences", contact: "c", issuedAt: 1, expiresAt: 2 })];
  return [v, total, hot, view.bytes, consent, dealStatus, entered, intent, fresh, plan].join(" ");
}

/** Reads a retention analysis, narrowing models by status and churn reasons by kind. */
function churnRisk(a: RetentionAnalysis): string {
  const model = a.bgnbd.status === "fitted" ? `r=${a.bgnbd.params.r} LL=${a.bgnbd.logLikelihood}` : a.bgnbd.code;
  const out = [model, `${a.rfm.breakpoints.levels} levels`, `${a.kpis.returningRevenueShare}`];
  for (const c of a.customers) {
    for (const r of c.churn?.reasons ?? []) {
      if (r.kind === "purchaseGap") out.push(`${c.customer}: ${r.days} d vs ${r.averageGapDays} d`);
      else if (r.kind === "pAlive") out.push(`${c.customer}: P(alive) ${r.pAlive}`);
    }
    const cell: string | null = c.rfm.cell;
    out.push(`${cell} ${c.winbackPriority ?? "-"} ${c.profile["churn_reason"] ?? ""}`);
  }
  return out.join("\n");
}

/** Reads every new part of a decision, narrowing each union by its tag. */
function planning(d: Decision): string {
  const out: string[] = [`${d.lifecycle.state} since ${d.lifecycle.since ?? "never"} → ${d.lifecycle.nextTransitionAt}`];
  if (d.lifecycle.ghost || d.lifecycle.showedIntent || d.lifecycle.reactivatedAt !== null) out.push("lifecycle flags");
  for (const m of d.segments) out.push(`${m.id}: ${m.unknown ? "unknown" : m.member} until ${m.nextFlipAt ?? "∞"}${m.approximate ? "~" : ""}`);
  out.push(verdict("email", d.send.email), verdict("sms", d.send.sms));
  const ads: string = d.retargeting.status === "member" ? `retarget until ${d.retargeting.until}` : `no ads: ${d.retargeting.why}`;
  out.push(ads);
  if (d.nextStep !== null) {
    const { sequence, step, channel, content, dueAt, sendAt, gates } = d.nextStep;
    out.push(`${sequence}/${step} via ${channel} ${who(channel)} (${content}) due ${dueAt} send ${sendAt ?? "denied"} ${gates.map(gate).join()}`);
  }
  for (const s of d.sequences) {
    const ended: number | null = s.status === "stopped" ? s.stoppedAt : s.completedAt;
    out.push(`${s.id} ${s.status} ${s.enrolledAt} ×${s.runs} ${ended} ${s.stoppedBy ?? ""} ${s.doneSteps.join()}`);
  }
  if (d.cta !== null) {
    const skipped = d.cta.skipped.map((k) => `${k.id}:${k.why === "suppressed" ? "suppressed" : k.why}(${k.decidedBy.join()})`);
    out.push(`cta ${d.cta.id} ${d.cta.variant ?? ""} ${d.cta.fallback} ${d.cta.because.join()} ${skipped.join()}`);
  }
  if (d.handoff !== null) {
    const h = d.handoff;
    const source = h.source === null ? "direct" : `${h.source.utmSource ?? "?"}/${h.source.utmMedium ?? "?"}`;
    const touches = h.lastInteractions.map((i) => `${i.kind}:${i.signal ?? "-"}@${i.at}`);
    const seen = [...h.assets, ...h.pages].map((a) => `${a.signal}×${a.count} ${a.firstAt}-${a.lastAt}`);
    const top = h.topReasons.map((r) => `${r.rule} ${r.id} ${r.points}`);
    out.push(`handoff ${h.sqlAt} due ${h.dueAt} ${h.overdue} ${source} ${touches} ${seen} ${h.score.total} ${top}`);
  }
  const stage: "opportunity" | "customer" | undefined = d.stage === "opportunity" || d.stage === "customer" ? d.stage : undefined;
  out.push(`${stage} ${d.recycled} ${d.validUntil ?? "stable"} ${d.funnel.map((f) => f.stage).join()}`);
  return out.join("\n");
}

// Exhaustive: a channel added to StepChannel must be named here.
function who(channel: StepChannel): string {
  switch (channel) {
    case "email":
    case "sms":
      return "send";
    case "call":
    case "linkedin":
      return "task";
    default: {
      const never: never = channel;
      return never;
    }
  }
}

function verdict(channel: string, v: SendVerdict): string {
  switch (v.verdict) {
    case "allow":
      return `${channel}: allow`;
    case "deny":
      return `${channel}: deny ${v.reasons.map(gate).join()}`;
    case "defer":
      return `${channel}: defer until ${v.until} ${v.reasons.map(gate).join()}`;
  }
}

function gate(g: Gate): string {
  switch (g.gate) {
    case "erased":
    case "archived":
      return `${g.gate} ${g.since ?? "?"}`;
    case "doNotContact":
      return `dnc ${g.reason} ${g.since}`;
    case "noConsent":
      return `no ${g.purpose} consent (${g.status})`;
    case "salesConversation":
      return `sales since ${g.since}`;
    case "importantOnly":
      return "important only";
    case "topic":
      return `topic ${g.topic} ${g.status === "opted_out" ? "opted out" : "not opted in"}`;
    case "paused":
      return `paused until ${g.until}`;
    case "cap":
      return `${g.path} ${g.channel} ${g.sent}/${g.max} per ${g.per} until ${g.until}`;
    case "frequency":
      return `${g.frequency} until ${g.until}`;
    case "quietHours":
      return `quiet ${g.window} ${g.zone} until ${g.until}`;
  }
}

function describe(reason: Reason): string {
  switch (reason.kind) {
    case "fitRule":
      return `${reason.id} +${reason.points}`;
    case "fitUnknown":
      return `${reason.field} ${reason.cause === "missing" ? "missing" : "typeMismatch"}`;
    case "intentRule":
      return `${reason.signal} ×${reason.count} → ${reason.decayedTo} ${reason.capped}`;
    case "ruleExpired":
      return `${reason.id} expired at ${reason.expiredAt}`;
    case "capReached":
      return `${reason.group} dropped ${reason.dropped}`;
    case "threshold":
      return `${reason.bar} ${reason.score} ${reason.actual}/${reason.needed} ${reason.met}`;
    case "window":
      return `${reason.condition} ${reason.counted}/${reason.needed} in ${reason.window}`;
    case "segment":
      return `${reason.segment} ${reason.member} ${reason.unknown ?? "known"} ${reason.decidedBy.join()}`;
    case "stageReached":
      return `${reason.stage} at ${reason.at}`;
    case "stepSkipped":
      return `${reason.sequence}/${reason.step} skipped at ${reason.dueAt} ${reason.unknown} ${reason.decidedBy.join()}`;
    case "nextStep":
      return `${reason.outcome} ${reason.sequence ?? ""}/${reason.step ?? ""}`;
    case "noCta":
      return `no cta: ${reason.why} ${reason.skipped.map((s) => `${s.id} ${s.why}`).join()}`;
  }
}

export function handle(err: unknown): ErrorCode | undefined {
  if (err instanceof RekindleError) {
    const problems = err.details?.problems ?? [];
    const paths: string[] = problems.map((p) => `${p.path} ${p.code} ${p.message}`);
    const where: string | undefined = err.path;
    if (paths.length > 0 || where !== undefined) return err.code;
    return ERROR_CODES.includes(err.code) ? err.code : undefined;
  }
  return undefined;
}

export function misuse(engine: Engine): void {
  // @ts-expect-error a numeric op takes a number
  const badRule: Playbook = { version: 1, signals: {}, scores: { fit: { rules: [{ field: "size", op: "ge", value: "50", points: 1 }] } } };
  // @ts-expect-error only version 1 exists
  const badVersion: Playbook = { version: 2, signals: {} };
  // @ts-expect-error months are not a duration unit
  const badDuration: Playbook = { version: 1, signals: {}, stages: { sql: { any: [{ signal: "x", within: "1 month" }] } } };
  // @ts-expect-error instants are numbers, never Date objects
  engine.decide(null, { now: new Date() });
  // @ts-expect-error state bytes are a Uint8Array
  engine.fold("state", []);
  // @ts-expect-error nested objects are not prop values
  engine.fold(null, [{ at: 0, kind: "page_view", props: { nested: { a: 1 } } }]);
  // @ts-expect-error unknown event kinds need the custom: prefix
  engine.evaluate([{ at: 0, kind: "visit" }]);
  // @ts-expect-error error codes are a closed set
  const code: ErrorCode = "E_WHATEVER";
  // @ts-expect-error a windowed count takes at_least or at_most, not both
  const bothBounds: Condition = { signal: "x", within: "7d", at_least: 1, at_most: 3 };
  // @ts-expect-error last needs more_than or less_than
  const noAge: Condition = { last: "purchase" };
  // @ts-expect-error between takes [low, high]
  const badBetween: Condition = { field: "size", op: "between", value: 50 };
  // @ts-expect-error an unknown lifecycle phase
  const badPhase: Condition = { lifecycle: "dormant" };
  // @ts-expect-error deal statuses are a closed set
  const badDeal: Condition = { deal: "closed" };
  // @ts-expect-error stage names are a closed set
  const badStage: Condition = { stage_at_least: "champion" };
  // @ts-expect-error caps count email, sms or any
  const badCap: Playbook = { version: 1, signals: {}, policy: { caps: [{ channel: "push", max: 1, per: "7d" }] } };
  // @ts-expect-error a sequence needs at least one step
  const noSteps: Playbook = { version: 1, signals: {}, sequences: { s: { start: { ever: "x" }, steps: [] } } };
  // @ts-expect-error a column mapping names headers as strings
  const badColumns: Playbook = { version: 1, signals: {}, contacts: { columns: { email: 3 } } };
  // @ts-expect-error segments() takes options, not a bare number
  engine.segments(null, 1764547200000);
  // @ts-expect-error update() returns an object, not bytes
  const bytes: Uint8Array = engine.update(null, []);
  // @ts-expect-error a deferral's until is only there after narrowing by verdict
  const until: number = engine.decide(null).send.email.until;
  void [badRule, badVersion, badDuration, code, bothBounds, noAge, badBetween, badPhase, badDeal, badStage, badCap, noSteps, badColumns, bytes, until];
}
