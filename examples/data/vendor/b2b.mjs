// A B2B SaaS list with a cold tail, as the ESP and CRM hand it over: a HubSpot contacts export (English labels,
// CRLF), the SendGrid Event Webhook log (one POSTed JSON array per line), the Mailgun webhook log (one signed
// JSON webhook per line, logged with its arrival time: {"received_at", "body"}) and the site's own events (rekindle NDJSON: page views, forms, campaign starts, won
// deals). Planned with examples/playbooks/saas.json: cooling after 90 d, cold after 180 d, manual campaign
// entry, 14 d soft reactivation, 72 h break-up.
//
// Each contact follows an archetype that lands in one lifecycle state at NOW; expected.csv says which, and the
// CLI test checks rekindle agrees, contact by contact.
import { ago, csvRow, DAY, iso, mailgunClient, mailgunWebhook, NOW, rekindleEvent, sendgridEvent } from "./formats.mjs";

/** Example-only Mailgun webhook signing key, written beside the sample as mailgun-webhook-signing.key. */
export const MAILGUN_KEY = "example-mailgun-signing-key-0f3c9a1e7b2d";

const FIRST = ["Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Grace", "Hugo", "Iris", "Jon", "Kim", "Leo", "Mia", "Nils"];
const LAST = ["Archer", "Baker", "Cole", "Diaz", "Evans", "Ford", "Gray", "Hale", "Ito", "Jones", "Khan", "Lopez"];
const COMPANIES = [["Acme", "acme.test"], ["Globex", "globex.test"], ["Initech", "initech.test"], ["Umbrella", "umbrella.test"],
  ["Hooli", "hooli.test"], ["Vandelay", "vandelay.test"]];
const TITLES = [["VP Marketing", "VP Marketing"], ["Chief Marketing Officer", "CMO"], ["Marketing Manager", "Marketing Manager"],
  ["Marketing Operations Lead", "Marketing Ops"], ["Software Engineer", "Engineer"], ["Head of Growth", "Head of Growth"]];
const INDUSTRIES = ["SaaS", "Software", "Fintech", "Retail", "Education"];
const AREAS = ["415", "212", "312", "646", "617"];

/** The cycle of archetypes (a cold tail: 9 of 26 are cooling or cold, 7 more in the campaign). */
const CYCLE = ["sql", "engaged", "engaged", "reader", "reader", "cooling", "cooling", "cooling", "cold", "cold",
  "cold", "cold", "ghost", "mpp", "woke", "woke_sql", "soft", "soft", "break_up", "archived", "archived",
  "bounced", "complained", "unsubscribed", "erased", "reader"];
/** The lifecycle state each archetype is in at NOW. */
export const STATE = { sql: "active", engaged: "active", reader: "active", cooling: "cooling", cold: "cold",
  ghost: "cold", mpp: "cold", woke: "active", woke_sql: "active", soft: "soft_reactivation", break_up: "break_up",
  archived: "archived", bounced: "active", complained: "active", unsubscribed: "active", erased: "erased" };

export const FILES = { contacts: "hubspot-contacts.csv", sendgrid: "sendgrid-events.ndjson", mailgun: "mailgun-events.ndjson",
  site: "site-events.ndjson" };
const HEADER = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Role", "Company Name",
  "Company Size", "Industry", "Create Date", "Last Activity Date", "Lifecycle Stage", "Lead Status",
  "Marketing contact status", "Unsubscribed from all email", "Marketing emails opened"];
export const header = () => csvRow(HEADER, "\r\n");

