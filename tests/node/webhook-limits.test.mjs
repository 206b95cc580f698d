// Webhook intake as a long-running receiver sees it: bodies over the vendor's limit (1 MiB; Postmark 16 MiB) are
// refused with E_IMPORT_INVALID at `body` naming the size and the limit before they are copied into wasm memory,
// and neither they nor hostile bodies (deep nesting, bytes that are not UTF-8, half a million tiny items, another
// vendor's JSON) trap the wasm: the same instance keeps decoding. instances.mjs counts instantiations.
import "./instances.mjs"; // before "rekindle"
import assert from "node:assert/strict";
import { test } from "node:test";
import { RekindleError, importWebhook, verifySendgrid } from "rekindle";
import { instances } from "./instances.mjs";

const good = JSON.stringify([{ email: "a@example.com", timestamp: 1513299569, event: "open", sg_event_id: "e1" }]);
const refused = (fn) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RekindleError, `expected a RekindleError, got ${err?.message}`);
    return err;
  }
  assert.fail("expected a RekindleError, but nothing was thrown");
};

test("a body over the vendor's limit is E_IMPORT_INVALID at body, naming its size and the limit", () => {
  const count = instances.length;
  const mib = 1 << 20;
  // 50 MB of bytes, and a string of 50 M characters (measured, not encoded).
  const bytes = new Uint8Array(50 * mib).fill(0x20);
  bytes.set(new TextEncoder().encode(good));
  for (const body of [bytes, good.padEnd(50 * mib, " ")]) {
    const err = refused(() => importWebhook("sendgrid", body));
    assert.equal(err.code, "E_IMPORT_INVALID");
    assert.equal(err.path, "body");
    assert.match(err.message, /too large: 52428800 bytes, over the 1048576-byte limit of a sendgrid webhook body/);
  }
  // A string's size is its UTF-8 length: 600,000 "é" are 1.2 MB.
  assert.match(refused(() => importWebhook("mailgun", "é".repeat(600_000))).message, /too large: 1200000 bytes/);
  // At the limit it decodes; Postmark's limit is 16 MiB (a bounce may quote the bounced message).
  assert.equal(importWebhook("sendgrid", good.padEnd(mib, " ")).events.length, 1);
  const postmark = JSON.stringify({ RecordType: "Open", MessageID: "m", Recipient: "a@example.com",
    ReceivedAt: "2016-04-27T16:21:41Z", Content: "x".repeat(4 * mib) });
  assert.equal(importWebhook("postmark", postmark).events.length, 1);
  assert.match(refused(() => importWebhook("postmark", bytes.subarray(0, 17 * mib))).message,
    /over the 16777216-byte limit of a postmark webhook body/);
  // verifySendgrid refuses the same body before copying it.
  const err = refused(() => verifySendgrid({ key: "k", timestamp: "1", body: bytes, signature: "s" }));
  assert.equal(err.code, "E_IMPORT_INVALID");
  assert.equal(instances.length, count, "nothing trapped: the wasm was not re-instantiated");
  assert.equal(importWebhook("sendgrid", good).events.length, 1);
});

test("hostile bodies are whole-body errors or diagnostics, never a trap", () => {
  const count = instances.length;
  const cases = [
    ["sendgrid", "[".repeat(200_000), /nesting deeper than 64/],
    ["ses", '{"a":'.repeat(100_000), /nesting deeper than 64/],
    ["postmark", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), /invalid UTF-8/],
    ["sendgrid", `[${"0,".repeat(400_000)}0]`, /too many events: 400001, over 20000/],
    ["mailchimp", "a&".repeat(20_000), /too many fields: over 10000/],
    ["postmark", JSON.stringify({ event: "open", email: "a@example.com", timestamp: 1, sg_event_id: "e" }),
      /this is a sendgrid webhook body, not a postmark one/],
    ["sendgrid", JSON.stringify({ "event-data": { event: "opened" } }), /this is a mailgun webhook body, not a sendgrid one/],
    ["mailchimp", good, /a JSON body: Mailchimp posts forms/],
  ];
  for (const [vendor, body, message] of cases) {
    const err = refused(() => importWebhook(vendor, body));
    assert.equal(err.code, "E_IMPORT_INVALID", `${vendor}: ${err.message}`);
    assert.match(err.message, message);
  }
  assert.equal(instances.length, count, "nothing trapped: the wasm was not re-instantiated");
  assert.equal(importWebhook("sendgrid", good).events.length, 1);
});
