// What this site tells its Worker: the state cookie, the forms it tracks, and the site's own CTA templates. The
// templates are the site's markup (trusted, like any page template); the only data the Worker writes into them —
// the CTA id and variant from the playbook's decision — is escaped. The preference center's topics are the
// playbook's (policy.topics); TOPICS below is only a fallback for a playbook without them.

/** The state cookie: `__Host-` pins it to this host, path / and Secure (RFC 6265bis). */
export const COOKIE = { name: "__Host-rk", maxAgeDays: 180 };

/**
 * Only for a playbook without `policy.topics` (one written before topics reached core): the topics the preference
 * center offers then (D27), as `[{ id, label }]`. The preference center takes its topics — ids, labels, order — from
 * the playbook it runs (`policy.topics`, topics.js); set them there. Left here with a playbook that declares topics,
 * this list is ignored, and /api/health reports it if it differs.
 */
export const TOPICS = [];

/**
 * The site's CTA markup per CTA id of the playbook (playbook.json, a copy of examples/playbooks/saas.json), here
 * the demo site's (www/site.html, served for /blog, /pricing, /integrations and /demo). `{{variant}}` is replaced by the decision's variant, escaped.
 */
export const CTA_TEMPLATES = {
  book_demo: '<p><strong>Ready when you are.</strong> <a href="/demo">Book a 20-minute demo</a></p>',
  data_review: '<p>Liked the webinar? <a href="/demo">Get a 20-minute data review</a></p>',
  case_study: '<p>How teams like yours did it: <a href="/blog/lead-scoring-101">read the case study</a></p>',
  comparison: '<p>Weighing options? <a href="/pricing">Compare the plans side by side</a></p>',
  checklist: '<p>New to scoring? <a href="/blog/decay-explained">Get the 10-point checklist</a></p>',
};

/**
 * The site's forms, by the path their POST goes to: a POST there still reaches the origin untouched, and when the
 * origin accepts it (2xx or 3xx) the Worker folds a `form_submit` event with `props.form` = the id here into the
 * visitor's state cookie — the playbook's `form_submit` rules (the demo request) then count it.
 */
export const FORMS = { "/demo": "demo" };

/** The element the Worker fills: the same one the browser widget upgrades (it adopts what the edge wrote). */
export const CTA_SELECTOR = "rekindle-cta";
