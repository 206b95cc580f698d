// An e-commerce store, as its tools hand it over: a Klaviyo profiles export, the Postmark webhook log (one
// record per line), the Mailchimp audience webhook log (one form-urlencoded body per line, from the newsletter
// list the store still runs there) and the store's own events (rekindle NDJSON: orders with value and currency,
// product views, carts, win-back campaign starts). Planned with examples/playbooks/ecommerce.json: cooling after
// 180 d, cold after 365 d, manual campaign entry, 14 d soft reactivation, 72 h break-up.
//
// Each contact follows an archetype that lands in one lifecycle state at NOW; expected.csv says which.
import { ago, csvRow, DAY, iso, mailchimpBody, NOW, postmarkRecord, rekindleEvent } from "./formats.mjs";

const FIRST = ["Maria", "Tom", "Lee", "Anna", "Piotr", "Sofia", "Omar", "Lena", "Kai", "Nora", "Ivan", "Zoe"];
const LAST = ["Silva", "Berg", "Chan", "Nowak", "Rossi", "Dubois", "Haddad", "Novak", "Tanaka", "Moreau", "Popescu"];
const MAILBOXES = ["mail.test", "inbox.test", "post.test"];
const COUNTRIES = ["GB", "GB", "GB", "IE", "PL", "DE"];
const PRODUCTS = ["/products/trail-shoe", "/products/rain-jacket", "/products/merino-socks", "/products/day-pack"];

const CYCLE = ["loyal", "loyal", "recent", "recent", "browser", "lapsing", "lapsing", "dormant", "dormant", "dormant",
  "dormant", "winback_woke", "winback_open", "winback_soft", "winback_break_up", "winback_archived", "hard_bounce",
  "complained", "mailchimp_unsub", "mailchimp_cleaned", "klaviyo_unsub", "klaviyo_bounced"];
export const STATE = { loyal: "active", recent: "active", browser: "active", lapsing: "cooling", dormant: "cold",
  winback_woke: "active", winback_open: "active", winback_soft: "soft_reactivation", winback_break_up: "break_up",
  winback_archived: "archived", hard_bounce: "active", complained: "active", mailchimp_unsub: "active",
  mailchimp_cleaned: "cooling", klaviyo_unsub: "active", klaviyo_bounced: "cold" };

export const FILES = { contacts: "klaviyo-profiles.csv", postmark: "postmark-events.ndjson", mailchimp: "mailchimp-webhooks.txt",
  site: "orders.ndjson" };
const HEADER = ["Email", "Klaviyo ID", "First Name", "Last Name", "Phone Number", "City", "Country", "First Active",
  "Last Active", "Email Marketing Consent", "Email Marketing Consent Timestamp", "Suppressions"];
export const header = () => csvRow(HEADER);

const klaviyoTime = (ms) => iso(ms).slice(0, 19).replace("T", " ");
const klaviyoId = (r) => `01J${r.hex(23).toUpperCase()}`;

