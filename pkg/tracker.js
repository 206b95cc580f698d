// The browser tracker (D13, D18, D43): turns what the visitor does on the page into rekindle events, folds them
// into the visitor's state on the device, and keeps that state in localStorage only with consent. It makes no
// network call of its own; the site's `onSignal` / `onDecision` hooks forward what the site chooses.
//
// Bindings translate, the engine decides: this file reads the page (URL, clicks, forms, scroll, visibility) and
// calls `Contact.fold` / `decide`. Which events matter, and what they are worth, is the playbook's business.
import { RekindleError } from "./facade.js";
import { pageViewProps, SESSION_GAP_MS } from "./page-view.js";
import { clearHeld, clearState, heldLeaves, holdLeave, isHeld, loadState, releaseLeave, saveState } from "./storage.js";

/** Consent purposes: `analytics` lets the state persist in localStorage; `personalisation` lets decisions
 * (the CTA) use it. Without `personalisation`, decisions are those of an unknown visitor. */
export const PURPOSES = Object.freeze(["analytics", "personalisation"]);

/** Events kept for folding into the stored state if consent comes later on the same page. */
const MAX_UNSAVED = 1000;
const ID = /^[a-z0-9_.-]{1,64}$/;
// Event kinds a site may send with track() as they are; any other name becomes `custom:<name>`.
const SITE_KINDS = new Set(["form_submit", "cta_click", "purchase", "webinar_registered", "webinar_attended", "subscribe"]);

// The started tracker of each storage key on this page. Two would record every click, view and form twice (a
// snippet pasted by the site and again by a tag manager) and write over each other's state.
const started = new Map();

/** The tracker started with storage key `key` on this page and not stopped, or null. */
export const startedTracker = (key) => started.get(key) ?? null;

/** The name a form is tracked by (its `data-rekindle-form`, `id` or `name`, cut at 64 characters), or "" for a form
 * with none: an untracked form. Field names and values never leave the form (D43). Attributes, not `form.id`: a
 * field named "id" takes that property's place on a form element. */
const formName = (form) =>
  (form.getAttribute("data-rekindle-form") || form.getAttribute("id") || form.getAttribute("name") || "").slice(0, 64);

const invalid = (path, reason) => new RekindleError("E_INPUT_INVALID", `${path}: ${reason}`, { path });

function checkOptions(options) {
  const known = ["key", "consent", "onDecision", "onSignal", "now", "sessionGap", "window", "pathOf"];
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw invalid(`options.${name}`, `unknown option; expected one of ${known.join(", ")}`);
  }
  if (options.key !== undefined && (typeof options.key !== "string" || options.key === "")) {
    throw invalid("options.key", "expected a non-empty string");
  }
  for (const hook of ["onDecision", "onSignal", "now", "pathOf"]) {
    if (options[hook] !== undefined && typeof options[hook] !== "function") throw invalid(`options.${hook}`, "expected a function");
  }
  const gap = options.sessionGap;
  if (gap !== undefined && !(Number.isSafeInteger(gap) && gap > 0)) {
    throw invalid("options.sessionGap", "expected a positive whole number of milliseconds");
  }
}

