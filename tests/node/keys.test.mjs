// Keys in Node (the edge build): state cookies sealed and opened through the core, every hostile-cookie class
// refused with its reason (never thrown), key rotation, tokens that interoperate with the CLI's format (D44,
// RFC 8058, docs/tokens.md).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Engine, Keys, RekindleError } from "rekindle";
import { examplePlaybook } from "./contacts.mjs";

const CURRENT = readFileSync(new URL("../../examples/data/keys/example-current.keys", import.meta.url), "utf8");
const PREVIOUS = readFileSync(new URL("../../examples/data/keys/example-previous.keys", import.meta.url), "utf8");
const NOW = Date.parse("2026-11-26T12:00:00Z");
const DAY = 86_400_000;

function visitor(engine) {
  const contact = engine.contact(null);
  contact.fold([
    { id: "a", at: NOW - 2 * DAY, kind: "page_view", props: { path: "/pricing" } },
    { id: "b", at: NOW - DAY, kind: "page_view", props: { path: "/pricing" } },
  ]);
  return contact;
}

test("a sealed state cookie opens to the same state, and decides the same", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const keys = new Keys(CURRENT);
  const contact = visitor(engine);
  const cookie = keys.sealState(contact, { expiresAt: NOW + 30 * DAY });
  assert.match(cookie, /^c1\.2026-11\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  assert.ok(cookie.length < 1024, `${cookie.length} characters`);
  const opened = keys.openState(cookie, { now: NOW });
  assert.equal(opened.ok, true);
  assert.deepEqual(opened.state, contact.toBytes());
  assert.deepEqual(engine.decide(opened.state, { now: NOW }), contact.decide({ now: NOW }));
  assert.equal(keys.sealState(contact.toBytes(), { expiresAt: NOW + DAY }).startsWith("c1.2026-11."), true);
});

test("every hostile cookie class is refused with its reason, never thrown (D44)", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const keys = new Keys(CURRENT);
  const good = keys.sealState(visitor(engine), { expiresAt: NOW + DAY });
  const flip = (text, i) => text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
  const cases = [
    ["tampered payload", flip(good, 14), "bad_signature"],
    ["tampered signature", flip(good, good.length - 3), "bad_signature"],
    ["truncated", good.slice(0, good.length - 5), "malformed"],
    ["oversized", `c1.2026-11.${"A".repeat(5000)}.${"A".repeat(22)}`, "too_long"],
    ["unknown key id", good.replace("c1.2026-11.", "c1.2025-01."), "unknown_key"],
    ["not ours at all", "session=abc; path=/", "malformed"],
    ["empty", "", "malformed"],
    ["a token as a cookie", "v1.2026-11.AQEAAAGhlGfoAAAAAaIu5rAADGN1c184YTdmM2U5ZApuZXdzbGV0dGVy.MgxXBwyiz31zAav7u3227Q", "malformed"],
  ];
  for (const [name, text, reason] of cases) {
    const result = keys.openState(text, { now: NOW });
    assert.equal(result.ok, false, name);
    assert.equal(result.reason, reason, `${name}: ${result.message}`);
    assert.equal(typeof result.message, "string");
  }
  assert.equal(keys.openState(good, { now: NOW + 2 * DAY }).reason, "expired");
  assert.equal(keys.openState(undefined, { now: NOW }).reason, "malformed");
});

