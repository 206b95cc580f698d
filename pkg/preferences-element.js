// <rekindle-preferences>: the preference center (D27, D5) — topics, how often, channels, a pause and
// "unsubscribe from everything" — for the contact named by a signed token. The page never sees the key: the
// site's endpoint (the edge Worker's `/preferences`, or the site's own) verifies the token, answers GET with
// the current choices and saves a POST. The form shows what will change before it is saved.
//
//   <rekindle-preferences endpoint="/preferences"></rekindle-preferences>   token: the page's ?t=…, or token="…"
//
// Endpoint contract (JSON): GET `${endpoint}?t=<token>` → `{ contact?, topics: [{ id, label, subscribed }],
// frequency: "weekly" | "monthly" | "important_only" | null, channels: { email, sms }, offered?: { email, sms },
// pauseUntil: ms | null, unsubscribedAll?: boolean, consents?: [{ purpose, granted, at }] }`; 401/403 = a bad or
// expired link. `consents` (the latest word per purpose, as core's state view has it) is shown as the visitor's
// consent record under "Your data", with the right to withdraw (GDPR Art. 7(3)) and, when the element has a
// `privacy` attribute (an http(s) or relative URL), a link to the privacy policy (D27). A channel `offered` says
// false for (SMS without recorded consent: an SMS opt-in needs the phone number and confirmed consent, which a tick
// here is not) is shown off and disabled, with a hint saying why; without `offered`, every channel is offered. POST the same URL with `{ topics: [ids],
// frequency, channels, pauseUntil, unsubscribeAll }` → 2xx saved. Accessibility (WCAG 2.2 AA): fieldsets with
// legends, real inputs with labels, hints tied by aria-describedby, changes announced politely, errors as alerts,
// nothing submits on input, the email is never asked for (the link is the authentication).
//
// A load or save that fails is shown to the visitor (an alert; a failed load offers "Try again") and reported to
// the site: a `rekindle-preferences-error` event (bubbles; detail `{ action: "load" | "save", reason: "bad_link" |
// "http" | "network" | "bad_response", status, message }`) and one console warning naming the endpoint (never the
// token). A save that works dispatches `rekindle-preferences-saved` (detail: what was saved).
import { TEXTS, fill, pickLocale } from "./preferences-text.js";

const BaseElement = globalThis.HTMLElement ?? class {};
const FREQUENCIES = [null, "weekly", "monthly", "important_only"];
const CHANNELS = ["email", "sms"];
let serial = 0;

/** Why a request failed, for the visitor's message and the site's `rekindle-preferences-error` event. */
class Failure extends Error {
  constructor(reason, status, message) {
    super(message);
    this.reason = reason;
    this.status = status;
  }
}

/** `fetch` with each way it can fail named: no answer (offline, blocked), a bad link, another HTTP error. */
async function request(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new Failure("network", null, `no answer (${err?.message ?? err})`);
  }
  if (response.status === 401 || response.status === 403) throw new Failure("bad_link", response.status, `HTTP ${response.status}`);
  if (!response.ok) throw new Failure("http", response.status, `HTTP ${response.status}`);
  return response;
}

/** The server's answer, checked: anything unexpected is a load failure, never half a form. */
function readChoices(body) {
  const ok = body && typeof body === "object" && Array.isArray(body.topics) && FREQUENCIES.includes(body.frequency ?? null) &&
    body.channels && typeof body.channels === "object";
  if (!ok) throw new Failure("bad_response", null, "unexpected preferences response (expected { topics: [], frequency, channels })");
  return {
    contact: typeof body.contact === "string" ? body.contact : null,
    topics: body.topics
      .filter((t) => t && typeof t.id === "string")
      .map((t) => ({ id: t.id, label: typeof t.label === "string" ? t.label : t.id, subscribed: t.subscribed === true })),
    frequency: body.frequency ?? null,
    channels: Object.fromEntries(CHANNELS.map((c) => [c, body.channels[c] === true])),
    offered: Object.fromEntries(CHANNELS.map((c) => [c, body.offered?.[c] !== false])),
    pauseUntil: Number.isSafeInteger(body.pauseUntil) ? body.pauseUntil : null,
    unsubscribeAll: body.unsubscribedAll === true,
    consents: readConsents(body.consents),
  };
}

