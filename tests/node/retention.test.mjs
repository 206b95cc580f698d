// Retention analytics through the npm package (Node entry, issue 8; D36–D42): the CDNOW sample that lifetimes
// ships (crates/core/tests/fixtures/cdnow, README there) gives the paper's BG/NBD estimates in wasm too; an order
// log analysed as objects or as columns gives the same answer; degenerate logs are `unfit` with a code, never NaN;
// misuse is a RekindleError naming the place; the facts kept on a contact make a playbook's segments decide.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Engine, RekindleError, fitRetention, retention } from "rekindle";

const cdnow = (name) => readFileSync(new URL(`../../crates/core/tests/fixtures/cdnow/${name}`, import.meta.url), "utf8");
const DAY = 86_400_000;
const END = Date.parse("1997-09-30T00:00:00Z");

/** cdnow_customers_summary.csv as columns. */
function summary() {
  const rows = cdnow("cdnow_customers_summary.csv").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  return { frequency: rows.map((r) => r[1]), recency: rows.map((r) => r[2]), T: rows.map((r) => r[3]) };
}

/** CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs, dollars. */
function orders() {
  return cdnow("CDNOW_sample.txt").trim().split("\n").map((line) => {
    const [, id, d, , dollars] = line.trim().split(/\s+/);
    return { customer: String(Number(id)), at: Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)), amount: +dollars };
  });
}

const sig3 = (x) => Number(x.toPrecision(3));

test("fitRetention reproduces the paper's BG/NBD estimates on CDNOW to three significant figures (D38)", () => {
  const { bgnbd, gammaGamma } = fitRetention(summary());
  assert.equal(bgnbd.status, "fitted");
  const { r, alpha, a, b } = bgnbd.params;
  assert.deepEqual([sig3(r), sig3(alpha), sig3(a), sig3(b)], [0.243, 4.41, 0.793, 2.43]);
  assert.ok(Math.abs(bgnbd.logLikelihood - -9582.4) < 0.05, String(bgnbd.logLikelihood));
  assert.equal(bgnbd.converged, true);
  assert.equal(gammaGamma, null);
  const lifetimes = JSON.parse(cdnow("lifetimes-reference.json"));
  const spend = cdnow("cdnow_customers_summary_with_transactions.csv").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const fit = fitRetention({ ...summary(), monetary: new Float64Array(spend.map((row) => row[4])) });
  for (const k of ["p", "q", "gamma"]) {
    const rel = Math.abs(fit.gammaGamma.params[k] - lifetimes.gammaGamma[k]) / lifetimes.gammaGamma[k];
    assert.ok(rel < 1e-3, `${k}: ${fit.gammaGamma.params[k]} vs lifetimes ${lifetimes.gammaGamma[k]}`);
  }
});

test("the CDNOW log analysed in weeks: the same model from objects and from columns, every customer accounted for", () => {
  const log = orders();
  const fromObjects = retention(log, { now: END, unit: "7d" });
  const fromColumns = retention(
    { customer: log.map((o) => o.customer), at: new Float64Array(log.map((o) => o.at)), amount: log.map((o) => o.amount) },
    { now: END, unit: "7d" },
  );
  assert.deepEqual(fromColumns, fromObjects);
  const a = fromObjects;
  assert.equal(a.unitDays, 7);
  assert.equal(a.customers.length, 2357);
  const { r, alpha, a: pa, b } = a.bgnbd.params;
  for (const [got, paper] of [[r, 0.243], [alpha, 4.414], [pa, 0.793], [b, 2.426]]) {
    assert.ok(Math.abs(got - paper) / paper < 0.01, `${got} vs the paper's ${paper}`);
  }
  assert.equal(a.gammaGamma.status, "fitted");
  assert.equal(a.rfm.cells.reduce((n, c) => n + c.customers, 0), 2357);
  assert.equal(a.pAliveHistogram.reduce((n, c) => n + c, 0) + a.oneTimeBuyers, 2357);
  for (const c of a.customers) {
    for (const k of ["pAlive", "pReturn", "expectedPurchases", "expectedOrderValue", "clv", "winbackPriority"]) {
      assert.ok(c[k] === null || Number.isFinite(c[k]), `${c.customer}.${k} = ${c[k]}`);
    }
    if (c.churn) assert.ok(c.churn.reasons.length > 0 && c.churn.firedAt <= END);
  }
  const one = a.customers.find((c) => c.customer === "1");
  assert.deepEqual([one.frequency, one.orders, one.returning], [2, 3, true]); // its 4th order (1997-12-12) is after the end
});

