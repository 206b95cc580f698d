// Generates contacts and events in the vendors' real formats for `rekindle plan`, seeded and deterministic like
// gen-plan-sample.mjs (mulberry32, no Math.random, no clock; NOW = 2026-11-26T12:00:00Z), from archetypes that
// each land in one lifecycle state:
//
//   b2b   a B2B SaaS list with a cold tail: HubSpot contacts CSV, SendGrid and Mailgun webhook logs, site events
//         (examples/data/vendor/b2b.mjs; plan with examples/playbooks/saas.json)
//   shop  an e-commerce store: Klaviyo profiles CSV, Postmark and Mailchimp webhook logs, orders as NDJSON
//         (examples/data/vendor/shop.mjs; plan with examples/playbooks/ecommerce.json)
//
// Run: node examples/data/gen-vendor-sample.mjs                 both committed samples: examples/data/{b2b,shop}/
//      node examples/data/gen-vendor-sample.mjs b2b 100000 /tmp/b2b   a big one, streamed (never held in memory)
//
// Each directory gets the vendor files, expected.csv (id, archetype, the lifecycle state the archetype is in at
// NOW) and, for b2b, the example Mailgun signing key. Small samples (≤ 5,000 contacts) write every log in time
// order across contacts, SendGrid events batched into POSTs of up to 6; big ones write each contact's records
// together, in time order (a log replayed per recipient, one SendGrid POST per contact), which streams. Both add the same extra rows: an email and a phone
// duplicate, an unusable row, a retried POST, a truncated body, an unknown recipient (see extras() in each).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as b2b from "./vendor/b2b.mjs";
import { rng, writer } from "./vendor/formats.mjs";
import * as shop from "./vendor/shop.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = { b2b: { module: b2b, seed: 20261126, size: 130 }, shop: { module: shop, seed: 20261127, size: 132 } };
const SORTED_UP_TO = 5000;
const BATCH = 6;

function generate(name, count, dir) {
  const { module, seed } = SCENARIOS[name];
  const r = rng(seed);
  const retries = rng(seed ^ 0x9e3779b9); // which line a vendor retries: its own stream, so ordering never shifts data
  mkdirSync(dir, { recursive: true });
  const sorted = count <= SORTED_UP_TO;
  const files = Object.fromEntries(Object.entries(module.FILES).map(([k, f]) => [k, writer(join(dir, f))]));
  const expected = writer(join(dir, "expected.csv"));
  expected.line("id,archetype,lifecycle");
  files.contacts.raw(module.header());
  const pending = []; // [file, at, text] while sorting
  const sendgrid = []; // [at, event] while sorting
  const out = {
    contact(id, type, row, person) {
      files.contacts.raw(row);
      expected.line(`${id},${type},${module.STATE[type]}`);
      people.push(person);
    },
    row: (text) => files.contacts.raw(text),
    site: (at, event) => put("site", at, JSON.stringify(event)),
    siteRaw: (at, text) => put("site", at, text),
    mailgun: (at, webhook) => put("mailgun", at, JSON.stringify(webhook)),
    postmark: (at, record) => put("postmark", at, JSON.stringify(record)),
    mailchimp: (at, body) => put("mailchimp", at, body),
    sendgrid: (event) => (sorted ? sendgrid.push([event.timestamp * 1000, event]) : contactBatch.push(event)),
    sendgridRaw: (at, text) => put("sendgrid", at, text),
    sendgridRetry: () => retry("sendgrid"),
    mailgunRetry: () => retry("mailgun"),
    postmarkRetry: () => retry("postmark"),
  };
  const people = [];
  let contactBatch = [];
  const lastLine = {}; // file → a line written earlier, for retries
  function put(file, at, text) {
    // A retry repeats an engagement delivery (a repeated delivery receipt would only be skipped twice).
    const receipt = text.includes('"RecordType":"Delivery"');
    if (!receipt && (lastLine[file] === undefined || retries.next() < 0.1)) lastLine[file] = text;
    pending.push([file, at, text]); // sorted at the end, or (big samples) per contact as it is done
  }
  function retry(file) {
    if (file === "sendgrid" && sorted) flushSendgrid();
    const line = lastLine[file];
    if (line !== undefined) put(file, pending.find((p) => p[2] === line)?.[1] ?? 0, line);
  }
  function flushSendgrid() {
    sendgrid.sort((a, b) => a[0] - b[0]);
    for (let k = 0; k < sendgrid.length; k += BATCH) {
      const batch = sendgrid.slice(k, k + BATCH);
      put("sendgrid", batch[batch.length - 1][0], JSON.stringify(batch.map(([, e]) => e)));
    }
    sendgrid.length = 0;
  }

  const drain = () => {
    pending.sort((a, b) => a[1] - b[1]); // stable: equal instants keep their order
    for (const [file, , text] of pending) files[file].line(text);
    pending.length = 0;
  };
  for (let i = 0; i < count; i++) {
    module.contact(i, r, out);
    if (sorted) continue;
    if (contactBatch.length) put("sendgrid", contactBatch[contactBatch.length - 1].timestamp * 1000, JSON.stringify(contactBatch));
    contactBatch = [];
    drain();
  }
  module.extras(r, out, people);
  if (sorted) flushSendgrid();
  drain();
  const counts = Object.entries(files).filter(([k]) => k !== "contacts").map(([k, w]) => `${w.close()} ${k}`);
  files.contacts.close();
  expected.close();
  if (name === "b2b") writeFileSync(join(dir, "mailgun-webhook-signing.key"), `${b2b.MAILGUN_KEY}\n`);
  console.error(`${name}: ${count} contacts (+ extra rows); ${counts.join(", ")} lines → ${dir}`);
}

const [which = "all", countArg, dirArg] = process.argv.slice(2);
const names = which === "all" ? Object.keys(SCENARIOS) : [which];
for (const name of names) {
  if (!SCENARIOS[name]) throw new Error(`unknown sample "${name}": expected b2b, shop or all`);
  const count = countArg === undefined ? SCENARIOS[name].size : Number(countArg);
  if (!(Number.isInteger(count) && count > 0)) throw new Error(`count must be a positive whole number, got ${countArg}`);
  const dir = dirArg ?? join(here, name);
  generate(name, count, names.length > 1 && dirArg ? join(dir, name) : dir);
}
