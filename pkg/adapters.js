// The vendor adapters for plugin authors (Node entry only): the CLI's decoders of ESP webhooks and contact exports
// and its webhook signature checks, through the same core — so a Node plugin and `rekindle plan` read a vendor
// file identically. Events come back as the plain objects `fold` takes.
import { call, inputError, internals, objectArg } from "./facade.js";

const encoder = new TextEncoder();

function bytesArg(value, path) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  throw inputError(path, "expected a string or a Uint8Array (Buffer)");
}

/**
 * A webhook body's bytes, refused (E_IMPORT_INVALID, `details: { vendor, size, limit }`) while still a JS value
 * when it is longer than the vendor sends: copying a 2 GB body into wasm memory could exhaust it, and a failed
 * allocation traps. A string is measured without encoding it (Buffer.byteLength), so an oversized one is never
 * copied either.
 */
function webhookBody(vendor, body, path) {
  let size;
  if (body instanceof Uint8Array) size = body.length;
  else if (typeof body === "string") size = Buffer.byteLength(body, "utf8");
  else throw inputError(path, "expected a string or a Uint8Array (Buffer)");
  call(() => internals.gen().checkWebhookSize(vendor, size));
  return typeof body === "string" ? encoder.encode(body) : body;
}

function textArg(value, path) {
  if (typeof value === "string") return value;
  throw inputError(path, "expected a string");
}

/**
 * One ESP webhook body (`sendgrid`, `mailgun`, `postmark`, `mailchimp` (form-urlencoded), `ses` (SNS envelope or
 * event)) → `{ events, diagnostics, skipped }`. Machine opens are flagged where the vendor says so. A body over
 * the vendor's limit (1 MiB; Postmark 16 MiB) throws E_IMPORT_INVALID before it is copied.
 */
export function importWebhook(vendor, body) {
  const name = textArg(vendor, "vendor");
  const bytes = webhookBody(name, body, "body");
  return call(() => internals.gen().importWebhook(name, bytes));
}

/**
 * A contact export held in memory (`mailchimp`, `mailchimp-unsubscribed`, `mailchimp-cleaned`, `hubspot`,
 * `klaviyo`) → `{ contacts: [{ line, email, id, createdAt, fields, events }], rejected, warnings }`; a bad row is
 * reported with its line and column and the rest of the file goes on.
 */
export function importContacts(vendor, bytes, options) {
  const { file = "contacts.csv" } = objectArg(options, "options", "{ file }", { optional: true });
  const data = bytesArg(bytes, "bytes");
  return call(() => internals.gen().importContacts(textArg(vendor, "vendor"), textArg(file, "options.file"), data));
}

/** Mailgun's webhook signature (HMAC-SHA256 of timestamp + token under the signing key): true or false. */
export function verifyMailgun(input) {
  const { signingKey, timestamp, token, signature } = objectArg(input, "input", "{ signingKey, timestamp, token, signature }");
  return call(() => internals.gen().verifyMailgun(textArg(signingKey, "signingKey"), textArg(timestamp, "timestamp"),
    textArg(token, "token"), textArg(signature, "signature")));
}

/**
 * Whether a signed delivery is fresh: signed (`timestamp`, Unix seconds as the vendor sends it) within `tolerance`
 * (default "5min", as `rekindle plan`) of `receivedAt` (epoch ms; default now). `{ ok: true }` or
 * `{ ok: false, reason: "signature_expired" | "signature_from_future" | "bad_signature_timestamp", message }`. Call it after
 * `verifySendgrid` / `verifyMailgun`: they say who signed, this that it is not an old delivery replayed.
 */
export function checkSignatureAge(timestamp, options) {
  const { receivedAt = Date.now(), tolerance = "5min" } =
    objectArg(options, "options", "{ receivedAt, tolerance }", { optional: true });
  if (typeof receivedAt !== "number") throw inputError("options.receivedAt", "expected epoch milliseconds (a number)");
  return call(() => internals.gen().checkSignatureAge(textArg(timestamp, "timestamp"), receivedAt,
    textArg(tolerance, "options.tolerance")));
}

/**
 * SendGrid's Signed Event Webhook (ECDSA P-256 over timestamp + raw body; `key` as SendGrid shows it):
 * `{ ok: true }` or `{ ok: false, reason, message }`. Pass the raw body bytes, not re-serialised JSON.
 */
export function verifySendgrid(input) {
  const { key, timestamp, body, signature } = objectArg(input, "input", "{ key, timestamp, body, signature }");
  const bytes = webhookBody("sendgrid", body, "body");
  return call(() => internals.gen().verifySendgrid(textArg(key, "key"), textArg(timestamp, "timestamp"), bytes,
    textArg(signature, "signature")));
}
