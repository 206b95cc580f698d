// The fake product site, wired with the npm package as a site would (README "In the browser"): startTracker,
// <rekindle-cta>, a consent banner, "forget me" and the preference-center link. Its pages are real paths that the
// static server (scripts/serve.mjs SITE_PAGE) answers with this page, and that the playbook's signals match as they
// are: /blog/<post> ("/blog/*"), /pricing ("/pricing*"), /integrations, /demo (the form POSTs there: the edge
// Worker's FORMS), home at /www/site.html. Served by the static server alone, links move with the History API (no
// reload; the tracker counts each page with page()). Served through the edge Worker (the page arrived with a CTA
// injected into <rekindle-cta>), every link and the demo form are ordinary page loads, so the Worker sees each page
// view and form post and injects the CTA for the visitor's stage. The aside only displays the decision the tracker
// hands to onDecision; every string goes in with textContent.
import { startTracker } from "/pkg/browser.js";

const CONSENT_KEY = "acme:consent";
const CONSENT_COOKIE = "acme_consent";
const HOME = "/www/site.html";
const SECTIONS = new Set(["/", "/blog", "/pricing", "/integrations", "/demo"]);
const $ = (selector) => document.querySelector(selector);
// Read before the widget renders anything: only the edge Worker's HTML carries the attribute at load.
const FROM_EDGE = $("rekindle-cta")?.hasAttribute("data-rekindle-cta-id") ?? false;

/** The section a path shows: "/blog" for /blog and /blog/<post>; home for /www/site.html (and anything unknown). */
function sectionOf(pathname) {
  const section = `/${pathname.split("/")[1] ?? ""}`;
  return SECTIONS.has(section) ? section : "/";
}

/** The path an old hash link (/www/site.html#/pricing, e.g. in a bookmark) stands for, or null. */
function fromHash(url) {
  return url.pathname === HOME && url.hash.startsWith("#/") ? url.hash.slice(1) : null;
}

function showRoute() {
  const section = sectionOf(location.pathname);
  for (const page of document.querySelectorAll("[data-route]")) page.hidden = page.dataset.route !== section;
  for (const link of document.querySelectorAll("nav a")) {
    if (sectionOf(new URL(link.href).pathname) === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const requested = section === "/demo" && new URLSearchParams(location.search).has("requested");
  $("#demo-thanks").textContent = requested ? "Thanks! We will be in touch." : "";
}

/** A same-site page link this script may follow with the History API; null for anything else. */
function sitePage(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (link === null || link.target || link.hasAttribute("download")) return null;
  const url = new URL(link.href);
  if (url.origin !== location.origin) return null;
  if (url.hash) return fromHash(url); // "#main" (the skip link) stays a fragment link
  return url.pathname === HOME || sectionOf(url.pathname) !== "/" ? url.pathname : null;
}

function show(decision, tracker) {
  $("#intent").textContent = decision.scores.intent.toFixed(1);
  $("#fit").textContent = String(decision.scores.fit);
  $("#readiness").textContent = decision.readiness;
  $("#stage").textContent = decision.stage;
  $("#cta").textContent = decision.cta ? `${decision.cta.id}${decision.cta.fallback ? " (default)" : ""}` : "none";
  const consent = tracker?.consentState;
  $("#consent").textContent = consent
    ? `analytics ${consent.analytics ? "on" : "off"}, personalisation ${consent.personalisation ? "on" : "off"}${consent.gpc ? " (Global Privacy Control)" : ""}`
    : "–";
  const reasons = decision.reasons.slice(0, 5).map((reason) => {
    const item = document.createElement("li");
    item.textContent = [reason.kind, reason.id ?? reason.rule ?? "", reason.decayedTo === undefined ? "" : `→ ${reason.decayedTo.toFixed(1)}`]
      .filter(Boolean).join(" ");
    return item;
  });
  $("#reasons").replaceChildren(...reasons);
}

async function main() {
  const legacy = fromHash(new URL(location.href));
  if (legacy !== null) {
    if (FROM_EDGE) {
      location.replace(legacy); // a real page load, so the Worker counts the page the old link meant
      return;
    }
    history.replaceState(null, "", legacy);
  }
  showRoute();
  const saved = localStorage.getItem(CONSENT_KEY);
  const granted = saved === "yes";
  let tracker = null;
  tracker = await startTracker({
    playbook: "/examples/playbooks/saas.rkp", // saas.json compiled (the demo server compiles it on each request)
    consent: { analytics: granted, personalisation: granted },
    onDecision: (decision) => show(decision, tracker),
  });
  document.documentElement.dataset.site = tracker ? "ready" : "fallback";
  if (!tracker) return;
  show(tracker.decision(), tracker);
  $(".consent-banner").hidden = saved !== null;
  const answer = (yes) => {
    localStorage.setItem(CONSENT_KEY, yes ? "yes" : "no");
    // The edge Worker cannot read localStorage: it reads this cookie (its CONSENT_COOKIE, set by npm start).
    document.cookie = `${CONSENT_COOKIE}=${yes ? "yes" : "no"}; Path=/; Max-Age=15552000; SameSite=Lax`;
    tracker.consent({ analytics: yes, personalisation: yes });
    $(".consent-banner").hidden = true;
  };
  $("#consent-yes").addEventListener("click", () => answer(true));
  $("#consent-no").addEventListener("click", () => answer(false));
  $("#forget-me").addEventListener("click", () => {
    tracker.forget();
    localStorage.removeItem(CONSENT_KEY);
    // "no" rather than no cookie: the Worker then deletes its state cookie (HttpOnly: this script cannot) on the
    // next page, instead of keeping it unread until the next "yes". The banner asks again.
    document.cookie = `${CONSENT_COOKIE}=no; Path=/; Max-Age=15552000; SameSite=Lax`;
    tracker.consent({ analytics: false, personalisation: false });
    $(".consent-banner").hidden = false;
  });
  const go = (path, push) => {
    if (push) history.pushState(null, "", path);
    showRoute();
    tracker.page();
    $("#main").focus();
  };
  // An old hash link clicked on this page (same document: no load): load or show the page it means.
  window.addEventListener("hashchange", () => {
    const path = fromHash(new URL(location.href));
    if (path === null) return;
    if (FROM_EDGE) location.replace(path);
    else {
      history.replaceState(null, "", path);
      go(path, false);
    }
  });
  if (!FROM_EDGE) {
    document.addEventListener("click", (event) => {
      const path = sitePage(event);
      if (path === null) return;
      event.preventDefault();
      if (path !== location.pathname + location.search) go(path, true);
    });
    window.addEventListener("popstate", () => go(location.pathname, false));
  }
  $("#demo").addEventListener("submit", (event) => {
    // The site chooses what to share: role and size (never the email) as profile facts.
    const form = new FormData(event.target);
    const traits = {};
    if (form.get("role")) traits.role = String(form.get("role"));
    if (Number(form.get("company_size")) > 0) traits.company_size = Number(form.get("company_size"));
    if (Object.keys(traits).length > 0) tracker.identify(traits);
    if (FROM_EDGE) return; // the POST goes out (the Worker records the demo request when the origin accepts it)
    event.preventDefault();
    $("#demo-thanks").textContent = "Thanks! We will be in touch.";
  });
}

main();
