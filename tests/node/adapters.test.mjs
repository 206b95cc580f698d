// The vendor adapters through the npm package (Node entry, issue 5): real vendor fixtures (tests/fixtures/vendor,
// sources in its README) decode to rekindle events that fold; contact exports keep bad rows as located rejects;
// webhook signatures verify with the vendors' own vectors and refuse tampering; misuse is a RekindleError.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Engine, RekindleError, checkSignatureAge, importContacts, importWebhook, verifyMailgun, verifySendgrid } from "rekindle";
import { examplePlaybook } from "./contacts.mjs";

const fixture = (name) => readFileSync(new URL(`../fixtures/vendor/${name}`, import.meta.url));
const example = (name) => readFileSync(new URL(`../../examples/data/${name}`, import.meta.url), "utf8");

test("SendGrid's event batch decodes to events that fold, machine opens flagged, unmapped kinds listed", () => {
  const { events, diagnostics, skipped } = importWebhook("sendgrid", fixture("sendgrid-events.json"));
  assert.ok(events.length > 0);
  for (const e of events) {
    assert.equal(typeof e.at, "number");
    assert.match(e.kind, /^[a-z_]+$|^custom:/);
    assert.equal(e.props.provider, "sendgrid");
  }
  assert.deepEqual(diagnostics, []);
  assert.ok(skipped.every((s) => typeof s.reason === "string" && s.providerKind.length > 0));
  const engine = new Engine(examplePlaybook("reengagement"));
  const byContact = new Map();
  for (const e of events) byContact.set(e.contact, [...(byContact.get(e.contact) ?? []), e]);
  for (const [contact, list] of byContact) {
    const d = engine.decide(engine.fold(null, list), { now: Date.parse("2026-01-01T00:00:00Z") });
    assert.equal(typeof d.lifecycle.state, "string", contact);
  }
});

test("every vendor's webhook fixture decodes; a body that is not the vendor's shape is E_IMPORT_INVALID", () => {
  // Each fixture delivery → the kinds it maps to (empty: a kind rekindle does not use, listed in skipped or
  // diagnostics — never silently dropped).
  const kinds = (vendor, bodies) => bodies.map((b) => {
    const r = importWebhook(vendor, JSON.stringify(b));
    assert.ok(r.events.length + r.skipped.length + r.diagnostics.length >= 1, `${vendor}: every delivery is accounted for`);
    return r.events.map((e) => e.kind).join("");
  });
  assert.deepEqual(kinds("mailgun", JSON.parse(fixture("mailgun-webhooks.json")).events.map((e) => e.payload)),
    ["", "email_bounce", "email_bounce", "email_bounce", "", "spam_complaint", "unsubscribe", "email_open", "email_click", ""]);
  assert.deepEqual(kinds("postmark", JSON.parse(fixture("postmark-webhooks.json")).map((e) => e.payload)),
    ["email_bounce", "", "email_open", "email_click", "spam_complaint", "unsubscribe", "subscribe", "email_bounce", ""]);
  assert.deepEqual(kinds("ses", JSON.parse(fixture("ses-event-publishing.json"))),
    ["email_bounce", "spam_complaint", "", "", "", "email_open", "email_click", "", "", "unsubscribe"]);
  assert.deepEqual(importWebhook("mailchimp", fixture("mailchimp-webhook-subscribe.urlencoded.txt")).events.map((e) => e.kind),
    ["subscribe", "profile"]);
  for (const [vendor, body] of [["sendgrid", "{not json"], ["mailgun", "[]"], ["postmark", "42"]]) {
    assert.throws(() => importWebhook(vendor, body), (e) => e instanceof RekindleError && e.code === "E_IMPORT_INVALID", vendor);
  }
  assert.throws(() => importWebhook("sparkpost", "{}"), (e) => e.code === "E_INPUT_INVALID" && e.path === "vendor");
  assert.throws(() => importWebhook("sendgrid", 42), (e) => e.code === "E_INPUT_INVALID" && e.path === "body");
});

