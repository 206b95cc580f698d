// The win-back plan measured (D42), alerts with an owner (D41) and the stated churn reason (D39) through the npm
// package (Node entry): the numbers are worked by hand in the comments, the same log as
// crates/core/tests/retention_winback.rs's, with P(alive) switched off by the playbook so every alert is a rule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RekindleError, retention } from "rekindle";

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 1); // day 0; the months fall as in 1970 (neither year is leap)
const day = (d) => BASE + d * DAY + 9 * 3_600_000;
const order = (customer, d, amount) => ({ customer, at: day(d), amount });

const log = [
  order("a", 0, 100), order("a", 30, 100), order("b", 100, 50), order("c", 0, 20), order("c", 10, 20),
  order("c", 190, 20), order("d", 195, 80), order("e", 0, 40), order("e", 120, 60), order("f", 150, 10),
  order("k", 0, 30),
];
const playbook = {
  version: 1,
  signals: { bad_review: { kind: "custom:review" } },
  retention: { churn: { p_alive_below: 0, negative_rating: { signal: "bad_review", within: "30d" } } },
};
const starts = [["a", 150], ["e", 100], ["e", 150], ["k", 95], ["b", 195], ["f", 180], ["g", 120], ["h", 300]];

function analyse() {
  return retention(log, {
    now: day(200),
    playbook,
    negativeRatings: [{ customer: "d", at: day(196) }],
    owners: [{ customer: "a", owner: "Jane Doe" }, { customer: "d", owner: "12345" }],
    statedReasons: [{ customer: "b", reason: "too expensive", at: day(160) }],
    winbackStarts: starts.map(([customer, d]) => ({ customer, at: day(d) })),
  });
}

test("D42: lapsed customers in a win-back campaign, who returned, their revenue, per month with n", () => {
  const { winback } = analyse();
  // e back on day 120 with 60 (returned); k nothing by day 185 (lost); a and b windows still open at day 200.
  assert.deepEqual(winback.total, { entered: 4, returned: 1, lost: 1, open: 2, returnedShare: 0.5, revenue: 60 });
  assert.deepEqual([winback.afterNow, winback.notCustomers, winback.activeAtStart, winback.repeatStarts], [1, 1, 1, 1]);
  assert.equal(winback.window, "90d");
  assert.deepEqual(winback.months.map((m) => [m.month, m.entered, m.returned, m.returnedShare]), [
    ["2026-04", 2, 1, 0.5],
    ["2026-05", 1, 0, null],
    ["2026-07", 1, 0, null],
  ]);
});

test("D41/D39: every alert names its signal, why, since when and its owner; the stated reason stays beside it", () => {
  const a = analyse();
  assert.deepEqual(a.alertList.map((x) => [x.customer, x.kind, x.since, x.owner]), [
    ["k", "no_repeat", day(60), null],
    ["a", "purchase_gap", day(90), "Jane Doe"],
    ["b", "no_repeat", day(160), null],
    ["d", "negative_rating", day(196), "12345"],
  ]);
  assert.equal(a.alertList[1].why, "170 days since the last order, over 2 × the customer's average gap of 30 days; 0 orders in the last 90 days where the customer's earlier pace predicts 1.6");
  const b = a.customers.find((c) => c.customer === "b");
  assert.deepEqual(b.statedReason, { reason: "too expensive", at: day(160) });
  assert.equal(b.profile.churn_reason, "no_repeat");
  assert.equal(b.profile.churn_reason_stated, "too expensive");
  assert.equal("churn_reason_stated" in a.customers.find((c) => c.customer === "k").profile, false);
});

test("the new options are checked with their place", () => {
  assert.throws(
    () => retention(log, { now: day(200), statedReasons: [{ customer: "b", reason: "" }] }),
    (e) => e instanceof RekindleError && e.path === "options.statedReasons[0].reason",
  );
  assert.throws(
    () => retention(log, { now: day(200), winbackStarts: [{ at: day(1) }] }),
    (e) => e instanceof RekindleError && e.path === "options.winbackStarts[0].customer",
  );
});
