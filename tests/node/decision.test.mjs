// The decision engine through the package: update() deltas, the segments() fast path, send verdicts, nurture,
// CTA and handoff, and the errors of the new methods — all through "rekindle" as users import it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Engine, RekindleError } from "rekindle";
import { EXAMPLE_PLAYBOOKS, examplePlaybook, seededContacts } from "./contacts.mjs";
import { DAY, NOW } from "./fixtures.mjs";

const HOUR = 3_600_000;
/** Monday 2025-12-01 10:00 in New York (saas.json's default zone), outside its 20:00–08:00 quiet hours. */
const NY_MORNING = Date.parse("2025-12-01T15:00:00Z");
/** Monday 2025-12-01 01:00 in New York: inside quiet hours, which end at 08:00 (13:00Z). */
const NY_NIGHT = Date.parse("2025-12-01T06:00:00Z");

function rekindleError(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RekindleError, `expected a RekindleError, got ${err?.constructor?.name}: ${err?.message}`);
    return err;
  }
  assert.fail("expected a RekindleError, but nothing was thrown");
}

/** Two pricing visits in 7 days enter `pricing_intent`; the second also leaves `browsing_lightly`. */
const windowed = {
  version: 1,
  signals: { pricing: { kind: "page_view", match: { path: "/pricing*" } }, purchase: { kind: "purchase" } },
  segments: {
    pricing_intent: { when: { signal: "pricing", within: "7d", at_least: 2 } },
    browsing_lightly: { when: { signal: "pricing", within: "7d", at_most: 1 } },
    prospect: { when: { never: "purchase" } },
  },
};
const pricing = (at) => ({ at, kind: "page_view", props: { path: "/pricing" } });
const T0 = NOW - 30 * DAY; // first seen a month earlier, so "at most 1 in 7 days" is known

/** saas.json with the nurture, CTA and handoff sections of docs/playbook.md, on saas.json's own signals. */
function saasWithNurture() {
  return {
    ...examplePlaybook("saas"),
    sequences: {
      welcome: {
        start: { signal: "ebook_download", within: "1d" },
        stop: [{ stage_at_least: "sql" }],
        steps: [
          { id: "deliver", channel: "email", content: "welcome/deliver" },
          { id: "case", after: "3d", channel: "email", content: "welcome/case" },
        ],
      },
    },
    ctas: {
      candidates: [
        { id: "book_demo", when: { readiness: "hot" }, unless: { stage: ["opportunity", "customer"] }, variant: "cta/demo" },
        { id: "comparison", when: { readiness: "warm" }, variant: "cta/comparison" },
        { id: "checklist", variant: "cta/checklist" },
      ],
      default: "checklist",
    },
    handoff: { timezone: "America/New_York" },
  };
}

/** A CTO at a 120-person SaaS company from a LinkedIn ad: pricing twice, then a demo request. SQL on Sunday. */
const sqlEvents = [
  { at: NY_MORNING - 2 * DAY, kind: "profile", props: { role: "CTO", company_size: 120, industry: "SaaS" } },
  { at: NY_MORNING - 2 * DAY, kind: "page_view", props: { path: "/pricing", utm_source: "linkedin", utm_medium: "cpc" } },
  { at: NY_MORNING - DAY, kind: "page_view", props: { path: "/pricing" } },
  { at: NY_MORNING - HOUR, kind: "form_submit", props: { form: "demo" } },
];