export function contact(i, r, out) {
  const type = CYCLE[i % CYCLE.length];
  const [first, last] = [r.pick(FIRST), r.pick(LAST)];
  const email = `${first.toLowerCase()}.${last.toLowerCase()}${i}@${r.pick(MAILBOXES)}`;
  const id = klaviyoId(r);
  // Ofcom's drama range 07700 900000–900999: fictional UK mobiles, one per contact for the first 1,000.
  const phone = i < 1000 ? `+44 7700 900${String(i).padStart(3, "0")}` : "";
  const pm = (at, type, extra) => out.postmark(at, postmarkRecord(r, email, at, type, extra));
  const mc = (at, type) => out.mailchimp(at, mailchimpBody(r, email, at, type, first, last));
  const site = (at, kind, props) => out.site(at, rekindleEvent(email, at, kind, props));
  const order = (at) => site(at, "purchase", { value: r.between(25, 240), currency: "GBP", order_id: `#${100_000 + r.between(0, 899_999)}` });

  const lastActive = { loyal: r.between(3, 12), recent: r.between(15, 60), browser: r.between(2, 30), lapsing: r.between(200, 330),
    dormant: r.between(400, 700), winback_woke: r.between(460, 600), winback_open: r.between(460, 600),
    winback_soft: r.between(460, 600), winback_break_up: r.between(460, 600), winback_archived: r.between(460, 600),
    hard_bounce: r.between(20, 90), complained: r.between(20, 90), mailchimp_unsub: r.between(20, 90),
    mailchimp_cleaned: r.between(200, 300), klaviyo_unsub: r.between(20, 90), klaviyo_bounced: r.between(400, 600) }[type];
  // The first order, then (loyal shoppers) one every 25–40 days: no gap of 180 days before the last activity, so
  // only a win-back brings anyone back from cooling or cold.
  const firstDays = type === "loyal" ? lastActive + 300 : lastActive + r.between(10, 150);
  const created = ago(r, firstDays, 11);
  site(created, "page_view", { path: r.pick(PRODUCTS), utm_source: r.pick(["instagram", "google"]), utm_medium: "cpc" });
  order(created + 3_600_000);
  if (type === "loyal") for (let d = firstDays - r.between(25, 40); d > lastActive; d -= r.between(25, 40)) order(ago(r, d));
  if (type === "browser") {
    site(ago(r, lastActive + 1), "page_view", { path: r.pick(PRODUCTS) });
    site(ago(r, lastActive), "custom:cart_updated", { items: r.between(1, 3) });
  } else {
    order(ago(r, lastActive));
  }
  // Newsletters were delivered to everyone still mailed; Postmark posts deliveries too (not engagement).
  if (!["hard_bounce", "klaviyo_bounced", "mailchimp_cleaned"].includes(type)) pm(ago(r, r.between(3, 9)), "Delivery");
  // A win-back picks only contacts cold when it starts (365 d after their last activity; the ranges above ensure it).
  const started = { winback_woke: 30, winback_open: 12, winback_soft: r.between(2, 10), winback_break_up: 15,
    winback_archived: r.between(40, 90) }[type];
  if (started !== undefined) site(ago(r, started, 7), "reactivation_started", { campaign: "win-back-q4" });
  if (type === "winback_woke") {
    pm(ago(r, 25), "Open");
    pm(ago(r, 24), "Click");
    order(ago(r, 20));
  }
  if (type === "winback_open") pm(ago(r, 9), "Open");
  if (type === "loyal") (pm(ago(r, lastActive + 2), "Open"), pm(ago(r, lastActive + 2) + 60_000, "Click"));
  if (type === "hard_bounce") pm(ago(r, 10), "HardBounce");
  if (type === "complained") pm(ago(r, 8), "SpamComplaint");
  if (type === "mailchimp_unsub") mc(ago(r, 6), "unsubscribe");
  if (type === "mailchimp_cleaned") mc(ago(r, 40), "cleaned");

  const consent = type === "klaviyo_unsub" ? "UNSUBSCRIBED" : type === "klaviyo_bounced" ? "NEVER_SUBSCRIBED" : "SUBSCRIBED";
  const consentAt = type === "klaviyo_unsub" ? ago(r, 14) : created + 60_000;
  const suppressions = { klaviyo_unsub: "UNSUBSCRIBE", klaviyo_bounced: "HARD_BOUNCE" }[type] ?? "";
  out.contact(id, type, csvRow([email, id, first, last, phone, r.pick(["London", "Leeds", "Dublin", "Kraków"]),
    r.pick(COUNTRIES), klaviyoTime(created), klaviyoTime(ago(r, lastActive)), consent,
    consent === "NEVER_SUBSCRIBED" ? "" : klaviyoTime(consentAt), suppressions]), { email, phone, first, last });
}

export function extras(r, out, people) {
  const [a, b] = [people[2], people[5]];
  if (!a || !b) return;
  // A second profile of the same shopper (checkout as a guest with another email, same mobile written nationally):
  // a phone duplicate with --default-calling-code 44.
  const national = b.phone.replace(/^\+44 /, "0");
  out.row(csvRow([`${b.first.toLowerCase()}@guest.test`, klaviyoId(r), b.first, b.last, national, "London", "GB",
    klaviyoTime(NOW - 300 * DAY), klaviyoTime(NOW - 300 * DAY), "SUBSCRIBED", klaviyoTime(NOW - 300 * DAY), ""]));
  // A deleted profile, as Klaviyo exports it (rejected: redacted email).
  out.row(csvRow(["redacted.3f2b8c1e-9a7d-4c0e-b1a2-6d5e4f3a2b1c@example.com", klaviyoId(r), "", "", "", "", "",
    klaviyoTime(NOW - 800 * DAY), "", "", "", ""]));
  // Postmark retried a delivery; an order for a shopper the export does not have; a line that is not JSON.
  out.postmarkRetry();
  out.site(NOW - 6 * DAY, rekindleEvent("guest-9931@checkout.test", NOW - 6 * DAY, "purchase", { value: 59, currency: "GBP" }));
  out.siteRaw(NOW - 7 * DAY, '{"contact": "' + a.email + '", "at": "2026-11-19T10:00:00Z", "kind": "purchase", "props": {"value": 12');
}
