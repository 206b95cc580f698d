// Type-level usage of the "rekindle" package, resolved through its exports map like a user's project.
// Checked by `tsc --noEmit -p tests/types`; every @ts-expect-error must be an error, so misuse is caught too.
import {
  ERROR_CODES,
  Engine,
  RekindleError,
  clearState,
  init,
  loadState,
  saveState,
  version,
  type ContactEvent,
  type Decision,
  type ErrorCode,
  type Playbook,
  type Reason,
} from "rekindle";

const playbook: Playbook = {
  version: 1,
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
  },
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

  let state: Uint8Array = engine.fold(null, events);
  state = engine.fold(state, [{ at: 1764547300000, kind: "email_click", machine: true }]);
  const decision: Decision = engine.decide(state, { now: Date.now() });
  const later: Decision = engine.decide(state);
  const once: Decision = engine.evaluate(events, { now: 1764547200000 });
  const view: Record<string, unknown> = engine.inspect(state);

  const total: number = decision.scores.total + later.scores.fit + once.scores.intent;
  const hot: boolean = decision.readiness === "hot" && decision.stage !== "lead" && decision.meets.sql;
  for (const reason of decision.reasons) describe(reason);

  const saved: boolean = saveState("rekindle:visitor", state);
  const loaded: Uint8Array | null = loadState("rekindle:visitor");
  const cleared: boolean = clearState("rekindle:visitor");
  return `${v} ${total} ${hot} ${saved} ${loaded?.length} ${cleared} ${Object.keys(view).length}`;
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
    case "stageReached":
      return `${reason.stage} at ${reason.at}`;
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
  void [badRule, badVersion, badDuration, code];
}