describe("update", () => {
  test("update returns the same state bytes as fold and the segments the events made the contact enter and exit", () => {
    const engine = new Engine(windowed);
    const seen = engine.update(null, [{ at: T0, kind: "profile", props: {} }]);
    assert.deepEqual(seen.deltas, [], "a fresh contact is in no segment yet (at most 1 visit is unknown on day one)");
    const first = engine.update(seen.state, [pricing(NOW)]);
    assert.deepEqual(first.state, engine.fold(seen.state, [pricing(NOW)]));
    assert.deepEqual(first.deltas, [], "one visit enters nothing and leaves nothing");
    const second = engine.update(first.state, [pricing(NOW + DAY)]);
    assert.ok(second.state instanceof Uint8Array);
    assert.deepEqual(second.deltas, [
      { segment: "pricing_intent", change: "entered", at: NOW + DAY },
      { segment: "browsing_lightly", change: "exited", at: NOW + DAY },
    ]);
    const bought = engine.update(second.state, [{ at: NOW + 2 * DAY, kind: "purchase" }]);
    assert.deepEqual(bought.deltas, [{ segment: "prospect", change: "exited", at: NOW + 2 * DAY }]);
    engine.free();
  });

  test("a window closing on its own is no delta; decide's nextFlipAt names the exact millisecond instead", () => {
    const engine = new Engine(windowed);
    const { state } = engine.update(null, [{ at: T0, kind: "profile", props: {} }, pricing(NOW), pricing(NOW + DAY)]);
    const intent = engine.decide(state, { now: NOW + DAY }).segments.find((s) => s.id === "pricing_intent");
    assert.deepEqual(intent, { id: "pricing_intent", member: true, unknown: false, nextFlipAt: NOW + 7 * DAY, approximate: false });
    assert.equal(engine.segments(state, { now: NOW + 7 * DAY - 1 }).pricing_intent, true);
    assert.equal(engine.segments(state, { now: NOW + 7 * DAY }).pricing_intent, false);
    const later = engine.update(state, [pricing(NOW + 10 * DAY)]);
    assert.deepEqual(later.deltas, [], "both states are compared at the new event's instant, when the window had already closed");
    engine.free();
  });
});

describe("segments", () => {
  test("segments maps every segment id to true, false or null (unknown), in playbook order", () => {
    const engine = new Engine(windowed);
    const fresh = engine.segments(null, { now: NOW });
    assert.deepEqual(Object.keys(fresh), ["pricing_intent", "browsing_lightly", "prospect"]);
    assert.deepEqual(fresh, { pricing_intent: false, browsing_lightly: null, prospect: true },
      "at most 1 visit is unknown for a contact with no history (shortHistory)");
    assert.equal(Object.getPrototypeOf(fresh), Object.prototype);
    engine.free();
  });

  test("segments without options decides at the current time", () => {
    const engine = new Engine(windowed);
    const state = engine.fold(null, [pricing(Date.now() - HOUR), pricing(Date.now() - 2 * HOUR)]);
    assert.equal(engine.segments(state).pricing_intent, true);
    assert.equal(engine.segments(state, {}).pricing_intent, true);
    engine.free();
  });

  for (const [i, name] of EXAMPLE_PLAYBOOKS.entries()) {
    test(`segments agrees with decide().segments for ${name}.json over 80 seeded contacts, now and at every next flip`, () => {
      const playbook = examplePlaybook(name);
      assert.ok(Object.keys(playbook.segments ?? {}).length > 0, `${name}.json has segments`);
      const engine = new Engine(playbook);
      let flips = 0;
      for (const contact of seededContacts(playbook, { seed: 100 + i, count: 80, now: NOW })) {
        const state = engine.fold(null, contact.events);
        const decision = engine.decide(state, { now: NOW });
        const expected = Object.fromEntries(decision.segments.map((m) => [m.id, m.unknown ? null : m.member]));
        assert.deepEqual(engine.segments(state, { now: NOW }), expected, contact.id);
        for (const m of decision.segments) {
          if (m.nextFlipAt === null || m.approximate) continue;
          flips += 1;
          const just = engine.segments(state, { now: m.nextFlipAt - 1 })[m.id] === true;
          const after = engine.segments(state, { now: m.nextFlipAt })[m.id] === true;
          assert.equal(just, m.member, `${contact.id} ${m.id}: unchanged until ${m.nextFlipAt}`);
          assert.equal(after, !m.member, `${contact.id} ${m.id}: flips at ${m.nextFlipAt}`);
        }
      }
      assert.ok(flips > 0, "some memberships flip on their own");
      engine.free();
    });
  }
});