test("degenerate logs are unfit with a code and the figures that need the model are null (D38)", () => {
  const empty = retention([], { now: END });
  assert.deepEqual([empty.bgnbd.status, empty.bgnbd.code], ["unfit", "no_customers"]);
  const once = retention([{ customer: "a", at: END - 5 * DAY, amount: 10 }, { customer: "b", at: END - 9 * DAY }], { now: END });
  assert.equal(once.bgnbd.code, "no_repeat_buyers");
  assert.equal(once.gammaGamma.code, "no_spend");
  assert.ok(once.customers.every((c) => c.pAlive === null && c.clv === null));
  const solo = retention([{ customer: "s", at: END - 100 * DAY, amount: 5 }, { customer: "s", at: END - 90 * DAY, amount: 7 }], { now: END });
  assert.equal(solo.bgnbd.code, "too_few_customers");
  assert.equal(solo.customers[0].churn.reasons[0].kind, "purchaseGap");
  const lastDay = retention([{ customer: "x", at: END }, { customer: "y", at: END }], { now: END });
  assert.equal(lastDay.bgnbd.code, "no_observation_time");
  const zero = fitRetention({ frequency: [0, 0], recency: [0, 0], T: [0, 0] });
  assert.equal(zero.bgnbd.code, "no_observation_time");
});

test("bad orders, options and summaries are RekindleErrors naming the place", () => {
  const err = (fn, code, path) => assert.throws(fn, (e) => e instanceof RekindleError && e.code === code && e.path === path);
  err(() => retention([{ customer: "a", at: END, amount: 1 }, { customer: "a", at: END, amount: -3 }]), "E_INPUT_INVALID", "transactions[1].amount");
  err(() => retention([{ customer: "a", at: END, amount: Number.NaN }]), "E_INPUT_INVALID", "transactions[0].amount");
  err(() => retention([{ customer: "", at: END }]), "E_INPUT_INVALID", "transactions[0].customer");
  err(() => retention([{ customer: "a", at: "yesterday" }]), "E_INPUT_INVALID", "transactions[0].at");
  err(() => retention({ customer: ["a", "b"], at: [END, END + 1.5] }), "E_INPUT_INVALID", "transactions[1].at");
  err(() => retention({ customer: ["a"], at: [END], amount: [1, 2] }), "E_INPUT_INVALID", "transactions.amount");
  err(() => retention([], { unit: "36h" }), "E_INPUT_INVALID", "options.unit");
  err(() => retention([], { horizon: 3 }), "E_INPUT_INVALID", "options.horizon");
  err(() => retention([], { now: 1.5 }), "E_INPUT_INVALID", "options.now");
  err(() => retention([], { playbook: { version: 1, signals: {}, retention: { rfm: { levels: 4 } } } }), "E_PLAYBOOK_INVALID", "retention.rfm.levels");
  err(() => fitRetention({ frequency: [1.5], recency: [0], T: [1] }), "E_INPUT_INVALID", "frequency[0]");
  err(() => fitRetention({ frequency: [1, 0], recency: [2, 0], T: [1, 1] }), "E_INPUT_INVALID", "recency[0]");
  err(() => fitRetention({ frequency: [1], recency: [0], T: [1, 2] }), "E_INPUT_INVALID", "T");
});

test("the facts an analysis keeps on a contact make the playbook's rfm and win-back segments decide (D36, D40)", () => {
  const playbook = {
    version: 1,
    signals: { purchase: { kind: "purchase" } },
    segments: {
      slipping: { when: { rfm: ["at_risk", "cant_lose", "hibernating", "lost"] } },
      winback: { when: { all: [{ field: "churn_reason", op: "exists" }, { field: "winback_priority", op: "gt", value: 0 }] } },
    },
    retention: { churn: { gap_factor: 2 } },
  };
  // 120 customers: regulars who keep buying every 10 days, and lapsed ones whose weekly habit stopped 200 days ago.
  const log = [];
  for (let i = 0; i < 120; i++) {
    const lapsed = i % 3 === 0;
    const start = END - (400 + (i % 7)) * DAY;
    const stop = lapsed ? END - 200 * DAY : END - (i % 5) * DAY;
    for (let t = start, k = 0; t <= stop; t += (lapsed ? 7 : 10) * DAY, k++) log.push({ customer: `c${i}`, at: t, amount: 20 + (i % 4) * 5 });
  }
  const a = retention(log, { now: END, playbook });
  assert.equal(a.bgnbd.status, "fitted");
  const engine = new Engine(playbook);
  const lapsed = a.customers.find((c) => c.customer === "c0");
  const regular = a.customers.find((c) => c.customer === "c1");
  assert.ok(lapsed.churn && lapsed.winbackPriority > 0 && !lapsed.active);
  assert.equal(regular.churn, null);
  const decide = (c) => {
    const profile = { kind: "profile", at: END, props: c.profile };
    return engine.segments(engine.fold(null, [profile]), { now: END });
  };
  assert.deepEqual(decide(lapsed), { slipping: true, winback: true });
  assert.deepEqual(decide(regular), { slipping: false, winback: false });
  engine.free();
});