/** The consent record: absent is none; anything else must be `[{ purpose, granted, at }]`, never half-read. */
function readConsents(consents) {
  if (consents === undefined || consents === null) return [];
  if (!Array.isArray(consents)) throw new Failure("bad_response", null, "unexpected preferences response: consents is not a list");
  return consents.map((c, i) => {
    if (!c || typeof c.purpose !== "string" || typeof c.granted !== "boolean" || !Number.isSafeInteger(c.at)) {
      throw new Failure("bad_response", null, `unexpected preferences response: consents[${i}] is not { purpose, granted, at }`);
    }
    return { purpose: c.purpose, granted: c.granted, at: c.at };
  });
}

/** The `privacy` attribute as a link target: http(s) only (a `javascript:` URL would run in the page), else null. */
function privacyUrl(element) {
  const raw = element.getAttribute("privacy");
  if (raw === null || raw.trim() === "") return null;
  let url;
  try {
    url = new URL(raw, element.ownerDocument.baseURI);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:")) {
    globalThis.console?.warn?.(`rekindle: <rekindle-preferences privacy> must be an http(s) or relative URL; got ${JSON.stringify(raw.slice(0, 80))}: no privacy link shown`);
    return null;
  }
  return url.href;
}

/** `YYYY-MM-DD` (local) ⇄ epoch ms at local midnight: the day messages resume. */
const dayOf = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};
const msOf = (day) => {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d).getTime();
};

export class PreferencesElement extends BaseElement {
  #t = TEXTS.en;
  #locale = "en";
  #current = null; // the choices as loaded or last saved
  #saving = false; // a POST is in flight: another submit waits for it
  #ids = `rk-pref-${++serial}`;

  connectedCallback() {
    this.#locale = pickLocale(this);
    this.#t = TEXTS[this.#locale];
    this.#load();
  }