function sameBytes(a, b) {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkConsent(update, path) {
  if (update === null || typeof update !== "object" || Array.isArray(update)) throw invalid(path, "expected { analytics?, personalisation? }");
  for (const [name, value] of Object.entries(update)) {
    if (!PURPOSES.includes(name)) throw invalid(`${path}.${name}`, `unknown purpose; expected ${PURPOSES.join(" or ")}`);
    if (typeof value !== "boolean") throw invalid(`${path}.${name}`, "expected true or false");
  }
}

/**
 * One visitor on one page. `new Tracker(engine, options)`, then `start()`. Until `analytics` consent the state
 * lives in memory only; Global Privacy Control (`navigator.globalPrivacyControl`) is a refusal of both purposes
 * that `consent()` cannot override.
 */
export class Tracker {
  #engine;
  #contact;
  #key;
  #win;
  #now;
  #gap;
  #pathOf;
  #hooks;
  #granted = { analytics: false, personalisation: false };
  #gpc;
  #off = [];
  #subscribers = new Set();
  #decision = null;
  #warned = false;
  // The current page view's measurements, until its page_leave: `view` (its id), `path`, `visibleMs` (visible time
  // banked at the last hide), `visibleSince` (null while hidden), `scroll`, `held` (its page_leave so far is
  // held in storage: see #hold) and `forms` (the names of the forms started in it: see #onInput).
  #page = null;
  #seq = 0;
  #unsaved = []; // events recorded while analytics is refused, folded into the stored state if it is granted
  // The stored bytes this tab last read or wrote. Another tab of the same visitor holds the state in memory too
  // and writes after each of its events: a tab that wrote without looking would erase the other's events.
  #synced = null;

  constructor(engine, options = {}) {
    if (engine === null || typeof engine !== "object" || typeof engine.contact !== "function") {
      throw invalid("engine", "expected an Engine");
    }
    checkOptions(options);
    this.#engine = engine;
    this.#key = options.key ?? "rekindle";
    this.#win = options.window ?? globalThis;
    this.#now = options.now ?? (() => Date.now());
    this.#gap = options.sessionGap ?? SESSION_GAP_MS;
    // Hash-routed apps say where the visitor is: `pathOf: (location) => location.hash.slice(1) || "/"`.
    this.#pathOf = options.pathOf ?? ((location) => location.pathname);
    this.#hooks = { onDecision: options.onDecision, onSignal: options.onSignal };
    this.#gpc = this.#win.navigator?.globalPrivacyControl === true;
    if (options.consent !== undefined) {
      checkConsent(options.consent, "options.consent");
      Object.assign(this.#granted, options.consent);
    }
    const stored = this.#allowed("analytics") ? loadState(this.#key) : null;
    this.#contact = engine.contact(stored);
    this.#synced = stored;
  }

  #allowed(purpose) {
    return !this.#gpc && this.#granted[purpose];
  }

  /** The consent in effect: what the site granted, minus what Global Privacy Control refuses. */
  get consentState() {
    return { analytics: this.#allowed("analytics"), personalisation: this.#allowed("personalisation"), gpc: this.#gpc };
  }

  /**
   * Updates consent (`{ analytics?, personalisation? }`) from the site's consent banner. Granting `analytics`
   * saves the in-memory state; refusing it deletes what was stored (an opt-out leaves nothing behind).
   */
  consent(update) {
    checkConsent(update, "consent");
    const before = this.consentState;
    Object.assign(this.#granted, update);
    const after = this.consentState;
    if (after.analytics && !before.analytics) this.#adoptStored();
    if (!after.analytics && update.analytics === false) {
      clearState(this.#key);
      clearHeld(this.#key);
      if (this.#page !== null) this.#page.held = false;
    }
    if (after.personalisation !== before.personalisation) this.#refresh(null);
    return after;
  }

  /**
   * Consent arrived after the page started (a consent banner answering late): the stored state of earlier
   * visits is the visitor's history, so this page's events are folded into it — never written over it.
   */
  #adoptStored() {
    const stored = loadState(this.#key);
    this.#synced = stored;
    if (stored !== null) {
      const contact = this.#engine.contact(stored);
      if (this.#unsaved.length > 0) contact.fold(this.#unsaved);
      this.#contact.free();
      this.#contact = contact;
    }
    this.#unsaved = [];
    this.#persist();
  }

  /**
   * "Forget me": deletes everything rekindle stored for this visitor, starts from a fresh state and withdraws
   * both purposes. A visitor who asks to be forgotten expects to stop being tracked, not to be stored again on
   * the next click or on `pagehide`: from here on nothing is written (events stay in memory, as before any
   * consent) until `consent()` grants `analytics` again. What this page measured before the call is dropped too.
   * Returns the consent now in effect.
   */
  forget() {
    this.#unsaved = [];
    this.#granted = { analytics: false, personalisation: false };
    if (this.#page !== null) {
      const hidden = this.#win.document.visibilityState === "hidden";
      this.#page = { ...this.#page, visibleSince: hidden ? null : this.#now(), visibleMs: 0, scroll: 0, held: false,
        forms: new Set() };
    }
    clearState(this.#key);
    clearHeld(this.#key);
    this.#synced = null;
    this.#contact.free();
    this.#contact = this.#engine.contact(null);
    this.#refresh(null);
    return this.consentState;
  }

  /** Records the page view and starts listening: clicks on `[data-rekindle-cta]` / `[data-rekindle-event]`, form
   * starts (the visitor's first input into a form, once per form and page view) and submits (by the form's name,
   * never field names or values), scroll depth and visible time (summed over every visible stretch and sent as one
   * `page_leave` when the page view ends), and a new page view when Back / Forward restores the page from the
   * back/forward cache. */
  start() {
    if (this.#off.length > 0) return this;
    const other = started.get(this.#key);
    if (other !== undefined && other !== this) {
      throw invalid("key", `a Tracker is already started with key "${this.#key}" on this page: use that one, or stop() ` +
        "it first (two would record every event twice)");
    }
    started.set(this.#key, this);
    const doc = this.#win.document;
    this.#commitAbandoned();
    this.#pageView();
    this.#listen(doc, "click", (e) => this.#onClick(e), true);
    this.#listen(doc, "submit", (e) => this.#onSubmit(e), true);
    this.#listen(doc, "input", (e) => this.#onInput(e), true);
    this.#listen(this.#win, "scroll", () => this.#measureScroll(), { passive: true });
    this.#listen(doc, "visibilitychange", () => this.#onVisibility());
    this.#listen(this.#win, "pagehide", () => this.#leave());
    // Back / Forward restored this page from the back/forward cache: not loaded, not started again, but viewed
    // again (pagehide sent its page_leave, so nothing would be measured any more).
    this.#listen(this.#win, "pageshow", (e) => {
      if (e.persisted) this.#pageView();
    });
    // Another tab of this visitor stored its events, or forgot the visitor: follow it here at once.
    // A held page_leave of another tab came or went: it counts in this tab's decision too.
    this.#listen(this.#win, "storage", (e) => {
      if ((e.key === this.#key || e.key === null) && this.#sync()) this.#refresh(null);
      else if (e.key?.startsWith(`${this.#key}:leave:`)) this.#refresh(null);
    });
    return this;
  }

  /** A new page view in a single-page app: call after the route changed (`history.pushState`). The previous
   * page's `page_leave` goes first. */
  page() {
    this.#leave();
    this.#pageView();
  }

  /** Stops listening (the state stays). */
  stop() {
    for (const off of this.#off.splice(0)) off();
    if (started.get(this.#key) === this) started.delete(this.#key);
  }

  /**
   * Records an event the site knows about: `track("webinar_registered")`, `track("trial_started", { plan })`.
   * Names other than the site-side kinds (form_submit, cta_click, purchase, webinar_registered,
   * webinar_attended, subscribe) become `custom:<name>`.
   */
  track(name, props = {}) {
    if (typeof name !== "string" || !ID.test(name)) throw invalid("name", "expected 1–64 characters of a-z, 0-9, _, - or .");
    if (props === null || typeof props !== "object" || Array.isArray(props)) throw invalid("props", "expected an object");
    this.#record(SITE_KINDS.has(name) ? name : `custom:${name}`, props);
  }

  /**
   * Profile facts the site chooses to share (`identify({ role: "CMO", company_size: 120 })`), e.g. from a form
   * it owns: a `profile` event. The tracker never reads form fields by itself; only fields the playbook reads
   * are kept in the state.
   */
  identify(traits) {
    if (traits === null || typeof traits !== "object" || Array.isArray(traits)) throw invalid("traits", "expected an object");
    this.#record("profile", traits);
  }

  /** The current decision: the visitor's own with `personalisation` consent, an unknown visitor's otherwise. */
  decision() {
    if (this.#decision === null) this.#refresh(null);
    return this.#decision;
  }

  /** Calls `fn(decision)` now and whenever the decision changes; returns the function that unsubscribes. */
  subscribe(fn) {
    if (typeof fn !== "function") throw invalid("fn", "expected a function");
    this.#subscribers.add(fn);
    this.#safely(() => fn(this.decision()));
    return () => this.#subscribers.delete(fn);
  }

  /** The visitor's state bytes (what localStorage holds once consented). */
  toBytes() {
    return this.#contact.toBytes();
  }

  #listen(target, type, handler, options) {
    const safe = (event) => this.#safely(() => handler(event));
    target.addEventListener(type, safe, options);
    this.#off.push(() => target.removeEventListener(type, safe, options));
  }

  /** Runs site-facing work so that nothing rekindle does can break the page: one warning, then silence. */
  #safely(fn) {
    try {
      return fn();
    } catch (err) {
      if (!this.#warned) {
        this.#warned = true;
        this.#win.console?.warn?.(`rekindle: ${err?.message ?? err}`);
      }
      return undefined;
    }
  }

  #pageView() {
    const loc = this.#win.location;
    const doc = this.#win.document;
    const now = this.#now();
    const props = pageViewProps({ url: loc.href, path: this.#pathOf(loc), title: doc.title, referrer: doc.referrer,
      lastSeen: this.#lastSeen(), now, gap: this.#gap });
    const path = props.path;
    const view = `${now.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    this.#page = { view, path, visibleSince: doc.visibilityState === "hidden" ? null : now, visibleMs: 0, scroll: 0, held: false,
      forms: new Set() };
    this.#measureScroll();
    this.#record("page_view", props);
  }

  /** The latest event of the stored state (a previous visit), if any. */
  #lastSeen() {
    return this.#contact.updatedAt();
  }

  #measureScroll() {
    if (this.#page === null) return;
    const doc = this.#win.document.documentElement;
    const height = Math.max(doc.scrollHeight, 1);
    const seen = Math.min(100, Math.round((100 * (this.#win.scrollY + this.#win.innerHeight)) / height));
    this.#page.scroll = Math.max(this.#page.scroll, seen);
  }

  #onVisibility() {
    if (this.#page === null) return;
    if (this.#win.document.visibilityState === "hidden") this.#hold();
    else this.#resume();
  }

  /**
   * The page is hidden (another tab, minimised, the phone locked): the visible time so far is banked, and with
   * `analytics` consent the page_leave as it stands is held in storage — not folded. Mobile browsers may discard a
   * hidden page without `pagehide`: a held page_leave is then folded by a later page of this visitor (see
   * #commitAbandoned). A visitor who comes back and reads on adds to the same page view, and its one page_leave
   * (on `pagehide`, `page()` or the next hide) carries every visible second: folding a page_leave at each hide
   * would score one page view as several (a `scroll ≥ 75` signal twice) and no stretch would reach a `seconds`
   * bound that their sum reaches. Decisions count held page_leaves meanwhile, as if folded.
   */
  #hold() {
    const page = this.#page;
    const now = this.#now();
    if (page.visibleSince !== null) {
      page.visibleMs += Math.max(0, now - page.visibleSince);
      page.visibleSince = null;
    }
    if (!this.#allowed("analytics")) return;
    if (holdLeave(this.#key, page.view, this.#leaveEvent(page, now))) page.held = true;
  }

  /** Visible again: measuring resumes. When another tab folded this page view's held page_leave meanwhile (the
   * tab was hidden longer than a visit's gap, see #commitAbandoned), the visitor's return is a new page view. */
  #resume() {
    const page = this.#page;
    if (page.held && !isHeld(this.#key, page.view)) {
      this.#page = null;
      this.#pageView();
    } else if (page.visibleSince === null) {
      page.visibleSince = this.#now();
    }
  }

  #leaveEvent(page, at) {
    const visible = page.visibleMs + (page.visibleSince === null ? 0 : Math.max(0, at - page.visibleSince));
    const props = { path: page.path, seconds: Math.min(31_536_000, Math.round(visible / 1000)), scroll: page.scroll };
    return { id: `t${at.toString(36)}-${(this.#seq++).toString(36)}`, at, kind: "page_leave", props };
  }

  /** Ends the page view: its one `page_leave`, with the seconds of all its visible stretches and the deepest
   * scroll. Not folded again when another tab already folded it (see #resume). */
  #leave() {
    const page = this.#page;
    if (page === null) return;
    this.#page = null;
    if (page.held && !releaseLeave(this.#key, page.view)) return;
    this.#fold(this.#leaveEvent(page, this.#now()));
  }

  /**
   * Folds the held page_leaves of pages this visitor left without `pagehide` (a hidden tab the browser discarded)
   * once they are older than a visit's gap: a tab hidden that long that does come back starts a new page view.
   * Younger ones may belong to a tab still open in the background; they stay held (and count in decisions).
   */
  #commitAbandoned() {
    if (!this.#allowed("analytics")) return;
    const now = this.#now();
    for (const { view, event } of heldLeaves(this.#key)) {
      if (now - event.at >= this.#gap && releaseLeave(this.#key, view)) this.#safely(() => this.#fold(event));
    }
  }

  #onClick(event) {
    const target = event.target instanceof this.#win.Element ? event.target : null;
    const marked = target?.closest("[data-rekindle-cta], [data-rekindle-event]");
    if (!marked) return;
    const cta = marked.getAttribute("data-rekindle-cta");
    if (cta) {
      this.#record("cta_click", { cta: cta.slice(0, 64) });
      return;
    }
    const name = marked.getAttribute("data-rekindle-event");
    if (name && ID.test(name)) this.#record(`custom:${name}`, {});
  }

  #onSubmit(event) {
    const form = event.target;
    if (!(form instanceof this.#win.HTMLFormElement)) return;
    const name = formName(form);
    if (name) this.#record("form_submit", { form: name });
  }

  /**
   * The visitor's first input into a tracked form (one form_submit would name) in this page view: one
   * `custom:form_start` with the form's name — never the field's name or what was typed (D43). A visitor who
   * starts the demo form and leaves without submitting is what a playbook's "abandoned form" matches (D23). Only
   * the visitor's own input counts: not an event a script dispatched (`isTrusted` false), nor one before the visitor
   * touched the page at all (`navigator.userActivation`, where the browser has it: a browser filling saved details
   * into the form on load). `input` only: every edit fires it (text, select, checkbox, radio, file), while the
   * `change` a text field fires when it loses focus also follows a value nobody typed there (that autofill). Recorded
   * like every other event: stored only with `analytics` consent.
   */
  #onInput(event) {
    const page = this.#page;
    if (page === null || !event.isTrusted || this.#win.navigator?.userActivation?.hasBeenActive === false) return;
    const target = event.target;
    // `form` follows a control's form="…" attribute to a form elsewhere on the page; other inputs (contenteditable,
    // a custom element's shadow host) belong to the form around them.
    const form = target?.form instanceof this.#win.HTMLFormElement ? target.form
      : target instanceof this.#win.Element ? target.closest("form") : null;
    const name = form === null ? null : formName(form);
    if (!name || page.forms.has(name)) return;
    page.forms.add(name);
    this.#record("custom:form_start", { form: name });
  }

  #record(kind, props) {
    const at = this.#now();
    this.#fold({ id: `t${at.toString(36)}-${(this.#seq++).toString(36)}`, at, kind, props });
  }

  #fold(event) {
    this.#sync();
    this.#contact.fold([event]);
    if (this.#allowed("analytics")) {
      this.#persist();
    } else if (this.#unsaved.length < MAX_UNSAVED) {
      this.#unsaved.push(event);
    } else {
      this.#safely(() => {
        throw new Error(`${MAX_UNSAVED} events on one page without analytics consent: later ones stay in memory only`);
      });
    }
    if (this.#hooks.onSignal) this.#safely(() => this.#hooks.onSignal(event));
    this.#refresh(event);
  }

  #persist() {
    if (!this.#allowed("analytics")) return;
    const bytes = this.#contact.toBytes();
    if (saveState(this.#key, bytes)) this.#synced = bytes;
  }

  /**
   * Catches up with what another tab of this visitor stored since this tab last read or wrote: its state, which
   * holds every event both tabs saved, replaces this tab's (each tab saves after every event, so this tab has
   * nothing unsaved). The state gone means another tab forgot the visitor or refused analytics: this tab forgets
   * too rather than write it back (forget() updates the decision itself). True when this tab adopted another
   * tab's state. A tab without analytics consent never read the stored state and has nothing to catch up with.
   */
  #sync() {
    if (!this.#allowed("analytics")) return false;
    const stored = loadState(this.#key);
    if (sameBytes(stored, this.#synced)) return false;
    if (stored === null) {
      this.forget();
      return false;
    }
    this.#synced = stored;
    const contact = this.#engine.contact(stored);
    this.#contact.free();
    this.#contact = contact;
    return true;
  }

  /** The visitor's decision, counting the page_leaves held for hidden pages (#hold) as if folded. */
  #decideWithHeld(now) {
    const held = this.#allowed("analytics") ? heldLeaves(this.#key) : [];
    if (held.length === 0) return this.#contact.decide({ now });
    const contact = this.#engine.contact(this.#contact.toBytes());
    try {
      contact.fold(held.map((h) => h.event));
      return contact.decide({ now });
    } finally {
      contact.free();
    }
  }

  #refresh(event) {
    const now = this.#now();
    const decision = this.#allowed("personalisation") ? this.#decideWithHeld(now) : this.#engine.decide(null, { now });
    this.#decision = decision;
    if (this.#hooks.onDecision) this.#safely(() => this.#hooks.onDecision(decision, event));
    for (const fn of this.#subscribers) this.#safely(() => fn(decision));
  }
}
