// NPS and referrals per month (D38) through the npm package (Node entry): `npsAnswers` and `referrals` options of
// retention() reach core's KPIs (crates/core/src/retention/nps.rs); numbers worked by hand in the comments.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RekindleError, retention } from "rekindle";

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 1); // day 0 = 2026-01-01; day 120 = May 1, day 151 = June 1
const day = (d) => BASE + d * DAY + 9 * 3_600_000;
const order = (customer, d, amount) => ({ customer, at: day(d), amount });
const log = [order("a", 0, 100), order("a", 30, 100), order("b", 100, 50), order("c", 0, 20), order("d", 0, 80),
  order("e", 0, 40), order("f", 150, 10)];
const answer = (customer, d, score) => ({ customer, at: day(d), score });

test("NPS per month: promoters 9–10 minus detractors 0–6, the latest answer per customer, a low sample flagged", () => {
  const { kpis } = retention(log, {
    now: day(200),
    // June: a answers 3, then 10 (only the 10 counts); b 9 (promoter), c 8 and c 7... c's latest is 7 (passive),
    // d 6 (detractor), e 0 (detractor): 5 answers, 2 promoters, 1 passive, 2 detractors → NPS 0.
    npsAnswers: [answer("a", 155, 3), answer("a", 158, 10), answer("b", 156, 9), answer("c", 152, 8), answer("c", 170, 7),
      answer("d", 160, 6), answer("e", 165, 0)],
  });
  const june = kpis.nps.months.find((m) => m.month === "2026-06");
  assert.deepEqual(june, { month: "2026-06", answers: 5, promoters: 2, passives: 1, detractors: 2, nps: 0, lowSample: true });
  assert.equal(kpis.nps.superseded, 2, "a's 3 and c's 8 were replaced the same month");
});

test("referrals per month and the share of new customers a referral named", () => {
  const { kpis } = retention(log, { now: day(200), referrals: [{ customer: "a", at: day(140), referred: "f" }, { customer: "b", at: day(141) }] });
  // May: two referrals made; f's first order (day 150, May 31) follows a referral naming f; f is May's only new customer.
  const may = kpis.referrals.months.find((m) => m.month === "2026-05");
  assert.deepEqual(may, { month: "2026-05", referrals: 2, newCustomers: 1, referred: 1, referredShare: 1 });
});

test("an NPS score outside 0–10 or not whole is a RekindleError naming the answer", () => {
  for (const score of [11, -1, 7.5, "9"]) {
    assert.throws(() => retention(log, { now: day(200), npsAnswers: [answer("a", 150, 8), answer("b", 150, score)] }),
      (e) => e instanceof RekindleError && e.path === "options.npsAnswers[1].score", String(score));
  }
});