  get #url() {
    const token = this.getAttribute("token") ?? new URL(this.ownerDocument.location.href).searchParams.get("t") ?? "";
    const url = new URL(this.getAttribute("endpoint") ?? "", this.ownerDocument.baseURI);
    url.searchParams.set("t", token);
    return url;
  }

  #el(tag, attrs = {}, ...children) {
    const node = this.ownerDocument.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === true) node.setAttribute(name, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    node.append(...children); // strings become text nodes: server data is never parsed as HTML
    return node;
  }

  #message(text, role) {
    this.replaceChildren(this.#el("p", { role, class: "rekindle-message" }, text));
  }

  /** Tells the site why `action` failed: an event it can listen for, and one console warning. */
  #failed(action, err) {
    const failure = err instanceof Failure ? err : new Failure("bad_response", null, String(err?.message ?? err));
    const endpoint = this.#url;
    endpoint.search = ""; // the token is the visitor's credential: never in a log
    globalThis.console?.warn?.(`rekindle: <rekindle-preferences> could not ${action} ${endpoint.href}: ${failure.message}`);
    this.dispatchEvent(new CustomEvent("rekindle-preferences-error", {
      bubbles: true,
      detail: { action, reason: failure.reason, status: failure.status, message: failure.message },
    }));
    return failure;
  }

  /** Loads the choices; after a failure other than a bad link, "Try again" loads again (focus follows). */
  async #load(retried = false) {
    this.setAttribute("aria-busy", "true");
    this.#message(this.#t.loading, "status");
    try {
      const response = await request(this.#url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      let body;
      try {
        body = await response.json();
      } catch {
        throw new Failure("bad_response", response.status, "the answer is not JSON");
      }
      this.#current = readChoices(body);
      this.#render();
      if (retried) this.querySelector("form input")?.focus();
    } catch (err) {
      if (this.#failed("load", err).reason === "bad_link") return this.#message(this.#t.badLink, "alert");
      this.#message(this.#t.loadFailed, "alert");
      const retry = this.#el("button", { type: "button", class: "rekindle-retry" }, this.#t.retry);
      retry.addEventListener("click", () => this.#load(true));
      this.append(retry);
      if (retried) retry.focus();
    } finally {
      this.removeAttribute("aria-busy");
    }
  }

  #render() {
    const t = this.#t;
    const c = this.#current;
    const id = (name) => `${this.#ids}-${name}`;
    const hinted = (name, hint) => [this.#el("p", { id: id(name), class: "rekindle-hint" }, hint), id(name)];
    const [topicsHint, topicsHintId] = hinted("topics-hint", t.topicsHint);
    const topics = this.#el("fieldset", { "aria-describedby": topicsHintId }, this.#el("legend", {}, t.topics), topicsHint,
      ...c.topics.map((topic, i) => this.#el("label", { class: "rekindle-choice" },
        this.#el("input", { type: "checkbox", name: "topic", value: topic.id, checked: topic.subscribed, id: id(`topic-${i}`) }),
        ` ${topic.label}`)));
    const frequency = this.#el("fieldset", {}, this.#el("legend", {}, t.frequency),
      ...FREQUENCIES.map((f) => this.#el("label", { class: "rekindle-choice" },
        this.#el("input", { type: "radio", name: "frequency", value: f ?? "", checked: c.frequency === f }),
        ` ${t[`freq_${f}`]}`)));
    // The endpoint may not know of an opt-out made elsewhere (the ESP's own link): said, not hidden.
    const [channelsHint, channelsHintId] = hinted("channels-hint", t.channelsHint);
    const channels = this.#el("fieldset", { "aria-describedby": channelsHintId }, this.#el("legend", {}, t.channels),
      channelsHint,
      ...CHANNELS.flatMap((ch) => {
        const offered = c.offered[ch] || c.channels[ch];
        const [notOffered, notOfferedId] = offered ? [null, null] : hinted(`${ch}-not-offered`, t[`notOffered_${ch}`]);
        const label = this.#el("label", { class: "rekindle-choice" },
          this.#el("input", { type: "checkbox", name: "channel", value: ch, checked: c.channels[ch], disabled: !offered,
            "aria-describedby": notOfferedId }), ` ${t[`channel_${ch}`]}`);
        return notOffered === null ? [label] : [label, notOffered];
      }));
    const [pauseHint, pauseHintId] = hinted("pause-hint", t.pauseHint);
    const pauseError = this.#el("p", { id: id("pause-error"), class: "rekindle-error", role: "alert", hidden: true });
    const pauseInput = this.#el("input", { type: "date", name: "pause", id: id("pause"), min: dayOf(Date.now() + 86_400_000),
      value: c.pauseUntil === null ? "" : dayOf(c.pauseUntil), "aria-describedby": `${pauseHintId} ${id("pause-error")}` });
    const clear = this.#el("button", { type: "button", class: "rekindle-secondary" }, t.pauseClear);
    clear.addEventListener("click", () => {
      pauseInput.value = "";
      this.#review();
    });
    const pause = this.#el("fieldset", {}, this.#el("legend", {}, t.pause),
      this.#el("label", { for: id("pause") }, t.pauseLabel), pauseInput, clear, pauseHint, pauseError);
    const [allHint, allHintId] = hinted("all-hint", t.allHint);
    const all = this.#el("fieldset", { class: "rekindle-all" }, this.#el("legend", {}, t.all),
      this.#el("label", { class: "rekindle-choice" },
        this.#el("input", { type: "checkbox", name: "all", checked: c.unsubscribeAll, "aria-describedby": allHintId }),
        ` ${t.allLabel}`), allHint);
    const summary = this.#el("section", { "aria-labelledby": id("changes") },
      this.#el("h2", { id: id("changes") }, t.changes), this.#el("ul", { "aria-live": "polite", class: "rekindle-changes" }));
    const status = this.#el("p", { role: "status", class: "rekindle-status" });
    const form = this.#el("form", { novalidate: true }, topics, frequency, channels, pause, all, summary,
      this.#el("button", { type: "submit", class: "rekindle-save" }, t.save), status);
    form.addEventListener("input", () => this.#review());
    form.addEventListener("change", () => this.#review());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#save();
    });
    const heading = c.contact ? [this.#el("p", { class: "rekindle-contact" }, fill(t.for, { contact: c.contact }))] : [];
    this.replaceChildren(...heading, form, ...this.#yourData(id));
    this.#review();
  }

  /** "Your data": the consent record, the right to withdraw and the privacy policy (D27); nothing without either. */
  #yourData(id) {
    const t = this.#t;
    const privacy = privacyUrl(this);
    const consents = this.#current.consents;
    if (consents.length === 0 && privacy === null) return [];
    const date = (ms) => new Date(ms).toLocaleDateString(this.#locale, { dateStyle: "long" });
    const record = consents.length === 0 ? [] : [this.#el("ul", { class: "rekindle-consents" },
      ...consents.map((c) => this.#el("li", {}, fill(c.granted ? t.consentGiven : t.consentWithdrawn,
        { purpose: t[`purpose_${c.purpose}`] ?? c.purpose, date: date(c.at) }))))];
    const link = privacy === null ? [] : [this.#el("p", { class: "rekindle-privacy" }, `${t.privacy} `,
      this.#el("a", { href: privacy }, t.privacyLink))];
    return [this.#el("section", { "aria-labelledby": id("data"), class: "rekindle-data" },
      this.#el("h2", { id: id("data") }, t.yourData), ...record, this.#el("p", { class: "rekindle-hint" }, t.withdraw),
      ...link)];
  }

  /** The choices the form shows now. */
  #chosen() {
    const form = this.querySelector("form");
    const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
    const frequency = form.querySelector('input[name="frequency"]:checked')?.value || null;
    const day = form.querySelector('input[name="pause"]').value;
    return {
      topics: checked("topic"),
      frequency,
      channels: Object.fromEntries(CHANNELS.map((ch) => [ch, checked("channel").includes(ch)])),
      pauseUntil: day ? msOf(day) : null,
      unsubscribeAll: form.querySelector('input[name="all"]').checked,
    };
  }

  /** Lists what saving would change (WCAG 3.3.4: reviewable before it happens); returns false on an input error. */
  #review() {
    const t = this.#t;
    const c = this.#current;
    const next = this.#chosen();
    const label = (topicId) => c.topics.find((x) => x.id === topicId)?.label ?? topicId;
    const was = c.topics.filter((x) => x.subscribed).map((x) => x.id);
    const lines = [];
    const started = next.topics.filter((x) => !was.includes(x));
    const stopped = was.filter((x) => !next.topics.includes(x));
    if (started.length) lines.push(fill(t.start, { list: started.map(label).join(", ") }));
    if (stopped.length) lines.push(fill(t.stop, { list: stopped.map(label).join(", ") }));
    if (next.frequency !== c.frequency) lines.push(fill(t.freqChange, { from: t[`freq_${c.frequency}`], to: t[`freq_${next.frequency}`] }));
    for (const ch of CHANNELS) {
      if (next.channels[ch] !== c.channels[ch]) lines.push(fill(next.channels[ch] ? t.channelOn : t.channelOff, { channel: t[`channel_${ch}`] }));
    }
    if (next.pauseUntil !== c.pauseUntil) {
      lines.push(next.pauseUntil === null ? t.pauseEnd
        : fill(t.pauseSet, { date: new Date(next.pauseUntil).toLocaleDateString(this.#locale, { dateStyle: "long" }) }));
    }
    if (next.unsubscribeAll !== c.unsubscribeAll) lines.push(next.unsubscribeAll ? t.allOn : t.allOff);
    const list = this.querySelector(".rekindle-changes");
    list.replaceChildren(...(lines.length ? lines : [t.noChanges]).map((line) => this.#el("li", {}, line)));
    const pauseError = this.querySelector(".rekindle-error");
    const input = this.querySelector('input[name="pause"]');
    const past = next.pauseUntil !== null && next.pauseUntil <= Date.now();
    pauseError.hidden = !past;
    pauseError.textContent = past ? t.pausePast : "";
    input.setAttribute("aria-invalid", String(past));
    return !past;
  }

  async #save() {
    if (this.#saving) return; // a second submit (Enter, a script's requestSubmit) while the first is on its way
    const status = this.querySelector(".rekindle-status");
    if (!this.#review()) {
      this.querySelector('input[name="pause"]').focus();
      return;
    }
    const button = this.querySelector(".rekindle-save");
    const next = this.#chosen();
    button.disabled = true;
    this.#saving = true;
    this.querySelector(".rekindle-save-error")?.remove();
    status.textContent = this.#t.saving;
    try {
      await request(this.#url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify(next),
      });
      this.#current = {
        ...this.#current,
        ...next,
        topics: this.#current.topics.map((x) => ({ ...x, subscribed: next.topics.includes(x.id) })),
      };
      this.#review();
      status.textContent = this.#t.saved;
      this.dispatchEvent(new CustomEvent("rekindle-preferences-saved", { bubbles: true, detail: next }));
    } catch (err) {
      // A failed save is an error the visitor must hear at once (the header's "errors as alerts"), not a polite
      // status update: a new role=alert element is announced when it is inserted. The next save removes it.
      status.textContent = "";
      const text = this.#failed("save", err).reason === "bad_link" ? this.#t.badLink : this.#t.saveFailed;
      status.after(this.#el("p", { role: "alert", class: "rekindle-save-error" }, text));
    } finally {
      button.disabled = false;
      this.#saving = false;
    }
  }
}