test("contact exports: HubSpot, Klaviyo and Mailchimp rows become contacts with profile fields and status events", () => {
  const hubspot = importContacts("hubspot", fixture("hubspot-contacts-described.csv"), { file: "hubspot.csv" });
  assert.ok(hubspot.contacts.length >= 1);
  const ada = hubspot.contacts.find((c) => c.email === "ada.lovelace@example.com");
  assert.ok(ada, "emails are trimmed and lower-cased (the dedup key)");
  assert.equal(ada.id, "51");
  assert.equal(typeof ada.createdAt, "number");
  for (const [vendor, file] of [["klaviyo", "klaviyo-profiles-described.csv"], ["mailchimp", "mailchimp-export-subscribed.csv"]]) {
    const { contacts, rejected } = importContacts(vendor, fixture(file));
    assert.ok(contacts.length + rejected.length >= 1, vendor);
  }
  // The generated B2B sample: a bad row is rejected with file, line and reason; the rest of the file goes on.
  const b2b = importContacts("hubspot", example("b2b/hubspot-contacts.csv"), { file: "hubspot-contacts.csv" });
  assert.ok(b2b.contacts.length >= 100);
  for (const r of b2b.rejected) {
    assert.match(r.at, /^hubspot-contacts\.csv:\d+/);
    assert.equal(typeof r.line, "number");
    assert.equal(typeof r.message, "string");
  }
  assert.throws(() => importContacts("salesforce", "a,b\n"), (e) => e.code === "E_INPUT_INVALID" && e.path === "vendor");
});

test("webhook signatures: SendGrid's published vectors and Mailgun's logged deliveries verify; tampering does not", () => {
  const { vectors } = JSON.parse(fixture("sendgrid-signed-webhook-vectors.json"));
  for (const v of vectors) {
    const result = verifySendgrid({ key: v.public_key, timestamp: v.timestamp, body: v.body, signature: v.signature });
    assert.equal(result.ok, v.expect_valid, `${v.source}: ${result.message ?? "ok"}`);
    if (v.expect_valid) {
      const tampered = verifySendgrid({ key: v.public_key, timestamp: v.timestamp, body: `${v.body} `, signature: v.signature });
      assert.deepEqual([tampered.ok, tampered.reason], [false, "signature_mismatch"]);
    }
  }
  assert.equal(verifySendgrid({ key: "not a key", timestamp: "1", body: "{}", signature: "x" }).reason, "bad_key");
  const key = example("b2b/mailgun-webhook-signing.key").trim();
  const delivery = JSON.parse(JSON.parse(example("b2b/mailgun-events.ndjson").split("\n")[0]).body);
  const { timestamp, token, signature } = delivery.signature;
  assert.equal(verifyMailgun({ signingKey: key, timestamp, token, signature }), true);
  assert.equal(verifyMailgun({ signingKey: key, timestamp: String(Number(timestamp) + 1), token, signature }), false);
  assert.equal(verifyMailgun({ signingKey: "another key", timestamp, token, signature }), false);
});

