// The README promises that every failure is a RekindleError with a code and a path: a missing options or input
// object and a relative URL must say so in those terms, never as a destructuring TypeError or ERR_INVALID_URL.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Keys, fitRetention, importContacts, pageViewProps, verifyMailgun, verifySendgrid } from "rekindle";
import { failure } from "./fixtures.mjs";

const KEYS = `k1:${"ab".repeat(32)}`;

test("keys.sealState without options names options, and a bad expiry names options.expiresAt", () => {
  const keys = new Keys(KEYS);
  const state = new Uint8Array([2, 0]);
  assert.equal(failure(() => keys.sealState(state)),
    "E_INPUT_INVALID options: options: expected an object like { expiresAt }, got undefined");
  assert.match(failure(() => keys.sealState(state, { expiresAt: 1.5 })), /^E_INPUT_INVALID options\.expiresAt: /);
  keys.free();
});

test("pageViewProps refuses a missing input and a relative or non-string url with E_INPUT_INVALID", () => {
  assert.equal(failure(() => pageViewProps()),
    "E_INPUT_INVALID input: input: expected an object like { url, referrer, lastSeen, now }, got undefined");
  assert.match(failure(() => pageViewProps({ url: "/pricing" })),
    /^E_INPUT_INVALID input\.url: input\.url: expected an absolute URL like "https:\/\/example\.com\/pricing".*, got "\/pricing"$/);
  assert.match(failure(() => pageViewProps({ url: 42 })), /^E_INPUT_INVALID input\.url: .*got the number 42$/);
  assert.match(failure(() => pageViewProps({})), /^E_INPUT_INVALID input\.url: .*got undefined$/);
});

test("the Node-only functions refuse a missing or wrong input object with E_INPUT_INVALID", () => {
  assert.match(failure(() => importContacts("mailchimp", "", null)), /^E_INPUT_INVALID options: .*got null$/);
  assert.match(failure(() => verifyMailgun()), /^E_INPUT_INVALID input: .*got undefined$/);
  assert.match(failure(() => verifySendgrid("body")), /^E_INPUT_INVALID input: .*got a string$/);
  assert.match(failure(() => fitRetention()), /^E_INPUT_INVALID summaries: .*got undefined$/);
  assert.match(failure(() => fitRetention(null)), /^E_INPUT_INVALID summaries: .*got null$/);
});