describe("errors of update and segments", () => {
  test("bad state is E_INPUT_INVALID (not bytes) or E_STATE_INVALID (corrupt bytes)", () => {
    const engine = new Engine(windowed);
    const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
    for (const call of [() => engine.update(garbage, []), () => engine.segments(garbage, { now: NOW })]) {
      assert.equal(rekindleError(call).code, "E_STATE_INVALID");
    }
    for (const state of ["bytes", [1, 2], {}, 7]) {
      for (const call of [() => engine.update(state, []), () => engine.segments(state, { now: NOW })]) {
        const err = rekindleError(call);
        assert.equal(err.code, "E_INPUT_INVALID");
        assert.equal(err.path, "state");
      }
    }
    engine.free();
  });

  test("a bad event is E_INPUT_INVALID with the event's path, and the events must be an array", () => {
    const engine = new Engine(windowed);
    const err = rekindleError(() => engine.update(null, [pricing(NOW), { at: "yesterday", kind: "page_view" }]));
    assert.equal(err.code, "E_INPUT_INVALID");
    assert.equal(err.path, "events[1].at");
    assert.equal(rekindleError(() => engine.update(null, [{ at: NOW, kind: "visit" }])).path, "events[0].kind");
    assert.equal(rekindleError(() => engine.update(null, "events")).code, "E_INPUT_INVALID");
    engine.free();
  });

  test("segments takes now as whole epoch milliseconds in an options object", () => {
    const engine = new Engine(windowed);
    for (const [options, path] of [[{ now: 1.5 }, "options.now"], [{ now: "2025-12-01" }, "options.now"],
      [{ now: new Date(NOW) }, "options.now"], [{ when: NOW }, "options.when"], [NOW, "options"], [null, "options"]]) {
      const err = rekindleError(() => engine.segments(null, options));
      assert.equal(err.code, "E_INPUT_INVALID");
      assert.equal(err.path, path);
    }
    engine.free();
  });

  test("update and segments throw E_DISPOSED after free", () => {
    const engine = new Engine(windowed);
    const state = engine.fold(null, [pricing(NOW)]);
    engine.free();
    assert.equal(rekindleError(() => engine.update(state, [])).code, "E_DISPOSED");
    assert.equal(rekindleError(() => engine.segments(state, { now: NOW })).code, "E_DISPOSED");
  });
});

describe("send verdicts (saas.json policy)", () => {
  const decide = (events, now) => {
    const engine = new Engine(examplePlaybook("saas"));
    const { send } = engine.evaluate(events, { now });
    engine.free();
    return send;
  };
  const seen = { at: NY_MORNING - DAY, kind: "page_view", props: { path: "/" } };

  test("email is allowed in the morning; SMS is denied without sms_marketing consent", () => {
    assert.deepEqual(decide([seen], NY_MORNING), {
      email: { verdict: "allow" },
      sms: { verdict: "deny", reasons: [{ gate: "noConsent", purpose: "sms_marketing", status: "unknown" }] },
    });
  });

  test("at 01:00 in New York email is deferred to the end of quiet hours at 08:00", () => {
    const until = Date.parse("2025-12-01T13:00:00Z");
    assert.deepEqual(decide([seen], NY_NIGHT).email, {
      verdict: "defer", until,
      reasons: [{ gate: "quietHours", window: "20:00-08:00", zone: "America/New_York", until }],
    });
  });

  test("an unsubscribe denies email with its instant while consent allows SMS", () => {
    const at = NY_MORNING - DAY;
    const send = decide([{ at, kind: "unsubscribe" }, { at, kind: "consent", props: { purpose: "sms_marketing", granted: true } }], NY_MORNING);
    assert.deepEqual(send.email, { verdict: "deny", reasons: [{ gate: "doNotContact", reason: "unsubscribed", since: at }] });
    assert.deepEqual(send.sms, { verdict: "allow" });
  });

  test("a full 3-per-7-days cap defers email until the oldest send leaves the window", () => {
    const sends = [1, 2, 3].map((d) => ({ at: NY_MORNING - d * DAY, kind: "email_sent" }));
    const until = NY_MORNING + 4 * DAY;
    assert.deepEqual(decide(sends, NY_MORNING).email, {
      verdict: "defer", until,
      reasons: [{ gate: "cap", path: "policy.caps[0]", channel: "email", max: 3, per: "7d", sent: 3, until }],
    });
  });

  test("an open deal denies marketing on both channels", () => {
    const at = NY_MORNING - DAY;
    const send = decide([{ at, kind: "sales_status", props: { status: "open" } }], NY_MORNING);
    assert.deepEqual(send.email.reasons, [{ gate: "salesConversation", since: at }]);
    assert.ok(send.sms.reasons.some((g) => g.gate === "salesConversation"));
  });
});

