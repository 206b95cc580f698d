// Retention analytics on order logs as real exports write them (issue 8's user audit, D36–D42): the facade gives
// the same answers as core's tests (crates/core/tests/retention_input.rs, retention_analysis.rs) — one-time
// buyers get no P(alive) but a noRepeat alert, order ids dedupe, currencies do not mix, epoch seconds are refused
// with the fix, Gamma-Gamma without a finite mean says so, and the column form reads what the object form reads.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { retention } from "rekindle";
import { rekindleError as failure } from "./fixtures.mjs";

const DAY = 86_400_000;
const DEC_1 = Date.parse("2025-12-01T00:00:00Z");

test("one-time buyers get pAlive null and a noRepeat alert past twice the base's time to a second order", () => {
  // 21 repeat buyers back after 10..30 days (median 20): one-time buyers are flagged 40 days after their order.
  const log = [];
  for (let i = 0; i < 21; i++) {
    log.push({ customer: `r${i}`, at: DEC_1 + i * DAY, amount: 30 }, { customer: `r${i}`, at: DEC_1 + (2 * i + 10) * DAY, amount: 40 });
  }
  for (let i = 0; i < 20; i++) log.push({ customer: `o${i}`, at: DEC_1 + (100 + 15 * i) * DAY, amount: 25 });
  const a = retention(log, { now: DEC_1 + 400 * DAY });
  assert.equal(a.bgnbd.status, "fitted");
  assert.equal(a.typicalRepeatDays, 20);
  const once = a.customers.filter((c) => !c.returning);
  assert.equal(once.length, 20);
  assert.ok(once.every((c) => c.pAlive === null && c.profile.p_alive === null));
  const flagged = once.filter((c) => c.churn);
  assert.equal(flagged.length, 18); // before: 0, with pAlive 1 for all 20
  for (const c of flagged) {
    assert.deepEqual(c.churn.reasons.map((r) => r.kind), ["noRepeat"]);
    assert.equal(c.churn.firedAt, c.first + 40 * DAY);
    assert.equal(c.profile.churn_reason, "no_repeat");
  }
});

test("an order exported twice (same id) counts once; the same id with another amount is refused", () => {
  const order = { id: "A-2", customer: "c1", at: DEC_1 + 7 * DAY, amount: 10, currency: "EUR" };
  const a = retention([{ id: "A-1", customer: "c1", at: DEC_1, amount: 10, currency: "EUR" }, order, { ...order }], { now: DEC_1 + 30 * DAY });
  assert.deepEqual([a.customers[0].orders, a.customers[0].total, a.duplicateOrders], [2, 20, 1]); // before: 30, or "unknown field"
  const cols = retention(
    { customer: ["c1", "c1", "c1"], at: [DEC_1, DEC_1 + 7 * DAY, DEC_1 + 7 * DAY], amount: [10, 10, 10], id: ["A-1", "A-2", "A-2"], currency: ["EUR", "EUR", null] },
    { now: DEC_1 + 30 * DAY },
  );
  assert.deepEqual(cols, a);
  const e = failure(() => retention([order, { ...order, amount: 12 }], { now: DEC_1 + 30 * DAY }));
  assert.deepEqual([e.code, e.path], ["E_INPUT_INVALID", "transactions[1].id"]);
});

test("a second currency is refused naming the first differing order, in both forms", () => {
  const log = [
    { customer: "c1", at: DEC_1, amount: 10, currency: "EUR" },
    { customer: "c2", at: DEC_1, amount: 10, currency: "USD" },
  ];
  const e = failure(() => retention(log, { now: DEC_1 + DAY }));
  assert.deepEqual([e.code, e.path], ["E_INPUT_INVALID", "transactions[1].currency"]);
  assert.match(e.message, /expected "EUR" like transactions\[0\]\.currency, got "USD"/);
  const c = failure(() => retention({ customer: ["c1", "c2"], at: [DEC_1, DEC_1], currency: ["EUR", "USD"] }, { now: DEC_1 + DAY }));
  assert.deepEqual([c.code, c.path], ["E_INPUT_INVALID", "transactions[1].currency"]);
});

