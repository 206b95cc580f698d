// A stored state keeps what was folded under the playbook of its time (docs/playbook.md § Changing a playbook:
// stored states). The behaviour is pinned here so the docs that describe it (docs/playbook.md, pkg/README.md, the
// Worker README, which advertises changing the playbook through KV without a deploy) cannot drift from it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Engine } from "rekindle";
import { DAY, NOW, repoRoot } from "./fixtures.mjs";

const playbook = ({ points = 15, halfLife = "7d", fitCountry = false, id = "pricing" } = {}) => ({
  version: 1,
  signals: { pricing: { kind: "page_view", match: { path: "/pricing*" } } },
  scores: {
    intent: { rules: [{ id, signal: "pricing", points, decay: { half_life: halfLife } }] },
    fit: { rules: [{ field: "role", op: "eq", value: "CMO", points: 10 }, ...(fitCountry ? [{ field: "country", op: "eq", value: "FR", points: 5 }] : [])] },
  },
});
const events = [
  { at: NOW - DAY, kind: "page_view", props: { path: "/pricing" } },
  { at: NOW - DAY, kind: "profile", props: { role: "CMO", country: "FR" } },
];

test("a state folded under one playbook is accepted by another and keeps its points until refolded", () => {
  const before = new Engine(playbook());
  const after = new Engine(playbook({ points: 30, fitCountry: true }));
  const stored = before.fold(null, events);
  const old = before.decide(stored, { now: NOW }).scores;
  const read = after.decide(stored, { now: NOW }).scores; // no E_STATE_INVALID
  const refolded = after.decide(after.fold(null, events), { now: NOW }).scores;
  assert.equal(read.intent, old.intent, "the stored 15-point contribution is not rescored to 30");
  assert.equal(read.fit, 10, "country was not read by the old playbook, so it was not kept");
  assert.equal(refolded.intent, 2 * old.intent);
  assert.equal(refolded.fit, 15);
  before.free();
  after.free();
});

test("decay follows the new playbook at once, and a renamed rule starts from zero", () => {
  const before = new Engine(playbook());
  const stored = before.fold(null, events);
  const faster = new Engine(playbook({ halfLife: "1d" }));
  assert.equal(faster.decide(stored, { now: NOW }).scores.intent, 7.5, "one half-life of 15 points");
  const renamed = new Engine(playbook({ id: "pricing_v2" }));
  assert.equal(renamed.decide(stored, { now: NOW }).scores.intent, 0);
  for (const engine of [before, faster, renamed]) engine.free();
});

test("the playbook reference, the package README and the Worker README say a changed playbook does not rescore stored states", () => {
  const read = (path) => readFileSync(join(repoRoot, path), "utf8");
  assert.match(read("docs/playbook.md"), /^## Changing a playbook: stored states$/m);
  assert.match(read("pkg/README.md"), /does not rescore it\s+until it is refolded from events/);
  assert.match(read("examples/cloudflare-worker/README.md"), /does not rescore visitors' stored cookies/);
  assert.match(read("examples/cloudflare-worker/README.md"), /\(\.\.\/\.\.\/docs\/playbook\.md#changing-a-playbook-stored-states\)/);
});

test("a raised cap holds, unsure, while sends the old playbook did not keep may be in its window", () => {
  const capped = (max) => new Engine({ version: 1, signals: {}, policy: { caps: [{ channel: "email", max, per: "7d" }] } });
  const sends = [1, 2, 3, 4, 5].map((d) => ({ at: NOW - d * DAY, kind: "email_sent" }));
  const before = capped(3); // keeps the newest three of five sends
  const after = capped(4); // five sends in the week fill it
  const stored = before.fold(null, sends);
  const email = after.decide(stored, { now: NOW }).send.email;
  assert.equal(email.verdict, "defer", "never an allow on an undercount");
  assert.equal(email.until, NOW + 3 * DAY, "the newest send not kept (now − 4d) leaves the window at now + 3d");
  assert.deepEqual(email.reasons.map((r) => [r.gate, r.sent, r.unsure]), [["cap", 3, true]]);
  assert.equal(after.decide(after.fold(null, sends), { now: NOW }).send.email.until, NOW + 3 * DAY, "refolded: exact");
  before.free();
  after.free();
});
