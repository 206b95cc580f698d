// Generates the small committed sample for `rekindle plan`: examples/data/plan/contacts.csv (a generic CSV with
// one duplicate row) and examples/data/plan/events.ndjson (rekindle events, sorted by time), for
// examples/playbooks/saas.json decided at NOW. Deterministic: a seeded PRNG (mulberry32), no Math.random, no clock.
// Run: node examples/data/gen-plan-sample.mjs [count] [outDir] [eventsPerContact]   (default: 50 contacts into
// examples/data/plan/; a bigger count into another directory makes a load test:
// `node examples/data/gen-plan-sample.mjs 100000 /tmp/big`).
// With eventsPerContact (`node examples/data/gen-plan-sample.mjs 1000000 /tmp/bench 20`, `npm run bench:batch`)
// every contact gets older history up to that many events — marketing sends, machine opens (Apple MPP), blog
// visits and clicks, all before its last engagement, from a second seeded stream, so every contact keeps its
// archetype's lifecycle state — and both files are streamed as they are generated (1 M × 20 never sits in memory):
// events.ndjson is then grouped by contact, each contact's events in time order, as a per-contact ESP export is.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const DAY = 86_400_000;
const count = Number(process.argv[2] ?? 50);
const perContact = process.argv[4] === undefined ? null : Number(process.argv[4]);
if (perContact !== null && !(Number.isInteger(perContact) && perContact > 0)) {
  throw new Error(`eventsPerContact must be a positive whole number, got ${process.argv[4]}`);
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20261126);
const pick = (list) => list[Math.floor(rand() * list.length)];
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

const FIRST = ["ada", "ben", "chloe", "dan", "eva", "finn", "grace", "hugo", "iris", "jon", "kim", "leo", "mia", "nils"];
const LAST = ["archer", "baker", "cole", "diaz", "evans", "ford", "gray", "hale", "ito", "jones", "khan", "lopez"];
const DOMAINS = ["acme.test", "globex.test", "initech.test", "umbrella.test", "hooli.test", "vandelay.test"];
const ROLES = ["VP Marketing", "CMO", "Marketing Manager", "Marketing Ops", "Student", "Engineer", "Head of Growth"];
const INDUSTRIES = ["SaaS", "Software", "Fintech", "Retail", "Education"];
const ZONES = ["America/New_York", "Europe/London", "Europe/Warsaw", "America/Los_Angeles"];
// Each archetype lands in one lifecycle state of saas.json at NOW (cooling 90d, cold 180d, manual reactivation,
// soft reactivation 14d, break-up 72h, spam traps erase).
const ARCHETYPES = ["sql", "warm", "reader", "reader", "customer", "cooling", "cold", "cold", "soft", "soft", "break_up",
  "archived", "archived", "erased", "trap", "unsubscribed_soft"];

const contacts = [];
const events = [];
let sink = null; // streaming mode: { contacts, events } writers
const ev = (contact, at, kind, props) => events.push({ contact, at, kind, ...(props ? { props } : {}) });

const xrand = mulberry32(0x5eed2026); // extra history: its own stream, so the base sample never changes
const xbetween = (lo, hi) => lo + Math.floor(xrand() * (hi - lo + 1));
const xpick = (list) => list[Math.floor(xrand() * list.length)];
const BLOG = ["/blog/rfm", "/blog/lifecycle", "/blog/decay-explained", "/blog/win-back", "/blog/ghost-opens"];