test("an order instant in epoch seconds is refused with its path and the fix, in both forms", () => {
  const log = [0, 1, 2].map((i) => ({ customer: `c${i}`, at: DEC_1, amount: 5 }));
  log.push({ customer: "c3", at: 1764547200, amount: 5 });
  const e = failure(() => retention(log, { now: DEC_1 + DAY }));
  assert.deepEqual([e.code, e.path], ["E_INPUT_INVALID", "transactions[3].at"]);
  assert.match(e.message, /looks like epoch seconds; write 1764547200000 \(seconds × 1000\)/); // before: accepted as 1970-01-21
  const c = failure(() => retention({ customer: ["c0", "c3"], at: new Float64Array([DEC_1, 1764547200]) }, { now: DEC_1 + DAY }));
  assert.deepEqual([c.code, c.path], ["E_INPUT_INVALID", "transactions[1].at"]);
});

test("the column form reads RFC 3339 instants as the object form does, and names a value it cannot read", () => {
  const objects = [
    { customer: "a", at: "2025-12-01T00:00:00Z", amount: 10 },
    { customer: "a", at: DEC_1 + 9 * DAY, amount: 12 },
    { customer: "b", at: "2025-12-03T10:00:00+02:00", amount: 7 },
  ];
  const now = DEC_1 + 60 * DAY;
  const cols = { customer: ["a", "a", "b"], at: objects.map((o) => o.at), amount: [10, 12, 7] };
  assert.deepEqual(retention(cols, { now }), retention(objects, { now })); // before: transactions[0].at … got NaN
  const bad = failure(() => retention({ ...cols, at: ["next tuesday", DEC_1, DEC_1] }, { now }));
  assert.deepEqual([bad.path, bad.message.includes('got "next tuesday"')], ["transactions[0].at", true]);
  const date = failure(() => retention({ ...cols, at: [new Date(DEC_1), DEC_1, DEC_1] }, { now }));
  assert.equal(date.message, "transactions[0].at: expected epoch milliseconds or an RFC 3339 string, got a Date (pass date.getTime())");
  const amount = failure(() => retention({ ...cols, amount: ["10", 12, 7] }, { now }));
  assert.equal(amount.message, "transactions[0].amount: expected a number, got a string");
  const unknown = failure(() => retention({ ...cols, sku: ["x", "y", "z"] }, { now }));
  assert.equal(unknown.path, "transactions.sku");
});

test("a Gamma-Gamma fit without a finite mean (q ≤ 1) has status noFiniteMean and a warning, not fitted", () => {
  // 200 repeat buyers whose mean spends spread over two decades (10 to 1,000).
  const log = [];
  for (let i = 0; i < 200; i++) {
    const spend = 10 * 10 ** (2 * ((i * 0.618034) % 1));
    const start = DEC_1 + (i % 30) * DAY;
    log.push({ customer: `c${i}`, at: start, amount: 20 });
    for (let k = 1; k <= 1 + (i % 5); k++) log.push({ customer: `c${i}`, at: start + 7 * k * DAY, amount: spend });
  }
  const a = retention(log, { now: DEC_1 + 200 * DAY });
  assert.equal(a.gammaGamma.status, "noFiniteMean"); // before: "fitted", warnings []
  assert.ok(a.gammaGamma.params.q <= 1, String(a.gammaGamma.params.q));
  assert.ok(a.gammaGamma.warnings.some((w) => w.kind === "noFiniteMean"));
  assert.ok(a.customers.every((c) => c.expectedOrderValue === null && c.clv === null));
});

test("the README's retention snippet passes the options its CDNOW comment needs, and the figures hold", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Retention analytics"));
  const block = section.slice(section.indexOf("```js") + 5, section.indexOf("```", section.indexOf("```js") + 5));
  const call = block.match(/retention\(orders, (\{[^}]*\})\)/);
  assert.ok(call, block);
  const unit = call[1].match(/unit: "(\w+)"/)?.[1]; // before: no unit, so days, and alpha 30.9
  const comment = block.match(/CDNOW[^:]*: r ([\d.]+), alpha ([\d.]+), a ([\d.]+), b ([\d.]+)/).slice(1).map(Number);
  const log = readFileSync(new URL("../../crates/core/tests/fixtures/cdnow/CDNOW_sample.txt", import.meta.url), "utf8")
    .trim().split("\n").map((line) => {
      const [, id, d, , dollars] = line.trim().split(/\s+/);
      return { customer: id, at: Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)), amount: +dollars };
    });
  const { r, alpha, a, b } = retention(log, { now: Date.UTC(1997, 8, 30), unit }).bgnbd.params;
  assert.deepEqual([r, alpha, a, b].map((v) => Number(v.toFixed(3))), comment);
});
