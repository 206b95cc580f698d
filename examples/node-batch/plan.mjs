#!/usr/bin/env node
// A Node plugin in ~100 lines: read a vendor contact export and ESP webhook logs with rekindle's adapters (the
// same decoders as `rekindle plan`), fold every contact's events, decide, print one CSV line per contact.
//
//   node examples/node-batch/plan.mjs --playbook examples/playbooks/saas.json \
//     --contacts hubspot:examples/data/b2b/hubspot-contacts.csv \
//     --webhooks sendgrid:examples/data/b2b/sendgrid-events.ndjson \
//     --webhooks mailgun:examples/data/b2b/mailgun-events.ndjson --mailgun-key examples/data/b2b/mailgun-webhook-signing.key \
//     --events examples/data/b2b/site-events.ndjson --now 2026-11-26T12:00:00Z > plan.csv
//
// Webhook logs: one delivery per line, the raw body or `{ received_at, headers, body }` as `rekindle plan` logs
// them. With --mailgun-key, a Mailgun delivery whose signature does not verify is rejected (stderr), never folded.
// As the CLI does: rows of one email are merged (later cells win), each webhook event (vendor, id, contact) is
// folded once however often the ESP retried it, every diagnostic is reported, and an erased contact's row keeps
// no email. Not here: merging by phone, late-event batching, and every output (segments, audiences, archive,
// report.html) — for those and for big lists use the CLI: `rekindle plan --help`.
import { readFileSync } from "node:fs";
import { Engine, importContacts, importWebhook, init, verifyMailgun } from "rekindle";

function args(argv) {
  const out = { contacts: [], webhooks: [], events: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    const name = flag.replace(/^--/, "");
    if (Array.isArray(out[name])) out[name].push(value);
    else if (["playbook", "now", "mailgun-key"].includes(name)) out[name] = value;
    else throw new Error(`unknown option ${flag}; see the header of examples/node-batch/plan.mjs`);
  }
  if (!out.playbook || !out.now) throw new Error("--playbook and --now are required");
  return out;
}

const split = (spec) => {
  const at = spec.indexOf(":");
  return [spec.slice(0, at), spec.slice(at + 1)];
};
// --now as the CLI reads it (crates/cli/src/now.rs): RFC 3339 or epoch milliseconds. Epoch seconds (`date +%s`,
// below 10^11 as milliseconds) are refused: read as milliseconds they are January 1970, before every event.
export function parseNow(text) {
  const now = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Date.parse(text);
  if (!Number.isSafeInteger(now)) {
    throw new Error(`--now: expected RFC 3339 like 2026-11-26T12:00:00Z or epoch milliseconds, got ${text}`);
  }
  if (now >= 0 && now < 100_000_000_000) {
    throw new Error(`--now: ${text.trim()} is ${new Date(now).toISOString()} read as epoch milliseconds: it looks like \
epoch seconds; pass milliseconds (× 1000) or RFC 3339 like 2026-11-26T12:00:00Z (now_looks_like_seconds)`);
  }
  return now;
}

// `jane@example.com` → `j***@example.com`; without `@`, the first character only; at most 40 characters of the
// domain. The CLI's rule (crates/cli/src/diagnostic.rs, `mask`): a problem report names whom it is about without
// becoming a copy of the addresses it complains about.
export function mask(text) {
  const chars = Array.from(String(text ?? "").trim()); // code points, as Rust's chars()
  const at = chars.lastIndexOf("@");
  if (at !== -1) {
    const domain = chars.slice(at + 1);
    return `${chars.slice(0, 1).join("")}***@${domain.slice(0, 40).join("")}${domain.length > 40 ? "…" : ""}`;
  }
  return chars.length === 0 ? "(empty)" : `${chars[0]}***`;
}
const csv = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v ?? ""));

export async function plan(argv) {
  const o = args(argv);
  await init();
  const engine = new Engine(readFileSync(o.playbook, "utf8"));
  const now = parseNow(o.now);
  const mailgunKey = o["mailgun-key"] ? readFileSync(o["mailgun-key"], "utf8").trim() : null;
  const people = new Map(); // email → { id, events }
  const problems = [];
  for (const spec of o.contacts) {
    const [vendor, file] = split(spec);
    const { contacts, rejected } = importContacts(vendor, readFileSync(file), { file });
    for (const r of rejected) problems.push(`${r.at}: ${r.code}: ${r.message}`);
    for (const c of contacts) {
      const earlier = people.get(c.email);
      if (earlier) {
        // A later row of the same email fills and overrides the earlier one's cells, as the CLI merges them.
        Object.assign(earlier.events[0].props, c.fields);
        earlier.events.push(...c.events);
        continue;
      }
      const profile = { id: `${c.id ?? c.email}-profile`, at: c.createdAt ?? now, kind: "profile", props: { ...c.fields } };
      people.set(c.email, { id: c.id ?? c.email, events: [profile, ...c.events] });
    }
  }
  const add = (event, where) => {
    const person = people.get(String(event.contact ?? "").toLowerCase());
    if (person) person.events.push(event);
    else problems.push(`${where}: no contact ${mask(event.contact)} in the contacts file; add the contact or fix the event's \`contact\``);
  };
  // ESPs retry deliveries: an event folded twice would count twice, so each (vendor, event id, contact) is folded once.
  const seen = new Set();
  let duplicates = 0;
  for (const spec of o.webhooks) {
    const [vendor, file] = split(spec);
    readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      const where = `${file}:${i + 1}`;
      const envelope = line.startsWith("{") && JSON.parse(line).body !== undefined ? JSON.parse(line) : null;
      const body = envelope ? envelope.body : line;
      if (vendor === "mailgun" && mailgunKey !== null) {
        const { timestamp, token, signature } = JSON.parse(body).signature ?? {};
        if (!verifyMailgun({ signingKey: mailgunKey, timestamp: String(timestamp), token: String(token), signature: String(signature) })) {
          problems.push(`${where}: signature does not verify; delivery rejected`);
          return;
        }
      }
      try {
        const { events, diagnostics } = importWebhook(vendor, body);
        for (const d of diagnostics) problems.push(`${where}: ${d.at}: ${d.code}: ${d.message}`);
        for (const event of events) {
          const key = `${vendor}\u0000${event.id}\u0000${event.contact}`;
          if (seen.has(key)) duplicates += 1;
          else add(event, where);
          seen.add(key);
        }
      } catch (err) {
        problems.push(`${where}: ${err.code}: ${err.message}`);
      }
    });
  }
  for (const file of o.events) {
    readFileSync(file, "utf8").split("\n").forEach((line, i) => line.trim() && add(JSON.parse(line), `${file}:${i + 1}`));
  }
  const lines = ["id,email,lifecycle,stage,readiness,cta"];
  for (const [email, person] of people) {
    const d = engine.evaluate(person.events, { now });
    // An erased contact keeps no personal data in any output (as the CLI's plan.csv): its id and phase only.
    const row = d.lifecycle.state === "erased" ? [person.id, "", "erased", "", "", ""]
      : [person.id, email, d.lifecycle.state, d.stage, d.readiness, d.cta?.id ?? ""];
    lines.push(row.map(csv).join(","));
  }
  return { csv: `${lines.join("\n")}\n`, problems, duplicates };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { csv: out, problems } = await plan(process.argv.slice(2));
    process.stdout.write(out);
    for (const p of problems) process.stderr.write(`${p}\n`);
  } catch (err) {
    process.stderr.write(`plan.mjs: ${err.message}\n`);
    process.exit(2);
  }
}
