// Seeded synthetic contacts for the node tests (not a test file): event histories built from a playbook's own
// signals and profile fields, plus the lifecycle and policy events (opens, sends, unsubscribes, consent, deals),
// so every part of a decision gets exercised. Deterministic: the same seed gives the same contacts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DAY, repoRoot } from "./fixtures.mjs";

export const EXAMPLE_PLAYBOOKS = ["saas", "ecommerce", "reengagement"];

/** An example playbook from examples/playbooks/<name>.json, parsed. */
export function examplePlaybook(name) {
  return JSON.parse(readFileSync(join(repoRoot, "examples", "playbooks", `${name}.json`), "utf8"));
}

/** The sample contacts the demo shows (examples/data/sample-contacts.json). */
export function sampleContacts() {
  return JSON.parse(readFileSync(join(repoRoot, "examples", "data", "sample-contacts.json"), "utf8"));
}

/** mulberry32: a small, seedable PRNG returning floats in [0, 1). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every profile field a playbook reads: fit rules and `field` conditions anywhere in the document. */
export function profileFields(playbook) {
  const fields = new Set(["timezone"]);
  const walk = (node) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      if (typeof node.field === "string" && typeof node.op === "string") fields.add(node.field);
      Object.values(node).forEach(walk);
    }
  };
  walk({ ...playbook, signals: undefined });
  return [...fields].sort();
}

/** Props that make an event match a signal: globs get their `*` filled in. */
function matchingProps(signal, rand) {
  const props = {};
  for (const [key, value] of Object.entries(signal.match ?? {})) {
    props[key] = typeof value === "string" ? value.replaceAll("*", rand() < 0.5 ? "" : "x") : value;
  }
  return props;
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** A profile value of a plausible type, sometimes of the wrong type or cleared, so unknowns show up too. */
function profileValue(field, rand, now) {
  const roll = rand();
  if (roll < 0.08) return null;
  if (roll < 0.14) return "not-a-number";
  if (field === "timezone") return pick(rand, ["Europe/Warsaw", "America/New_York", "Asia/Tokyo", "Mars/Olympus"]);
  if (/size|value|count|total|amount/.test(field)) return Math.floor(rand() * 3000);
  if (/_at$|date|since|until|end/.test(field)) return now - Math.floor(rand() * 400) * DAY;
  return pick(rand, ["CTO", "VP Marketing", "Student", "SaaS", "Fintech", "linkedin", "cpc", "Engineer", "PL", "US"]);
}

const LIFECYCLE_EVENTS = [
  (rand) => ({ kind: "email_open", machine: rand() < 0.3 }),
  () => ({ kind: "email_click" }),
  (rand) => ({ kind: "email_sent", props: { transactional: rand() < 0.2 } }),
  () => ({ kind: "sms_sent" }),
  (rand) => ({ kind: "unsubscribe", props: { channel: pick(rand, ["email", "sms", "all"]) } }),
  () => ({ kind: "subscribe", props: { channel: "email" } }),
  (rand) => ({ kind: "consent", props: { purpose: "sms_marketing", granted: rand() < 0.6 } }),
  (rand) => ({ kind: "preferences", props: { frequency: pick(rand, ["weekly", "monthly", "important_only"]) } }),
  (rand) => ({ kind: "sales_status", props: { status: pick(rand, ["open", "won", "lost", "disqualified"]) } }),
  (rand) => ({ kind: "email_bounce", props: { type: pick(rand, ["hard", "soft", "spam_trap"]) } }),
  () => ({ kind: "reactivation_started" }),
  () => ({ kind: "purchase", props: { value: 49 } }),
  () => ({ kind: "webinar_attended" }),
  (rand) => ({ kind: "page_view", props: { path: "/", utm_source: pick(rand, ["linkedin", "google"]), utm_medium: "cpc" } }),
];

/**
 * `count` contacts for `playbook`, each `{ id, events }` with events spread over the 400 days before `now`
 * (a few in the last week, so windows are open), mostly the playbook's own signals.
 */
export function seededContacts(playbook, { seed, count, now }) {
  const rand = random(seed);
  const signals = Object.values(playbook.signals);
  const fields = profileFields(playbook);
  const contacts = [];
  for (let c = 0; c < count; c += 1) {
    const events = [];
    const n = 1 + Math.floor(rand() * 24);
    for (let i = 0; i < n; i += 1) {
      const recent = rand() < 0.4;
      const at = now - Math.floor(rand() * (recent ? 7 : 400) * DAY);
      const roll = rand();
      let event;
      if (roll < 0.15 && fields.length > 0) {
        const props = {};
        for (const field of fields) if (rand() < 0.6) props[field] = profileValue(field, rand, now);
        event = { kind: "profile", props };
      } else if (roll < 0.4) {
        event = pick(rand, LIFECYCLE_EVENTS)(rand);
      } else {
        const signal = pick(rand, signals);
        event = { kind: signal.kind, props: matchingProps(signal, rand) };
      }
      events.push({ id: `c${c}-e${i}`, at, ...event });
    }
    contacts.push({ id: `contact-${seed}-${c}`, events });
  }
  return contacts;
}
