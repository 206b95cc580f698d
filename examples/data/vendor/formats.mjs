// The vendors' wire and export formats, written from the shapes in tests/fixtures/vendor (copied from the
// vendors' docs and SDK tests; see tests/fixtures/vendor/README.md): SendGrid Event Webhook batches, Mailgun
// JSON webhooks (HMAC-signed as Mailgun signs them), Postmark webhooks, Mailchimp form-urlencoded webhooks,
// HubSpot and Klaviyo CSV exports, and rekindle NDJSON events. Plus the seeded randomness and the writers the
// generators share. Pure functions of their arguments: no clock, no Math.random.
import { createHmac } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";

export const NOW = Date.parse("2026-11-26T12:00:00Z");
export const DAY = 86_400_000;

/** mulberry32: the seeded PRNG gen-plan-sample.mjs uses, so both generators are reproducible the same way. */
export function rng(seed) {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    hex: (n) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join(""),
  };
}

/** `daysAgo` days before NOW at `hour` UTC plus up to an hour of jitter, in ms. */
export const ago = (r, daysAgo, hour = 10) => NOW - daysAgo * DAY - (24 - hour) * 3_600_000 + r.between(0, 3599) * 1000;
export const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

/** A file written as it is generated (1 MiB chunks), so big samples never sit in memory. */
export function writer(path) {
  const fd = openSync(path, "w");
  let buf = "";
  let lines = 0;
  return {
    line(text) {
      buf += `${text}\n`;
      lines++;
      if (buf.length > 1 << 20) (writeSync(fd, buf), (buf = ""));
    },
    raw(text) {
      buf += text;
    },
    close() {
      writeSync(fd, buf);
      closeSync(fd);
      return lines;
    },
  };
}

const csvCell = (v) => {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
/** One CSV record; `eol` is "\r\n" for exports made on Windows-minded tools (HubSpot), else "\n". */
export const csvRow = (cells, eol = "\n") => cells.map(csvCell).join(",") + eol;

// ── rekindle NDJSON ─────────────────────────────────────────────────────────────────────────────────────────────
export const rekindleEvent = (contact, at, kind, props) => ({ contact, at: iso(at), kind, ...(props ? { props } : {}) });

// ── SendGrid Event Webhook (formats.md §1.1, sendgrid-events.json) ─────────────────────────────────────────────
const SG_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)";
/** One SendGrid event; `extra` holds the type's own fields (url, type, reason, sg_machine_open, asm_group_id). */
export function sendgridEvent(r, email, at, event, extra = {}) {
  const msg = `${r.hex(22)}`;
  const base = {
    email,
    timestamp: Math.floor(at / 1000),
    "smtp-id": `<${msg}@ismtpd0039p1iad1.sendgrid.net>`,
    event,
    category: ["reengagement"],
    sg_event_id: Buffer.from(r.hex(24), "hex").toString("base64url"),
    sg_message_id: `${msg}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0`,
  };
  if (event === "open" || event === "click") Object.assign(base, { useragent: SG_AGENT, ip: "203.0.113.7" });
  return { ...base, ...extra };
}

// ── Mailgun JSON webhooks (formats.md §1.2, mailgun-webhooks.json) ─────────────────────────────────────────────
/** One Mailgun webhook, signed: HMAC-SHA256(signing key, timestamp + token), hex, as Mailgun signs it. */
export function mailgunWebhook(r, key, email, at, event, data = {}) {
  const timestamp = String(Math.floor(at / 1000) + r.between(1, 20)); // posted seconds after the event
  const token = r.hex(50);
  const signature = createHmac("sha256", key).update(timestamp + token).digest("hex");
  const eventData = {
    event,
    id: Buffer.from(r.hex(16), "hex").toString("base64url"),
    timestamp: Number((at / 1000).toFixed(6)),
    "log-level": event === "failed" ? "error" : "info",
    recipient: email,
    "recipient-domain": email.split("@")[1],
    tags: ["reengagement"],
    "user-variables": {},
    message: { headers: { "message-id": `${iso(at).slice(0, 10).replaceAll("-", "")}.1.${r.hex(16).toUpperCase()}@mg.acme.test` } },
    ...data,
  };
  return { signature: { timestamp, token, signature }, "event-data": eventData };
}
export const mailgunClient = (bot) => ({
  "client-type": bot ? "mobile browser" : "browser",
  "client-os": bot === "apple" ? "iOS" : "OS X",
  "device-type": bot ? "mobile" : "desktop",
  "client-name": bot === "apple" ? "Mobile Safari" : "Chrome",
  "user-agent": "Mozilla/5.0",
  bot: bot ?? "",
});

