// The fake product site, wired with the npm package as a site would (README "In the browser"): startTracker,
// <rekindle-cta>, a consent banner, "forget me" and the preference-center link. Hash routes (#/pricing) are
// told to the tracker with `pathOf`, so the playbook's "/pricing*" signals match. The aside only displays the
// decision the tracker hands to onDecision; every string goes in with textContent.
import { startTracker } from "/pkg/browser.js";

const CONSENT_KEY = "acme:consent";
const CONSENT_COOKIE = "acme_consent";
const $ = (selector) => document.querySelector(selector);
const routeOf = (location) => location.hash.slice(1) || "/";

function showRoute() {
  const route = routeOf(location);
  const section = route.split("/").slice(0, 2).join("/") || "/";
  for (const page of document.querySelectorAll("[data-route]")) page.hidden = page.dataset.route !== section;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === `#${section}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
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
  showRoute();
  const saved = localStorage.getItem(CONSENT_KEY);
  const granted = saved === "yes";
  let tracker = null;
  tracker = await startTracker({
    playbook: "/examples/playbooks/saas.json",
    consent: { analytics: granted, personalisation: granted },
    pathOf: routeOf,
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
    document.cookie = `${CONSENT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
    tracker.consent({ analytics: false, personalisation: false });
    $(".consent-banner").hidden = false;
  });
  window.addEventListener("hashchange", () => {
    showRoute();
    tracker.page();
    $("#main").focus();
  });
  $("#demo").addEventListener("submit", (event) => {
    event.preventDefault();
    // The site chooses what to share: role and size (never the email) as profile facts.
    const form = new FormData(event.target);
    const traits = {};
    if (form.get("role")) traits.role = String(form.get("role"));
    if (Number(form.get("company_size")) > 0) traits.company_size = Number(form.get("company_size"));
    if (Object.keys(traits).length > 0) tracker.identify(traits);
    $("#demo-thanks").textContent = "Thanks! We will be in touch.";
  });
}

main();
