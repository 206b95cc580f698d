// The Acme Analytics demo: every click on the fake site becomes a rekindle event, folded by the wasm engine in
// this page, and the panel shows the decision (scores, readiness, stage, reasons) live (D15–D17, D43).
// Nothing leaves the browser. Playbook and contact strings are only ever written with textContent.
// www/plan.js renders the "what next" half: lifecycle, segments, send verdicts, nurture step, CTA, handoff.

import { renderPlan } from "/www/plan.js";

// The browser build reads compiled playbooks only: the demo server compiles examples/playbooks/saas.json into this
// on each request (scripts/compiled-playbooks.mjs), as a site serves the file `rekindle compile` wrote.
const PLAYBOOK_URL = "/examples/playbooks/saas.rkp";
const CONTACTS_URL = "/examples/data/sample-contacts.json";
const VISITOR_STATE_KEY = "rekindle-demo:visitor";
const VISITOR_OFFSET_KEY = "rekindle-demo:visitor-offset";
const DAY_MS = 86_400_000;
const SHOWN_EVENTS = 12;

const $ = (selector) => document.querySelector(selector);
const root = document.documentElement;

/** Everything the panel shows comes from here. */
const demo = {
  rekindle: null, // the imported /pkg/browser.js module, once the engine works
  engine: null,
  samples: [], // sample contacts from examples/data/sample-contacts.json
  contact: null, // { key, story, profile, base, offset, state, log }
  nextEventId: 1,
  revision: 0,
};

// ---------------------------------------------------------------------------------------------------------------
// The fake site: in-page navigation, every meaningful click becomes an event.