/** HubSpot's English date shapes: `2024-03-12 09:14` and `3/15/2024 2:30 PM`. */
const hubDate = (ms) => iso(ms).slice(0, 16).replace("T", " ");
function hubUsDate(ms) {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 || 12}:${mm} ${h < 12 ? "AM" : "PM"}`;
}

/** A Mailgun delivery as the receiving endpoint logs it: the raw body and when it arrived (2 s after signing). */
const logged = (webhook) => ({
  received_at: iso((Number(webhook.signature.timestamp) + 2) * 1000),
  body: JSON.stringify(webhook),
});

/** Generates contact `i`: its HubSpot row and events, through `out` (see gen-vendor-sample.mjs). */
export function contact(i, r, out) {
  const type = CYCLE[i % CYCLE.length];
  const [first, last] = [r.pick(FIRST), r.pick(LAST)];
  const [company, domain] = r.pick(COMPANIES);
  const [title, role] = r.pick(TITLES);
  const email = `${first.toLowerCase()}.${last.toLowerCase()}${i}@${domain}`;
  const id = String(51_000 + i);
  // 555-01xx numbers are reserved for fiction; only the first 500 contacts have one, so no two people share it.
  const phone = i < 500 ? `+1 ${AREAS[i % 5]}-555-01${String(Math.floor(i / 5) % 100).padStart(2, "0")}` : "";
  const created = ago(r, r.between(380, 720), 9);
  const sg = (at, event, extra) => out.sendgrid(sendgridEvent(r, email, at, event, extra));
  const mg = (at, event, data) => out.mailgun(at, logged(mailgunWebhook(r, MAILGUN_KEY, email, at, event, data)));
  const site = (at, kind, props) => out.site(at, rekindleEvent(email, at, kind, props));
  const delivered = (at) => sg(at - 60_000, "delivered", { response: "250 OK" });

  const last_engaged = { sql: 1, engaged: r.between(5, 25), reader: r.between(8, 60), cooling: r.between(100, 170),
    cold: r.between(200, 400), ghost: 290, mpp: r.between(220, 330), woke: r.between(220, 300), woke_sql: r.between(220, 300),
    soft: r.between(200, 330), break_up: r.between(200, 330), archived: r.between(250, 330), bounced: r.between(35, 60),
    complained: r.between(25, 50), unsubscribed: r.between(40, 80), erased: r.between(20, 40) }[type];
  // Everyone once came from a campaign and read something; then their last real engagement.
  site(created + DAY, "page_view", { path: "/blog/lifecycle", utm_source: r.pick(["linkedin", "google"]), utm_medium: "paid_social" });
  if (type === "ghost") {
    // Five person opens, no click (the last at 290 d), then opens that no longer count (D2: ghost opens).
    for (const d of [330, 320, 310, 300, 290, 200, 120, 40]) {
      const at = ago(r, d);
      delivered(at);
      mg(at, "opened", { "client-info": mailgunClient(null) });
    }
  } else {
    const at = ago(r, last_engaged);
    delivered(at);
    sg(at, "click", { url: "https://acme.test/blog/rfm?utm_source=sendgrid" });
  }
  if (["cooling", "cold", "mpp", "soft", "break_up", "archived"].includes(type)) {
    // Newsletters kept arriving; Apple Mail Privacy Protection fetched some (machine opens, never engagement).
    for (let k = r.between(1, 3); k > 0; k--) {
      const at = ago(r, r.between(5, Math.max(6, last_engaged - 5)));
      delivered(at);
      if (type === "mpp" || r.next() < 0.5) sg(at + 90_000, "open", { sg_machine_open: true });
      else mg(at + 90_000, "opened", { "client-info": mailgunClient("apple") });
    }
  }
  // A campaign picks only contacts that are cold when it starts (manual entry): at least 180 d after their last
  // engagement, which the ranges above guarantee.
  const started = { woke: 12, woke_sql: 12, soft: r.between(2, 10), break_up: 15, archived: r.between(35, 60) }[type];
  if (started !== undefined) site(ago(r, started, 8), "reactivation_started");
  if (type === "sql") {
    site(ago(r, 4), "page_view", { path: "/pricing" });
    site(ago(r, 2), "page_view", { path: "/pricing", utm_source: "sendgrid", utm_medium: "email" });
    site(ago(r, 1, 15), "form_submit", { form: "demo" });
  }
  if (type === "woke" || type === "woke_sql") {
    const open = ago(r, 9);
    delivered(open);
    sg(open, "open", { sg_machine_open: false });
    sg(ago(r, 8), "click", { url: "https://acme.test/case-studies/globex?utm_campaign=reengagement" });
  }
  if (type === "woke_sql") {
    site(ago(r, 6), "page_view", { path: "/pricing" });
    site(ago(r, 5), "page_view", { path: "/pricing" });
    site(ago(r, 5, 16), "form_submit", { form: "demo" });
    site(ago(r, 2), "purchase", { value: 12_000, currency: "USD", plan: "team-annual" });
  }
  if (type === "bounced") sg(ago(r, 30), "bounce", { type: "bounce", reason: "550 5.1.1 mailbox unavailable", status: "5.1.1" });
  if (type === "complained") mg(ago(r, 20), "complained", {});
  if (type === "erased") site(ago(r, 5), "erasure_request");

  out.contact(id, type, csvRow([id, first, last, email, phone, title, role, company, r.between(5, 2000), r.pick(INDUSTRIES),
    hubDate(created), hubUsDate(ago(r, last_engaged)), type === "sql" || type === "woke_sql" ? "Sales Qualified Lead" : "Lead",
    r.pick(["New", "Open", "Attempted to contact"]), "Marketing contact", type === "unsubscribed" ? "true" : "false",
    r.between(0, 40)], "\r\n"), { email, phone, first, last, title, role, company });
}

/** Rows and deliveries that exercise dedup, rejects and idempotency, added once every contact is written. */
export function extras(r, out, people) {
  const [a, b] = [people[3], people[7]];
  if (!a || !b) return;
  // The same person exported twice under another Record ID (an email duplicate: merged, the id an alias) …
  out.row(csvRow(["9000001", a.first, a.last, `  ${a.email.toUpperCase()} `, "", a.title, a.role, a.company, 2500, "SaaS",
    "2025-01-10 08:00", "", "Lead", "", "Marketing contact", "false", 3], "\r\n"));
  // … and under a private email with the same phone written nationally (a phone duplicate with --default-calling-code 1).
  const national = b.phone.replace(/^\+1 (\d{3})-/, "($1) ");
  out.row(csvRow(["9000002", b.first, b.last, `${b.first.toLowerCase()}.${b.last.toLowerCase()}@mail.test`, national,
    b.title, b.role, b.company, "", "", "2025-02-01 08:00", "", "Lead", "", "Marketing contact", "false", 0], "\r\n"));
  // A row a person typed by hand: no usable email (rejected with file, line and column).
  out.row(csvRow(["9000003", "Pat", "Unknown", "n/a", "", "", "", "", "", "", "2025-03-01 08:00", "", "Lead", "", "", "false", 0], "\r\n"));
  // SendGrid retried a POST (every event in it a duplicate), a body cut short, a Single Send event timed in
  // milliseconds (the docs' quirk) and an event for someone not in the CRM.
  out.sendgridRetry();
  out.sendgridRaw(NOW - 3 * DAY, '[{"email":"truncated@example.test","timestamp":179537');
  const ms = sendgridEvent(r, a.email, NOW - 4 * DAY, "click", { url: "https://acme.test/", singlesend_id: "b2a1" });
  out.sendgridRaw(NOW - 4 * DAY, JSON.stringify([{ ...ms, timestamp: ms.timestamp * 1000 }]));
  out.sendgridRaw(NOW - 5 * DAY, JSON.stringify([sendgridEvent(r, "nobody@elsewhere.test", NOW - 5 * DAY, "open", { sg_machine_open: false })]));
  // Mailgun retried a delivery, and one delivery was signed with another key (refused with --webhook-key).
  out.mailgunRetry();
  const forged = mailgunWebhook(r, "not-the-signing-key", b.email, NOW - 2 * DAY, "unsubscribed", {});
  out.mailgun(NOW - 2 * DAY, logged(forged));
}