test("examples/node-batch/plan.mjs, a Node plugin on the adapters, agrees with the B2B sample's expected states", async () => {
  const { plan } = await import("../../examples/node-batch/plan.mjs");
  const root = new URL("../../", import.meta.url).pathname;
  const { csv, problems, duplicates } = await plan(["--playbook", `${root}examples/playbooks/saas.json`,
    "--contacts", `hubspot:${root}examples/data/b2b/hubspot-contacts.csv`,
    "--webhooks", `sendgrid:${root}examples/data/b2b/sendgrid-events.ndjson`,
    "--webhooks", `mailgun:${root}examples/data/b2b/mailgun-events.ndjson`,
    "--mailgun-key", `${root}examples/data/b2b/mailgun-webhook-signing.key`,
    "--events", `${root}examples/data/b2b/site-events.ndjson`, "--now", "2026-11-26T12:00:00Z"]);
  const rows = new Map(csv.trim().split("\n").slice(1).map((line) => line.split(",")).map(([id, , lifecycle]) => [id, lifecycle]));
  const expected = example("b2b/expected.csv").trim().split("\n").slice(1).map((line) => line.split(","));
  for (const [id, archetype, lifecycle] of expected) assert.equal(rows.get(id), lifecycle, `${id} (${archetype})`);
  // The sample's planted faults, each reported with its place: a bad row, an unknown contact, a record with a
  // millisecond timestamp (a diagnostic inside a body that is otherwise read), a broken body and a forged Mailgun
  // delivery — the same the CLI reports.
  assert.deepEqual(problems.map((p) => p.replace(/^.*\/examples\/data\//, "").replace(/: .*$/, "")),
    ["b2b/hubspot-contacts.csv:134:4", "b2b/sendgrid-events.ndjson:89", "b2b/sendgrid-events.ndjson:90",
      "b2b/sendgrid-events.ndjson:91", "b2b/mailgun-events.ndjson:97"]);
  assert.ok(problems.some((p) => p.includes("timestamp_looks_like_ms")), problems.join("\n"));
  // The unknown contact is masked as the CLI masks it (diagnostic::mask): a log of problems must not become a copy
  // of the addresses it complains about.
  const unknown = problems.find((p) => p.includes("sendgrid-events.ndjson:89:"));
  assert.match(unknown, /: no contact n\*\*\*@elsewhere\.test in the contacts file; add the contact or fix the event's `contact`$/);
  assert.ok(!problems.some((p) => p.includes("nobody@")), problems.join("\n"));
  assert.equal(duplicates, 4, "a retried SendGrid POST and a retried Mailgun delivery, folded once (the CLI's duplicateEvents)");
  // Erased contacts leave their phase only; nobody's email is printed for them.
  const erased = csv.split("\n").filter((line) => line.split(",")[2] === "erased");
  assert.ok(erased.length > 0 && erased.every((line) => line.split(",")[1] === ""), erased.join("\n"));
});

test("checkSignatureAge: a delivery signed within the tolerance of its receipt is fresh; an old one replayed is not", () => {
  const signed = "1600112502"; // Unix seconds, as SendGrid and Mailgun send them
  const at = (seconds) => ({ receivedAt: (1_600_112_502 + seconds) * 1000 });
  assert.deepEqual(checkSignatureAge(signed, at(300)), { ok: true }, "5 minutes later, the default tolerance");
  const late = checkSignatureAge(signed, at(301));
  assert.equal(late.ok, false);
  assert.equal(late.reason, "signature_expired");
  assert.match(late.message, /more than 300 s later/);
  assert.equal(checkSignatureAge(signed, at(-400)).reason, "signature_from_future");
  assert.equal(checkSignatureAge(signed, { ...at(3600), tolerance: "2h" }).ok, true);
  assert.equal(checkSignatureAge("1600112502000", at(0)).reason, "bad_signature_timestamp", "milliseconds are no timestamp");
  assert.equal(checkSignatureAge(signed).reason, "signature_expired", "receivedAt defaults to now: a 2020 signature is stale");
  assert.throws(() => checkSignatureAge(signed, { tolerance: "5 minutes" }),
    (e) => e.code === "E_INPUT_INVALID" && e.path === "options.tolerance");
  assert.throws(() => checkSignatureAge(signed, { receivedAt: new Date() }),
    (e) => e.code === "E_INPUT_INVALID" && e.path === "options.receivedAt");
});

test("examples/node-batch/plan.mjs masks an address as the CLI does: first character, ***, the domain", async () => {
  const { mask } = await import("../../examples/node-batch/plan.mjs");
  assert.equal(mask("jane@example.com"), "j***@example.com");
  assert.equal(mask("  Jane@Example.com "), "J***@Example.com", "trimmed first");
  assert.equal(mask("a@b@example.com"), "a***@example.com", "the last @ splits, as rsplit_once");
  assert.equal(mask("cus_8a7f3e9d"), "c***", "no @: the first character only");
  assert.equal(mask(""), "(empty)");
  assert.equal(mask(undefined), "(empty)", "an event without a contact");
  assert.equal(mask("édith@x.test"), "é***@x.test", "a character, not a UTF-16 unit");
  assert.equal(mask(`x@${"d".repeat(41)}`), `x***@${"d".repeat(40)}…`, "at most 40 characters of the domain");
});

test("examples/node-batch/plan.mjs reads --now as the CLI does: RFC 3339 or epoch ms, epoch seconds refused", async () => {
  const { parseNow, plan } = await import("../../examples/node-batch/plan.mjs");
  assert.equal(parseNow("2026-11-26T12:00:00Z"), 1_795_694_400_000);
  assert.equal(parseNow("1795694400000"), 1_795_694_400_000, "epoch milliseconds, as `rekindle plan --now` takes them");
  const seconds = /^--now: 1795694400 is 1970-01-21T18:48:14\.400Z read as epoch milliseconds: it looks like epoch seconds; .*\(now_looks_like_seconds\)$/;
  assert.throws(() => parseNow("1795694400"), (e) => seconds.test(e.message));
  assert.throws(() => parseNow("next tuesday"), /--now: expected RFC 3339 like 2026-11-26T12:00:00Z or epoch milliseconds, got next tuesday/);
  const root = new URL("../../", import.meta.url).pathname;
  await assert.rejects(plan(["--playbook", `${root}examples/playbooks/saas.json`, "--now", "1795694400"]), (e) => seconds.test(e.message));
});