function showPage(name) {
  for (const section of document.querySelectorAll("[data-page]")) {
    section.hidden = section.dataset.page !== name;
  }
  for (const link of document.querySelectorAll("nav [data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  $("#blog-post").hidden = true;
  $("#demo-thanks").textContent = "";
}

function wireSite() {
  document.addEventListener("click", (click) => {
    const target = click.target instanceof Element ? click.target.closest("a, button") : null;
    if (!target || !target.closest(".site")) return;
    const { nav, post, integration, cta } = target.dataset;
    if (nav) {
      click.preventDefault();
      showPage(nav);
      const section = document.querySelector(`[data-page="${nav}"]`);
      record({ kind: "page_view", props: { path: section.dataset.path, title: section.querySelector("h1").textContent } });
      $("#site-main").focus();
    } else if (post) {
      click.preventDefault();
      const title = target.closest("article").querySelector("h2").textContent;
      $("#blog-post-title").textContent = title;
      $("#blog-post").hidden = false;
      record({ kind: "page_view", props: { path: `/blog/${post}`, title } });
    } else if (integration) {
      click.preventDefault();
      record({ kind: "page_view", props: { path: `/integrations/${integration}` } });
    } else if (cta) {
      record({ kind: "cta_click", props: { cta } });
    }
  });

  $("#demo-form").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const form = new FormData(submit.target);
    const profile = {};
    for (const field of ["role", "industry"]) {
      const value = String(form.get(field) ?? "").trim();
      if (value) profile[field] = value;
    }
    const size = String(form.get("company_size") ?? "").trim();
    if (size && Number.isFinite(Number(size))) profile.company_size = Number(size);
    if (Object.keys(profile).length > 0) record({ kind: "profile", props: profile });
    record({ kind: "form_submit", props: { form: "demo", path: "/demo" } });
    submit.target.reset();
    $("#demo-thanks").textContent = "Thanks! In real life, sales would now call you within 15 minutes.";
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Contacts: "you" (kept in localStorage through saveState/loadState) and the sample contacts.

function readVisitorOffset() {
  try {
    const value = Number(globalThis.localStorage.getItem(VISITOR_OFFSET_KEY));
    return Number.isFinite(value) && value > 0 ? value : 0;
  } catch {
    return 0; // storage blocked: the visitor simply starts fresh
  }
}

function writeVisitorOffset(offset) {
  try {
    globalThis.localStorage.setItem(VISITOR_OFFSET_KEY, String(offset));
  } catch {
    // storage blocked: time travel still works for this page view
  }
}

function visitorContact() {
  let state = null;
  if (demo.rekindle) state = demo.rekindle.loadState(VISITOR_STATE_KEY);
  return { key: "visitor", story: "You. Click around the site: your events are scored on this device and kept in localStorage.",
    profile: {}, base: null, offset: readVisitorOffset(), state, log: [] };
}

function sampleContact(sample) {
  const profile = {};
  for (const event of sample.events) {
    if (event.kind === "profile") Object.assign(profile, event.props);
  }
  const contact = { key: sample.id, story: sample.story, profile, base: demo.samplesNow, offset: 0, state: null,
    log: [...sample.events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)) };
  if (demo.engine) contact.state = demo.engine.fold(null, sample.events);
  return contact;
}

function now() {
  const { base, offset } = demo.contact;
  return (base ?? Date.now()) + offset;
}

function pickContact(key) {
  const sample = demo.samples.find((candidate) => candidate.id === key);
  try {
    demo.contact = sample ? sampleContact(sample) : visitorContact();
  } catch (error) {
    demo.contact = { key, story: sample?.story ?? "", profile: {}, base: demo.samplesNow, offset: 0, state: null, log: [] };
    setStatus(`This contact's events were rejected: ${describeError(error)}`, "error");
  }
  render();
}

function record(partial) {
  const event = { id: `web-${demo.nextEventId++}`, at: now(), ...partial };
  demo.contact.log.push(event);
  if (demo.engine) {
    try {
      demo.contact.state = demo.engine.fold(demo.contact.state, [event]);
      if (demo.contact.key === "visitor") demo.rekindle.saveState(VISITOR_STATE_KEY, demo.contact.state);
    } catch (error) {
      setStatus(`The event was rejected: ${describeError(error)}`, "error");
    }
  }
  if (event.kind === "profile") Object.assign(demo.contact.profile, event.props);
  render();
}

function advance(days) {
  demo.contact.offset += days * DAY_MS;
  if (demo.contact.key === "visitor") writeVisitorOffset(demo.contact.offset);
  render();
}

function forgetVisitor() {
  if (demo.rekindle) demo.rekindle.clearState(VISITOR_STATE_KEY);
  writeVisitorOffset(0);
  if (demo.contact.key === "visitor") {
    demo.contact = visitorContact();
    render();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering. Reasons become readable rows: rule path, what happened, contribution after decay.

const formatNumber = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
const formatInstant = (ms) =>
  (Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC` : "(unknown time)");

/** One readable row per reason kind (docs/playbook.md "Decision"); unknown kinds still show their kind. */
export function describeReason(reason) {
  switch (reason.kind) {
    case "fitRule":
      return { rule: reason.rule, text: `${reason.id}: ${reason.field} matches`, contribution: signed(reason.points) };
    case "fitUnknown":
      return { rule: reason.rule, text: `${reason.id}: ${reason.field} is ${reason.cause === "missing" ? "not known yet" : "of the wrong type"}`, contribution: "0" };
    case "intentRule":
      return { rule: reason.rule,
        text: `${reason.id}: ${reason.count}× ${reason.signal}, last ${formatInstant(reason.lastAt)}${reason.capped ? " (capped)" : ""}`,
        contribution: `${signed(reason.decayedTo)} of ${formatNumber(reason.points)}` };
    case "ruleExpired":
      return { rule: reason.rule, text: `${reason.id}: ${reason.signal} expired ${formatInstant(reason.expiredAt)}`, contribution: "0" };
    case "capReached":
      return { rule: reason.group, text: `group capped at ${formatNumber(reason.cap)}`, contribution: `−${formatNumber(reason.dropped)}` };
    case "threshold":
      return { rule: reason.bar, text: `${reason.score} ${formatNumber(reason.actual)} ${reason.met ? "≥" : "<"} ${formatNumber(reason.needed)}`,
        contribution: reason.met ? "met" : "not met" };
    case "window":
      return { rule: reason.condition, text: `${reason.signal}: ${reason.counted} of ${reason.needed} within ${reason.window}`,
        contribution: reason.met ? "met" : "not met" };
    case "stageReached":
      return { rule: `stages.${reason.stage}`, text: `reached ${reason.stage.toUpperCase()} ${formatInstant(reason.at)}`, contribution: "" };
    case "segment":
      return { rule: `segments.${reason.segment}`,
        text: `${reason.unknown ? `unknown (${reason.unknown})` : reason.member ? "member" : "not a member"}, decided by ${reason.decidedBy.join(", ") || "nothing"}`,
        contribution: reason.member ? "member" : "" };
    case "stepSkipped":
      return { rule: `sequences.${reason.sequence}`,
        text: `step ${reason.step} skipped (due ${formatInstant(reason.dueAt)}), decided by ${reason.decidedBy.join(", ")}`, contribution: "" };
    case "nextStep":
      return { rule: reason.sequence ? `sequences.${reason.sequence}` : "sequences",
        text: `next step: ${reason.outcome.replaceAll("_", " ")}${reason.step ? ` (${reason.step})` : ""}`, contribution: "" };
    case "noCta":
      return { rule: "ctas",
        text: reason.why === "erased" ? "no call to action: the contact is erased"
          : `no call to action: none eligible, no default (${reason.skipped.map((s) => `${s.id} ${s.why.replaceAll("_", " ")}`).join(", ")})`,
        contribution: "" };
    default:
      return { rule: reason.rule ?? reason.bar ?? reason.condition ?? "", text: String(reason.kind), contribution: "" };
  }
}

function signed(value) {
  return value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}

function setField(selector, value, text = String(value)) {
  const element = $(selector);
  element.dataset.value = String(value);
  element.textContent = text;
}

function renderProfile() {
  const list = $("#profile");
  list.replaceChildren();
  for (const [field, value] of Object.entries(demo.contact.profile)) {
    const row = document.createElement("div");
    const term = document.createElement("dt");
    const detail = document.createElement("dd");
    term.textContent = field;
    detail.textContent = value === null ? "(cleared)" : String(value);
    row.append(term, detail);
    list.append(row);
  }
}

function renderEvents() {
  const list = $("#events");
  list.replaceChildren();
  const recent = demo.contact.log.slice(-SHOWN_EVENTS).reverse();
  for (const event of recent) {
    const item = document.createElement("li");
    const at = typeof event.at === "number" ? event.at : Date.parse(event.at);
    const detail = event.props?.path ?? event.props?.form ?? event.props?.cta ?? event.props?.role ?? "";
    item.textContent = `${formatInstant(at)} · ${event.kind}${detail ? ` ${detail}` : ""}`;
    list.append(item);
  }
  if (recent.length === 0) {
    const item = document.createElement("li");
    item.className = "muted";
    item.textContent = demo.contact.state ? "Earlier events are folded into the saved state." : "No events yet.";
    list.append(item);
  }
}

function renderDecision(decision) {
  setField("#score-fit", decision.scores.fit, formatNumber(decision.scores.fit));
  setField("#score-intent", decision.scores.intent, formatNumber(decision.scores.intent));
  setField("#score-total", decision.scores.total, formatNumber(decision.scores.total));
  setField("#readiness", decision.readiness);
  setField("#stage", decision.stage, decision.stage.toUpperCase());
  setField("#meets-mql", decision.meets.mql, decision.meets.mql ? "yes" : "no");
  setField("#meets-sql", decision.meets.sql, decision.meets.sql ? "yes" : "no");
  setField("#reactivation", decision.reactivationCandidate, decision.reactivationCandidate ? "yes" : "no");
  const body = $("#reasons");
  body.replaceChildren();
  for (const reason of decision.reasons) {
    const { rule, text, contribution } = describeReason(reason);
    const row = document.createElement("tr");
    row.dataset.kind = reason.kind;
    row.dataset.rule = rule;
    if (reason.id !== undefined) row.dataset.id = reason.id;
    for (const [index, value] of [rule, text, contribution].entries()) {
      const cell = document.createElement(index === 0 ? "th" : "td");
      if (index === 0) cell.scope = "row";
      cell.textContent = value;
      row.append(cell);
    }
    body.append(row);
  }
  renderPlan(decision);
  $("#raw-decision").textContent = JSON.stringify(decision, null, 2);
}

function render() {
  const contact = demo.contact;
  $("#contact-picker").value = contact.key;
  $("#story").textContent = contact.story;
  $("#forget").hidden = contact.key !== "visitor";
  $("#clock").textContent = formatInstant(now());
  $("#clock").dateTime = new Date(now()).toISOString();
  $("#clock-offset").textContent = contact.offset > 0 ? `(+${contact.offset / DAY_MS} d)` : "";
  renderProfile();
  renderEvents();
  if (demo.engine) {
    try {
      const state = contact.state ?? demo.engine.fold(null, []);
      renderDecision(demo.engine.decide(state, { now: now() }));
    } catch (error) {
      setStatus(`rekindle could not decide: ${describeError(error)}`, "error");
    }
  }
  demo.revision += 1;
  $("#panel").dataset.revision = String(demo.revision);
}

// ---------------------------------------------------------------------------------------------------------------
// Start-up: the site works at once; the engine, the playbook and the sample contacts load beside it.

function setStatus(text, kind = "info") {
  const status = $("#status");
  status.textContent = text;
  status.dataset.kind = kind;
}

function describeError(error) {
  if (error && typeof error === "object" && "code" in error) {
    return `${error.code}${error.path ? ` at ${error.path}` : ""}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function fetchJson(url, what) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`cannot fetch ${what} (${url}): ${error.message}`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${what} (${url}): HTTP ${response.status}`);
  try {
    return await response.json();
  } catch (error) {
    throw new Error(`${what} (${url}) is not valid JSON: ${error.message}`);
  }
}

/**
 * The compiled playbook's bytes. The demo server answers a playbook.json that does not compile with 422 and its
 * problems as JSON: thrown as the RekindleError the compiler gave, so the panel lists them with their paths.
 */
async function fetchPlaybook(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`cannot fetch the playbook (${url}): ${error.message}`);
  }
  if (response.status === 422 && response.headers.get("content-type")?.startsWith("application/json")) {
    const refusal = await response.json().catch(() => null);
    if (refusal?.code === "E_PLAYBOOK_INVALID") {
      throw Object.assign(new Error(`${refusal.message} (compiling ${url})`),
        { code: refusal.code, path: refusal.path, details: { problems: refusal.problems } });
    }
  }
  if (!response.ok) throw new Error(`cannot fetch the playbook (${url}): HTTP ${response.status}`);
  return response.arrayBuffer();
}

function showPlaybookError(error) {
  root.dataset.rekindle = "playbook-error";
  setStatus("Scoring is off until the playbook loads. The site still works.", "error");
  $("#playbook-error").hidden = false;
  $("#playbook-error-message").textContent = describeError(error);
  const list = $("#playbook-error-problems");
  list.replaceChildren();
  for (const problem of error?.details?.problems ?? []) {
    const item = document.createElement("li");
    const path = document.createElement("code");
    path.textContent = problem.path;
    item.append(path, ` ${problem.code}: ${problem.message}`);
    list.append(item);
  }
}

async function startEngine() {
  const rekindle = await import("/pkg/browser.js");
  await rekindle.init();
  return rekindle;
}

async function loadSamples() {
  const data = await fetchJson(CONTACTS_URL, "the sample contacts");
  demo.samplesNow = Date.parse(data.now);
  demo.samples = data.contacts;
  const picker = $("#contact-picker");
  for (const sample of data.contacts) {
    const option = document.createElement("option");
    option.value = sample.id;
    option.textContent = `${sample.name}: ${sample.title}`;
    picker.append(option);
  }
}

async function main() {
  wireSite();
  showPage("home");
  demo.contact = visitorContact();
  $("#contact-picker").addEventListener("change", (change) => pickContact(change.target.value));
  for (const button of document.querySelectorAll("[data-advance-days]")) {
    button.addEventListener("click", () => advance(Number(button.dataset.advanceDays)));
  }
  $("#forget").addEventListener("click", forgetVisitor);
  // Landing here is the visit's first page view (the inspector said "No events yet" on the page being read).
  const home = document.querySelector('[data-page="home"]');
  record({ kind: "page_view", props: { path: home.dataset.path, title: home.querySelector("h1").textContent } });

  const [engineResult, playbookResult, samplesResult] = await Promise.allSettled(
    [startEngine(), fetchPlaybook(PLAYBOOK_URL), loadSamples()]);

  if (samplesResult.status === "rejected") {
    const option = $("#contact-picker").appendChild(document.createElement("option"));
    option.disabled = true;
    option.textContent = "(sample contacts unavailable)";
    console.warn(`rekindle demo: ${samplesResult.reason.message}`);
  }
  if (engineResult.status === "rejected") {
    // Fail closed (STYLE §10): one warning, a plain message, and a site that keeps working.
    console.warn(`rekindle demo: scoring disabled, the engine could not start: ${describeError(engineResult.reason)}`);
    root.dataset.rekindle = "fallback";
    setStatus("Scoring is unavailable in this browser (WebAssembly could not start). The site works normally.", "fallback");
    return;
  }
  if (playbookResult.status === "rejected") {
    showPlaybookError(playbookResult.reason);
    return;
  }
  demo.rekindle = engineResult.value;
  try {
    demo.engine = new demo.rekindle.Engine(playbookResult.value);
  } catch (error) {
    showPlaybookError(error);
    return;
  }
  const version = typeof demo.rekindle.version === "function" ? demo.rekindle.version() : demo.rekindle.version;
  setStatus(`Scoring in this browser with rekindle ${version ?? ""}.`.replace(" .", "."), "ready");
  // Rebuild whoever is shown with the engine, folding the clicks made while it was loading (not lost).
  const before = demo.contact;
  const sample = demo.samples.find((candidate) => candidate.id === before.key);
  demo.contact = sample ? sampleContact(sample) : visitorContact();
  demo.contact.offset = before.offset;
  const clicks = before.log.filter((event) => String(event.id).startsWith("web-"));
  if (clicks.length > 0) {
    demo.contact.state = demo.engine.fold(demo.contact.state, clicks);
    demo.contact.log.push(...clicks);
    if (!sample) demo.rekindle.saveState(VISITOR_STATE_KEY, demo.contact.state);
  }
  root.dataset.rekindle = "ready";
  render();
}

main().catch((error) => {
  // Last line of defence: a broken sample file or engine fault is reported in the panel, never left uncaught.
  root.dataset.rekindle = "error";
  setStatus(`The demo stopped: ${describeError(error)}`, "error");
  console.error("rekindle demo:", error);
});
