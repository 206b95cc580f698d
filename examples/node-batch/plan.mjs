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
// For big lists and every output (segments, audiences, archive, report.html) use the CLI: `rekindle plan --help`.
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
const csv = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v ?? ""));

export async function plan(argv) {
  const o = args(argv);
  await init();
  const engine = new Engine(readFileSync(o.playbook, "utf8"));
  const now = Date.parse(o.now);
  const mailgunKey = o["mailgun-key"] ? readFileSync(o["mailgun-key"], "utf8").trim() : null;
  const people = new Map(); // email → { id, events }
  const problems = [];
  for (const spec of o.contacts) {
    const [vendor, file] = split(spec);
    const { contacts, rejected } = importContacts(vendor, readFileSync(file), { file });
    for (const r of rejected) problems.push(`${r.at}: ${r.code}: ${r.message}`);
    for (const c of contacts) {
      if (people.has(c.email)) continue; // the first row of an email wins (the CLI reports duplicates)
      const profile = { id: `${c.id ?? c.email}-profile`, at: c.createdAt ?? now, kind: "profile", props: c.fields };
      people.set(c.email, { id: c.id ?? c.email, events: [profile, ...c.events] });
    }
  }
  const add = (event, where) => {
    const person = people.get(String(event.contact ?? "").toLowerCase());
    if (person) person.events.push(event);
    else problems.push(`${where}: no contact ${event.contact}`);
  };
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
        for (const event of importWebhook(vendor, body).events) add(event, where);
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
    lines.push([person.id, email, d.lifecycle.state, d.stage, d.readiness, d.cta?.id ?? ""].map(csv).join(","));
  }
  return { csv: `${lines.join("\n")}\n`, problems };
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
