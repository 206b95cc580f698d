// The seeded synthetic workload of the benchmarks: the same generator, draw for draw, as
// crates/core/benches/fold_decide.rs, so Node and the native core measure the very same events
// (the fingerprint proves it: both print it, scripts/bench.mjs compares them).
//
// Per contact: one profile event, then page views, form submits, email events, webinars, purchases, CTA clicks
// and profile updates, spread over a burst of up to 60 days ending up to 120 days before `now` (so all within
// the last 180 days), in generation order (the fold sorts by time).

/** xorshift32 seed; the Rust bench has the same constant. */
export const SEED = 0x5eed2026;
/** 2026-11-26T12:00:00Z, the `now` of every decision. */
export const NOW = 1_795_694_400_000;
const DAY = 86_400_000;

const ROLES = [
  "CEO", "CTO", "CMO", "VP Marketing", "VP Sales", "Head of Marketing", "Head of Growth", "Marketing Manager",
  "Marketing Ops", "Demand Generation Manager", "RevOps Manager", "Software Engineer", "Designer", "Student",
  "Founder", "Analyst",
];
const INDUSTRIES = ["SaaS", "Software", "Fintech", "E-commerce", "Retail", "Healthcare", "Education", "Manufacturing", "Media"];
const DOMAINS = [
  "acme.test", "globex.test", "initech.test", "umbrella.test", "gmail.example", "rivalcrm.example",
  "pipeforge.example", "hooli.test",
];
const COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "AU"];
const PATHS = [
  "/", "/", "/", "/pricing", "/pricing/enterprise", "/blog/decay-explained", "/blog/lead-scoring-101",
  "/blog/mql-vs-sql", "/blog/intent-data", "/blog/churn-signals", "/blog/email-deliverability", "/integrations",
  "/integrations/salesforce", "/docs/getting-started", "/careers", "/careers/engineer", "/about",
  "/products/widget-pro", "/products/widget-mini", "/cart", "/checkout", "/account",
];
const FORMS = ["demo", "ebook-decay", "ebook-scoring", "newsletter", "newsletter", "contact", "trial", "webinar-signup"];
const CTAS = ["book-demo", "start-trial", "download-ebook", "newsletter"];
const SKUS = ["widget-pro", "widget-mini", "widget-max", "gift-card"];
const SIZES = [1, 5, 12, 30, 50, 80, 150, 400, 1200, 5000];

/** xorshift32, bit for bit the Rust `Rng`. */
export function rng(seed = SEED) {
  let x = seed >>> 0;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const unit = () => next() / 4_294_967_296;
  const int = (n) => Math.floor(unit() * n);
  const pick = (list) => list[Math.floor(unit() * list.length)];
  return { next, unit, int, pick };
}

function event(id, at, kind, machine, props) {
  const e = { id, at, kind };
  if (machine !== undefined) e.machine = machine;
  if (props) e.props = props;
  return e;
}

/** One contact's events, in generation order. */
function contactEvents(r, c, perContact) {
  const lastAgo = r.int(120 * DAY);
  const spread = r.int(60 * DAY);
  const role = r.pick(ROLES);
  const size = r.pick(SIZES);
  const industry = r.pick(INDUSTRIES);
  const domain = r.pick(DOMAINS);
  const country = r.pick(COUNTRIES);
  const out = [
    event(`c${c}-0`, NOW - 1 - lastAgo - spread, "profile", undefined, {
      role, company_size: size, industry, email_domain: domain, country,
    }),
  ];
  for (let k = 1; k < perContact; k++) {
    const id = `c${c}-${k}`;
    const at = NOW - 1 - lastAgo - r.int(spread);
    const x = r.unit();
    let e;
    if (x < 0.5) e = event(id, at, "page_view", undefined, { path: r.pick(PATHS) });
    else if (x < 0.53) e = event(id, at, "form_submit", undefined, { form: r.pick(FORMS) });
    else if (x < 0.66) e = event(id, at, "email_sent", undefined, { campaign: `n${r.int(12)}` });
    else if (x < 0.78) e = event(id, at, "email_open", r.unit() < 0.3);
    else if (x < 0.86) e = event(id, at, "email_click", undefined, { link: r.pick(PATHS) });
    else if (x < 0.87) e = event(id, at, "email_reply");
    else if (x < 0.875) e = event(id, at, "unsubscribe");
    else if (x < 0.9) e = event(id, at, "webinar_registered");
    else if (x < 0.915) e = event(id, at, "webinar_attended");
    else if (x < 0.94) {
      const sku = r.pick(SKUS);
      const amount = 10 + r.int(490);
      e = event(id, at, "purchase", undefined, { sku, amount });
    } else if (x < 0.97) e = event(id, at, "cta_click", undefined, { cta: r.pick(CTAS) });
    else if (r.unit() < 0.5) e = event(id, at, "profile", undefined, { company_size: r.pick(SIZES) });
    else e = event(id, at, "profile", undefined, { role: r.pick(ROLES) });
    out.push(e);
  }
  return out;
}

/** `contacts` arrays of `perContact` events each. */
export function workload({ contacts = 10_000, perContact = 50, seed = SEED } = {}) {
  const r = rng(seed);
  return Array.from({ length: contacts }, (_, c) => contactEvents(r, c, perContact));
}

/** The string the Rust bench prints for the same workload: sizes, kind counts, sum of ages in whole seconds. */
export function fingerprint(contacts) {
  const kinds = new Map();
  let events = 0;
  let ageSeconds = 0;
  for (const list of contacts) {
    for (const e of list) {
      events += 1;
      kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
      ageSeconds += Math.floor((NOW - e.at) / 1000);
    }
  }
  const perContact = Math.floor(events / Math.max(1, contacts.length));
  const kindList = [...kinds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, n]) => `${k}:${n}`);
  return `${contacts.length}x${perContact} events=${events} ageSeconds=${ageSeconds} ${kindList.join(",")}`;
}