test("openContact opens a cookie straight into a Contact; none or a hostile one gives a new visitor and why", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const keys = new Keys(CURRENT);
  const contact = visitor(engine);
  const cookie = keys.sealState(contact, { expiresAt: NOW + DAY });
  const opened = keys.openContact(engine, cookie, { now: NOW });
  assert.equal(opened.opened, true);
  assert.equal(opened.reason, undefined);
  assert.deepEqual(opened.contact.toBytes(), contact.toBytes());
  assert.deepEqual(opened.contact.decide({ now: NOW }), contact.decide({ now: NOW }));
  assert.equal(keys.sealState(opened.contact, { expiresAt: NOW + DAY }), cookie, "the same state seals to the same cookie");
  assert.equal(opened.contact.changed(), false, "opened from the cookie and nothing folded: no cookie to write");
  opened.contact.fold([{ id: "c", at: NOW, kind: "page_view", props: { path: "/pricing" } }]);
  assert.equal(opened.contact.changed(), true, "a page view folded: the cookie must be written again");
  const fresh = engine.contact(null).toBytes();
  for (const text of [null, undefined]) {
    const none = keys.openContact(engine, text, { now: NOW });
    assert.deepEqual([none.opened, none.reason, none.contact.toBytes()], [false, undefined, fresh], String(text));
  }
  const cases = [
    [cookie.slice(0, -5), "malformed"],
    [cookie.replace("c1.2026-11.", "c1.2025-01."), "unknown_key"],
    [`${cookie.slice(0, -2)}AA`, "bad_signature"],
    [42, "malformed"],
  ];
  for (const [text, reason] of cases) {
    const refused = keys.openContact(engine, text, { now: NOW });
    assert.equal(refused.opened, false);
    assert.equal(refused.reason, reason, refused.message);
    assert.equal(typeof refused.message, "string");
    assert.deepEqual(refused.contact.toBytes(), fresh, "a refused cookie is a new visitor");
    assert.equal(refused.contact.changed(), false, "nothing folded into a new visitor: no cookie to write");
    refused.contact.fold([{ id: "x", at: NOW, kind: "page_view", props: { path: "/pricing" } }]);
    assert.equal(refused.contact.updatedAt(), NOW, "the contact is usable");
    assert.equal(refused.contact.changed(), true);
  }
  assert.equal(keys.openContact(engine, cookie, { now: NOW + 2 * DAY }).reason, "expired");
  assert.throws(() => keys.openContact({}, cookie, { now: NOW }), (e) => e instanceof RekindleError && e.path === "engine");
  assert.throws(() => keys.openContact(engine, cookie, { now: "soon" }), (e) => e instanceof RekindleError && e.code === "E_INPUT_INVALID");
});

test("rotation: the newest key signs, an older key still opens what it signed", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const old = new Keys(PREVIOUS);
  const both = new Keys(`${PREVIOUS}\n${CURRENT}`);
  assert.deepEqual(both.ids(), ["2026-10", "2026-11"]);
  const signedBefore = old.sealState(visitor(engine), { expiresAt: NOW + DAY });
  assert.equal(both.openState(signedBefore, { now: NOW }).ok, true, "an old cookie still opens after rotation");
  assert.match(both.sealState(visitor(engine), { expiresAt: NOW + DAY }), /^c1\.2026-11\./, "the newest key signs");
  assert.equal(new Keys(CURRENT).openState(signedBefore, { now: NOW }).reason, "unknown_key", "retired keys stop opening");
});

test("tokens: sign and verify one-click-unsubscribe and preference tokens; forgery, expiry and purpose refused", () => {
  const keys = new Keys(CURRENT);
  const token = keys.signToken({ purpose: "unsubscribe", contact: "cus_8a7f3e9d", topic: "newsletter",
    issuedAt: NOW, expiresAt: NOW + 30 * DAY });
  assert.match(token, /^v1\.2026-11\./);
  assert.deepEqual(keys.verifyToken(token, { purpose: "unsubscribe", now: NOW + DAY }), {
    ok: true,
    token: { purpose: "unsubscribe", contact: "cus_8a7f3e9d", topic: "newsletter", issuedAt: NOW, expiresAt: NOW + 30 * DAY },
  });
  const refusal = (text, options) => keys.verifyToken(text, options).reason;
  assert.equal(refusal(token, { purpose: "preferences", now: NOW }), "wrong_purpose");
  assert.equal(refusal(token, { purpose: "unsubscribe", now: NOW + 31 * DAY }), "expired");
  assert.equal(refusal(token.slice(0, -2) + (token.endsWith("AA") ? "BA" : "AA"), { purpose: "unsubscribe", now: NOW }), "bad_signature");
  // The known answer of docs/tokens.md (HMAC computed with Python and openssl, key bytes 0x00..=0x1f) signs and
  // verifies identically here: one format, one implementation.
  const kat = new Keys(`2026-11:${Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0")).join("")}`);
  const docs = "v1.2026-11.AQEAAAGhlGfoAAAAAaIu5rAADGN1c184YTdmM2U5ZApuZXdzbGV0dGVy.MgxXBwyiz31zAav7u3227Q";
  const nov1 = Date.parse("2026-11-01T00:00:00Z");
  const verified = kat.verifyToken(docs, { purpose: "unsubscribe", now: Date.parse("2026-11-15T00:00:00Z") });
  assert.equal(verified.ok, true, verified.message);
  assert.deepEqual(verified.token, { purpose: "unsubscribe", contact: "cus_8a7f3e9d", topic: "newsletter", issuedAt: nov1,
    expiresAt: verified.token.expiresAt });
  assert.equal(kat.signToken({ ...verified.token }), docs);
});