describe("nurture, CTA and handoff (saas.json with the sections of docs/playbook.md)", () => {
  test("an ebook download at night enrols the contact; its first step is due at once and sent at 08:00", () => {
    const engine = new Engine(saasWithNurture());
    const d = engine.evaluate([{ at: NY_NIGHT, kind: "form_submit", props: { form: "ebook-scoring" } }], { now: NY_NIGHT });
    const eight = Date.parse("2025-12-01T13:00:00Z");
    assert.deepEqual(d.nextStep, {
      sequence: "welcome", step: "deliver", channel: "email", content: "welcome/deliver", dueAt: NY_NIGHT, sendAt: eight,
      gates: [{ gate: "quietHours", window: "20:00-08:00", zone: "America/New_York", until: eight }],
    });
    assert.equal(d.sequences[0].status, "enrolled");
    assert.deepEqual(d.reasons.filter((r) => r.kind === "nextStep"), [{ kind: "nextStep", outcome: "deferred", sequence: "welcome", step: "deliver" }]);
    assert.equal(d.validUntil, eight);
    assert.deepEqual([d.cta.id, d.cta.fallback, d.cta.skipped.map((s) => `${s.id}:${s.why}`)],
      ["checklist", false, ["book_demo:condition_false", "comparison:condition_false"]]);
    assert.equal(d.handoff, null, "no handoff below SQL");
    engine.free();
  });

  test("a hot SQL gets book_demo and a handoff due 09:15 Monday in the sales team's zone", () => {
    const engine = new Engine(saasWithNurture());
    const d = engine.evaluate(sqlEvents, { now: NY_MORNING });
    assert.equal(d.stage, "sql");
    assert.deepEqual(d.cta, { id: "book_demo", variant: "cta/demo", because: ["ctas.candidates[0].when"], skipped: [], fallback: false });
    assert.equal(d.handoff.sqlAt, NY_MORNING - DAY, "the second pricing visit, on Sunday");
    assert.equal(d.handoff.dueAt, Date.parse("2025-12-01T14:15:00Z"));
    assert.equal(d.handoff.overdue, true);
    assert.deepEqual(d.handoff.source, { utmSource: "linkedin", utmMedium: "cpc", utmCampaign: null, referrer: null, at: NY_MORNING - 2 * DAY });
    assert.deepEqual(d.handoff.lastInteractions.map((i) => i.signal), ["demo_request", "pricing_visit", "pricing_visit"]);
    engine.free();
  });

  test("an open opportunity is never offered book_demo: the suppression is reported", () => {
    const engine = new Engine(saasWithNurture());
    const d = engine.evaluate([...sqlEvents, { at: NY_MORNING - 60_000, kind: "sales_status", props: { status: "open" } }], { now: NY_MORNING });
    assert.equal(d.stage, "opportunity");
    assert.equal(d.cta.id, "checklist");
    assert.deepEqual(d.cta.skipped[0], { id: "book_demo", why: "suppressed", decidedBy: ["ctas.candidates[0].unless"] });
    engine.free();
  });
});