// ── Postmark webhooks (formats.md §1.3, postmark-webhooks.json) ────────────────────────────────────────────────
/** Postmark's timestamps: ISO 8601 with an offset and 7 fraction digits (`2016-04-27T16:28:50.3963933-04:00`). */
export function postmarkTime(r, at) {
  const local = new Date(at - 5 * 3_600_000).toISOString().slice(0, 19);
  return `${local}.${String(r.between(0, 9_999_999)).padStart(7, "0")}-05:00`;
}
const uuid = (r) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}`;
export function postmarkRecord(r, email, at, type, extra = {}) {
  const common = { MessageID: uuid(r), ServerID: 23, MessageStream: "broadcast", Tag: "win-back", Metadata: {} };
  switch (type) {
    case "Open":
      return { RecordType: "Open", FirstOpen: true, Client: { Name: "Gmail", Company: "Google", Family: "Gmail" },
        OS: { Name: "unknown", Company: "unknown", Family: "unknown" }, Platform: "WebMail",
        UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", ReadSeconds: r.between(2, 40), Geo: {},
        ReceivedAt: postmarkTime(r, at), Recipient: email, ...common, ...extra };
    case "Click":
      return { RecordType: "Click", ClickLocation: "HTML", Client: { Name: "Chrome 120", Company: "Google", Family: "Chrome" },
        OS: { Name: "OS X 10.15", Company: "Apple Computer, Inc.", Family: "OS X 10" }, Platform: "Desktop",
        UserAgent: "Mozilla/5.0 (Macintosh)", OriginalLink: "https://shop.example.test/winback?utm_source=postmark",
        Geo: {}, ReceivedAt: postmarkTime(r, at), Recipient: email, ...common, ...extra };
    case "Delivery":
      return { RecordType: "Delivery", Recipient: email, DeliveredAt: postmarkTime(r, at), Details: "smtp;250 2.0.0 OK", ...common };
    case "HardBounce":
      return { RecordType: "Bounce", ID: r.between(900_000_000, 999_999_999), Type: "HardBounce", TypeCode: 1,
        Name: "Hard bounce", Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist.", Email: email,
        From: "shop@shop.example.test", BouncedAt: postmarkTime(r, at), DumpAvailable: true, Inactive: true,
        CanActivate: true, Subject: "We miss you", ...common };
    case "SpamComplaint":
      return { RecordType: "SpamComplaint", ID: r.between(900_000_000, 999_999_999), Type: "SpamComplaint",
        TypeCode: 512, Name: "Spam complaint", Description: "", Details: "", Email: email, From: "shop@shop.example.test",
        BouncedAt: postmarkTime(r, at), DumpAvailable: true, Inactive: true, CanActivate: false, Subject: "We miss you", ...common };
    default:
      throw new Error(`no Postmark record type ${type}`);
  }
}

// ── Mailchimp audience webhooks (formats.md §1.4): application/x-www-form-urlencoded ───────────────────────────
const mailchimpTime = (at) => iso(at).slice(0, 19).replace("T", " ");
export function mailchimpBody(r, email, at, type, first, last) {
  const base = { type, fired_at: mailchimpTime(at) };
  const data = type === "cleaned"
    ? { "data[list_id]": "a6b5da1054", "data[campaign_id]": r.hex(10), "data[reason]": "hard", "data[email]": email }
    : { "data[action]": "unsub", "data[reason]": "manual", "data[id]": r.hex(10), "data[list_id]": "a6b5da1054",
        "data[email]": email, "data[email_type]": "html", "data[merges][EMAIL]": email, "data[merges][FNAME]": first,
        "data[merges][LNAME]": last, "data[ip_opt]": "198.51.100.20", "data[campaign_id]": r.hex(10) };
  return new URLSearchParams({ ...base, ...data }).toString();
}