test("keep-me tokens (D8's break-up \"keep me subscribed\"): sign and verify as keep; no other purpose stands in for it", () => {
  const keys = new Keys(CURRENT);
  const keep = keys.signToken({ purpose: "keep", contact: "cus_8a7f3e9d", issuedAt: NOW, expiresAt: NOW + 30 * DAY });
  assert.deepEqual(keys.verifyToken(keep, { purpose: "keep", now: NOW + DAY }), {
    ok: true,
    token: { purpose: "keep", contact: "cus_8a7f3e9d", topic: null, issuedAt: NOW, expiresAt: NOW + 30 * DAY },
  });
  const refusal = (text, options) => keys.verifyToken(text, options).reason;
  assert.equal(refusal(keep, { purpose: "unsubscribe", now: NOW }), "wrong_purpose");
  assert.equal(refusal(keep, { purpose: "preferences", now: NOW }), "wrong_purpose");
  for (const purpose of ["unsubscribe", "preferences"]) {
    const other = keys.signToken({ purpose, contact: "cus_8a7f3e9d", issuedAt: NOW, expiresAt: NOW + DAY });
    assert.equal(refusal(other, { purpose: "keep", now: NOW }), "wrong_purpose", purpose);
  }
  assert.equal(refusal(keep, { purpose: "keep", now: NOW + 30 * DAY }), "expired");
});

test("misuse throws RekindleError E_INPUT_INVALID naming the argument; bad key text names the line", () => {
  const keys = new Keys(CURRENT);
  const code = (fn) => {
    try {
      fn();
      return "accepted";
    } catch (error) {
      assert.ok(error instanceof RekindleError);
      return `${error.code} ${error.path ?? ""}`.trim();
    }
  };
  assert.equal(code(() => new Keys("2026-11:abc")), "E_INPUT_INVALID line 1");
  assert.equal(code(() => new Keys("# only a comment\n")), "E_INPUT_INVALID keys");
  assert.equal(code(() => new Keys(42)), "E_INPUT_INVALID keys");
  assert.equal(code(() => keys.sealState("bytes?", { expiresAt: NOW })), "E_INPUT_INVALID state");
  assert.equal(code(() => keys.sealState(new Uint8Array(), { expiresAt: 1.5 })), "E_INPUT_INVALID options.expiresAt");
  assert.equal(code(() => keys.signToken({ purpose: "spam", contact: "x", issuedAt: NOW, expiresAt: NOW })), "E_INPUT_INVALID token.purpose");
  assert.equal(code(() => keys.verifyToken("v1.x", { purpose: "unsubscribe", when: NOW })), "E_INPUT_INVALID options.when");
  // A token that expires when it is issued (or before) would make links refused on their first click.
  for (const expiresAt of [NOW, NOW - 1000]) {
    assert.equal(code(() => keys.signToken({ purpose: "unsubscribe", contact: "c", issuedAt: NOW, expiresAt })), "E_INPUT_INVALID token.expiresAt");
  }
  keys.free();
  assert.equal(code(() => keys.ids()), "E_DISPOSED");
});