/** History older than the contact's last engagement (`lastEngaged` days ago): it changes no lifecycle state. */
function extraHistory(ref, lastEngaged, n) {
  const xat = (daysAgo) => iso(NOW - daysAgo * DAY - xbetween(0, 23 * 60) * 60_000);
  for (let k = 0; k < n; k++) {
    const daysAgo = lastEngaged + xbetween(1, 300);
    const r = xrand();
    if (r < 0.4) ev(ref, xat(daysAgo), "email_sent", { campaign: `newsletter-${xbetween(1, 52)}` });
    else if (r < 0.65) events.push({ contact: ref, at: xat(daysAgo), kind: "email_open", machine: true });
    else if (r < 0.85) ev(ref, xat(daysAgo), "page_view", { path: xpick(BLOG), utm_source: "newsletter" });
    else ev(ref, xat(daysAgo), "email_click", { url: `https://acme.test${xpick(BLOG)}` });
  }
}
const out = process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), "plan");
mkdirSync(out, { recursive: true });
const columns = ["id", "email", "first_name", "role", "company_size", "industry", "timezone", "created_at"];
const cell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
const row = (r) => columns.map((c) => cell(r[c])).join(",");
const byTime = (a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
// A duplicate row: the same person exported twice, the second time with a new company size (merged, counted).
const duplicateOf = (dup) => ({ ...dup, id: "", email: `  ${dup.email.toUpperCase()} `, company_size: dup.company_size + 10, role: "", created_at: "" });

let written = { rows: 0, events: 0 };
if (perContact !== null) {
  const writer = (path) => {
    const fd = openSync(path, "w");
    let buf = "";
    return {
      add(text) {
        buf += text;
        if (buf.length > 1 << 20) (writeSync(fd, buf), (buf = ""));
      },
      close() {
        writeSync(fd, buf);
        closeSync(fd);
      },
    };
  };
  const csvOut = writer(join(out, "contacts.csv"));
  const evOut = writer(join(out, "events.ndjson"));
  csvOut.add(`${columns.join(",")}\n`);
  let dup = null;
  sink = {
    contact(c) {
      if (written.rows === 4) dup = c;
      csvOut.add(`${row(c)}\n`);
      written.rows++;
    },
    events(list) {
      list.sort(byTime);
      for (const e of list) evOut.add(`${JSON.stringify(e)}\n`);
      written.events += list.length;
    },
  };
  for (let i = 0; i < count; i++) generate(i);
  if (dup) (csvOut.add(`${row(duplicateOf(dup))}\n`), written.rows++);
  csvOut.close();
  evOut.close();
} else {
  for (let i = 0; i < count; i++) generate(i);
}

function generate(i) {
  const id = `c-${String(i + 1).padStart(4, "0")}`;
  const email = `${pick(FIRST)}.${pick(LAST)}${i}@${pick(DOMAINS)}`;
  const type = ARCHETYPES[i % ARCHETYPES.length];
  const createdAt = NOW - between(320, 420) * DAY;
  contacts.push({
    id, email, first_name: email.split(".")[0], role: pick(ROLES), company_size: between(5, 2000),
    industry: pick(INDUSTRIES), timezone: pick(ZONES), created_at: i % 3 === 0 ? "" : iso(createdAt),
  });
  const ref = i % 2 === 0 ? id : email.toUpperCase(); // events name contacts by id or by (any-case) email
  const at = (daysAgo, hour = 10) => iso(NOW - daysAgo * DAY - (24 - hour) * 3_600_000 + between(0, 59) * 60_000);
  ev(ref, at(between(300, 318)), "consent", { purpose: "email_marketing", granted: true });
  ev(ref, at(between(290, 299)), "page_view", { path: "/blog/decay-explained", utm_source: pick(["linkedin", "google"]), utm_medium: pick(["paid_social", "cpc"]) });
  const lastEngaged = { sql: 1, warm: 20, reader: between(3, 40), customer: 10, cooling: between(100, 170), cold: between(200, 260),
    soft: between(200, 260), break_up: between(200, 260), archived: between(220, 280), erased: 30, trap: 60, unsubscribed_soft: 230 }[type];
  ev(ref, at(lastEngaged), "page_view", { path: pick(["/blog/rfm", "/blog/lifecycle", "/integrations/hubspot"]) });
  if (type === "sql") {
    ev(ref, at(4), "page_view", { path: "/pricing" });
    ev(ref, at(2), "page_view", { url: "https://acme.test/pricing?plan=pro" });
    ev(ref, at(1, 15), "form_submit", { form: "demo" });
  }
  if (type === "warm") ev(ref, at(21), "form_submit", { form: "ebook-lifecycle" });
  if (type === "customer") ev(ref, at(10), "purchase", { value: between(200, 900), currency: "EUR" });
  if (type === "soft" || type === "unsubscribed_soft") ev(ref, at(between(2, 10)), "reactivation_started");
  if (type === "unsubscribed_soft") ev(ref, at(1), "unsubscribe", { channel: "email" });
  if (type === "break_up") ev(ref, at(15), "reactivation_started");
  if (type === "archived") ev(ref, at(between(20, 60)), "reactivation_started");
  if (type === "erased") ev(ref, at(5), "erasure_request");
  if (type === "trap") ev(ref, at(3), "email_bounce", { type: "spam_trap" });
  for (let k = between(0, 3); k > 0; k--) ev(ref, at(lastEngaged + between(1, 30)), "email_open");
  if (sink) {
    extraHistory(ref, lastEngaged, perContact - events.length);
    sink.contact(contacts.pop());
    sink.events(events.splice(0));
  }
}
if (perContact === null) {
  const rows = [...contacts, duplicateOf(contacts[4])];
  const csv = [columns.join(","), ...rows.map(row)].join("\n") + "\n";
  events.sort(byTime);
  const ndjson = events.map((e) => JSON.stringify(e)).join("\n") + "\n";
  writeFileSync(join(out, "contacts.csv"), csv);
  writeFileSync(join(out, "events.ndjson"), ndjson);
  written = { rows: rows.length, events: events.length };
}
console.error(`wrote ${written.rows} contact rows and ${written.events} events to ${out}`);
