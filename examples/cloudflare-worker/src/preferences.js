// The preference center and RFC 8058 one-click unsubscribe (D27, D5), for a contact named by a signed token
// (`?t=`, the CLI's and core's format, docs/tokens.md). Choices are recorded as rekindle events (`preferences`,
// `unsubscribe`, `subscribe`) in a per-contact log in the KV namespace PREFERENCES, one key per event (log.js); the
// current choices are the core's fold of that log. The log leaves the Worker through GET /api/events (export.js),
// NDJSON that `rekindle plan --events` reads, so the plan — and the ESP lists made from it — honour these opt-outs
// once the sync (a cron job, README) has run.
//
// What this page cannot know by itself: an opt-out made elsewhere — the ESP's own unsubscribe link, a reply, a
// complaint — is held by the ESP, not by this log, until a forwarder posts it to POST /api/events (ingest.js);
// until then the page may show email on for someone the ESP has suppressed (the page says so; the save never
// writes a `subscribe` for a channel it already shows on, so it cannot undo that opt-out). SMS is offered only to
// a contact whose log records `sms_marketing` consent (posted to POST /api/events where the number was
// confirmed): an SMS opt-in needs express written consent with the phone number, confirmed (TCPA), which a tick
// here is not, so this page can turn SMS off but never on without that consent (a POST that tries is a 400
// naming channels.sms).
//
// Consistency (stated, per the issue): every event is its own KV key and a write never reads first, so no write
// replaces another and no opt-out is lost — not to a race between two locations, not to compaction (log.js keeps
// an opt-out until a later one of the same channel and topic is kept). What KV can do is delay: a write can take up
// to 60 s to be seen from other locations, so a page read elsewhere in that window may show the old choices, and
// two saves racing in the same second both land and fold in time order (last save wins per field). A Durable
// Object per contact would add read-your-writes everywhere and serialise the saves; for a preference center — one
// person, rare writes — whose opt-outs leave through the export within the sync's interval, KV is the simpler fit
// (Gmail/Yahoo ask that an opt-out be honoured within two days; CAN-SPAM allows ten business days). A KV failure
// is a 503 with Retry-After (the mail provider retries the one-click POST), never a 500.
//
//   GET  /preferences?t=…   HTML (the preference center page) or, with Accept: application/json, the choices
//                           (and `offered: { email, sms }`: the channels this page may turn on; `consents`: the
//                           latest word per purpose, shown as the visitor's consent record)
//   POST /preferences?t=…   JSON { topics, frequency, channels: { email, sms }, pauseUntil, unsubscribeAll }
//   GET  /unsubscribe?t=…   a confirmation page; never unsubscribes by itself (link scanners prefetch links)
//   POST /unsubscribe?t=…   body List-Unsubscribe=One-Click → 200, the opt-out recorded (RFC 8058 §3.2): every
//                           email without a topic in the token, that topic only with one (optOutEvents)
//
// The topics offered, their labels and order, and whether a contact who never chose has every topic or none
// (`topics_opt_in`), are the playbook's `policy.topics` (topics.js), read when the engine is built (runtime.js).
import { badLinkPage, preferencesPage, unsubscribeDonePage, unsubscribePage } from "./pages.js";
import { MAX_BODY_BYTES, readCapped, tooLarge } from "./body.js";
import { appendEvents, compact, readLog } from "./log.js";
import { choseTopics, topicSettings } from "./topics.js";

const FREQUENCIES = ["weekly", "monthly", "important_only"];
/** The latest instant a `pause_until` may name: the end of JavaScript's Date range, as core reads instants. */
const LATEST_INSTANT = 8_640_000_000_000_000;
/**
 * The most entries `topics` may hold. Repeats are folded away (a set), so a valid list never needs more than the
 * playbook's topics; the cap only stops a huge array from being walked and reported one entry at a time.
 */
const MAX_TOPIC_ENTRIES = 100;
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
/**
 * The pages of a signed link (`?t=`: preferences, unsubscribe, keep, the bad-link page). `no-referrer`: the token is
 * in the page's URL, and under the default policy every same-origin request from the page — the package's modules,
 * a click through to the privacy policy, whose scripts read document.referrer — would carry it in Referer.
 */
const HTML_HEADERS = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-robots-tag": "noindex",
  "referrer-policy": "no-referrer" };

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
export const html = (status, body) => new Response(body, { status, headers: HTML_HEADERS });

/** Per isolate: token refusals by reason, for logs and the health endpoint. */
export const tokenStats = { refused: {} };

/** The verified token of `?t=`, or a ready refusal response (the same to every failure: no oracle). */
export function verify(request, keys, purpose, now, wantsJson) {
  const text = new URL(request.url).searchParams.get("t") ?? "";
  const result = keys.verifyToken(text, { purpose, now });
  if (result.ok) return { token: result.token };
  tokenStats.refused[result.reason] = (tokenStats.refused[result.reason] ?? 0) + 1;
  return { response: wantsJson ? json(401, { error: "this link has expired or is not valid" }) : html(401, badLinkPage()) };
}

/** Folds `written` into the log read before the write, in key order (time, then id), without duplicates. */
export function merged(log, written) {
  const byKey = new Map([...log, ...written].map((entry) => [entry.key, entry]));
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Event ids unique across requests (two saves in the same millisecond must not share a key), ordered within one. */
export function idMaker(prefix, now) {
  const batch = crypto.randomUUID().slice(0, 8);
  let seq = 0;
  return () => `${prefix}-${now}-${batch}-${String(seq++).padStart(3, "0")}`;
}

export const eventsOf = (entries) => entries.map(({ event }) => event);

/**
 * `log` without the entries the core refuses, and the fold of the rest. An event written before this Worker checked
 * events with the core (or put into KV by hand) must not turn every later read of the contact's preferences (GET,
 * a save, a topic's one-click) into a 500: it is left out with a warning naming its position and kind, and never
 * deleted — the export still carries it, and `rekindle plan --events` lists it among its rejects with the reason.
 */
export function foldable(engine, log) {
  let entries = log;
  for (;;) {
    try {
      return { entries, state: engine.fold(null, eventsOf(entries)) };
    } catch (error) {
      const at = error?.code === "E_INPUT_INVALID" ? /^events\[(\d+)\]/.exec(error.path ?? "") : null;
      const index = at === null ? entries.length : Number(at[1]);
      if (index >= entries.length) throw error; // not one event's fault: the route answers it (500 / 503)
      console.warn(`rekindle: preference log: event ${index} of ${entries.length} (${entries[index].event?.kind}) left out of the fold: ${error.message}`);
      entries = entries.filter((_, i) => i !== index);
    }
  }
}

/**
 * The contact's current choices: the core's fold of its log, read through the state view; `settings` are the
 * playbook's topics (topics.js; the default is site.js TOPICS, opt-out, for callers without a playbook).
 */
export function choices(engine, log, contact, settings = topicSettings(null), view = engine.inspect(engine.fold(null, log))) {
  const dnc = new Map(view.dnc.map((d) => [d.channel, d.reason]));
  const chosen = view.topics;
  // As core's topic gate (policy.rs): a choice of no topic (null, "") is every topic; no choice at all is every
  // topic, or none under topics_opt_in. Both are an empty list; the view's topicsChosenAt says which.
  const receives = choseTopics(view) ? (id) => chosen.length === 0 || chosen.includes(id) : () => !settings.optIn;
  // SMS needs recorded consent (sms_marketing granted, the latest word on it): without it the channel is off and
  // not offered, whatever the log says about subscribe / unsubscribe.
  const smsConsent = (view.consents ?? []).some((c) => c.purpose === "sms_marketing" && c.granted === true);
  const sms = smsConsent && !dnc.has("sms");
  return {
    contact,
    topics: settings.topics.map((t) => ({ ...t, subscribed: !dnc.has("email") && receives(t.id) })),
    frequency: view.frequency ?? null,
    channels: { email: !dnc.has("email"), sms },
    offered: { email: true, sms: smsConsent },
    pauseUntil: view.pauseUntil ?? null,
    unsubscribedAll: dnc.has("email") && !sms,
    // The consent record the page shows under "Your data" (D27): the latest word per purpose the log holds.
    consents: (view.consents ?? []).map(({ purpose, granted, at }) => ({ purpose, granted, at })),
  };
}

/** A bad value for a message: at most 40 characters of a string, else its type (never a dump of the input). */
function describe(value) {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/**
 * The form's choices as events; refuses anything outside the contract with a 400 naming the field. `settings`: the
 * playbook's topics (topics.js); `chose`: whether the log holds a topic choice (choseTopics).
 */
export function changeEvents(body, current, now, { settings = topicSettings(null), chose = false, nextId = idMaker("pref", now) } = {}) {
  const fail = (path, message) => ({ error: { path, message } });
  if (body === null || typeof body !== "object" || Array.isArray(body)) return fail("", "expected a JSON object");
  const known = ["topics", "frequency", "channels", "pauseUntil", "unsubscribeAll"];
  const unknown = Object.keys(body).find((k) => !known.includes(k));
  if (unknown) return fail(unknown, `unknown field; expected ${known.join(", ")}`);
  const ids = settings.topics.map((t) => t.id);
  if (!Array.isArray(body.topics)) return fail("topics", `expected an array of topic ids among ${ids.join(", ")}`);
  if (body.topics.length > MAX_TOPIC_ENTRIES) {
    return fail("topics", `expected at most ${MAX_TOPIC_ENTRIES} entries (each topic once), got ${body.topics.length}`);
  }
  const bad = body.topics.findIndex((t) => !ids.includes(t));
  if (bad !== -1) return fail(`topics[${bad}]`, `unknown topic ${describe(body.topics[bad])}; expected one of ${ids.join(", ")}`);
  // A set, in the playbook's order: ["product", "product", "product"] is one topic, never "every topic".
  const topics = ids.filter((id) => body.topics.includes(id));
  if (body.frequency !== null && !FREQUENCIES.includes(body.frequency)) return fail("frequency", `expected null or ${FREQUENCIES.join(", ")}`);
  const channels = body.channels;
  if (!channels || typeof channels.email !== "boolean" || typeof channels.sms !== "boolean") return fail("channels", "expected { email, sms } booleans");
  if (body.pauseUntil !== null && !(Number.isSafeInteger(body.pauseUntil) && body.pauseUntil > now && body.pauseUntil <= LATEST_INSTANT)) {
    return fail("pauseUntil", `expected null or a future instant in epoch ms, at most ${LATEST_INSTANT} (a Date)`);
  }
  if (typeof body.unsubscribeAll !== "boolean") return fail("unsubscribeAll", "expected true or false");
  const event = (kind, props) => ({ id: nextId(), at: now, kind, props });
  const events = [];
  // "No topic" has no `topics` value: core reads null and "" as every topic, and gives no list special meaning (an
  // id the playbook does not declare would only be a list that matches no step — a sentinel every reader of the
  // log would have to know). So with topics on offer, none ticked is no email at all (an `unsubscribe`, as
  // docs/playbook.md says leaving every topic is), `topics` then written as before in the opt-out model, and not
  // written under topics_opt_in: "" would opt the contact into every topic should email come back on. The one
  // exception: under topics_opt_in a contact who never chose receives no topic already, so none ticked changes
  // nothing about topics and email stays as chosen (for the steps of no topic). A playbook with no topics writes none.
  const noTopic = ids.length > 0 && topics.length === 0;
  const unchosenOptIn = settings.optIn && !chose;
  const emailOn = channels.email && !body.unsubscribeAll && (!noTopic || unchosenOptIn);
  const topicsField = ids.length === 0 || (noTopic && settings.optIn) ? {}
    : { topics: topics.length === ids.length ? null : topics.join(",") };
  const smsOn = channels.sms && !body.unsubscribeAll;
  if (smsOn && !current.channels.sms && current.offered?.sms === false) {
    return fail("channels.sms", "SMS needs consent given with a phone number (sms_marketing); this page can turn SMS off, not on");
  }
  events.push(event("preferences", { frequency: body.frequency, pause_until: body.pauseUntil, ...topicsField }));
  for (const [channel, on] of [["email", emailOn], ["sms", smsOn]]) {
    if (on && !current.channels[channel]) events.push(event("subscribe", { channel }));
    if (!on && current.channels[channel]) events.push(event("unsubscribe", { channel }));
  }
  return { events };
}

/** `{ error, path }` when the core refuses one of `events` (E_INPUT_INVALID), else null. */
function coreRefusal(engine, events) {
  try {
    engine.fold(null, events);
    return null;
  } catch (error) {
    if (error?.code !== "E_INPUT_INVALID") throw error; // a wasm failure is the route's to answer (503 / 500)
    return { error: `the change could not be recorded: ${error.message}`, path: error.path ?? "" };
  }
}

export async function preferences(request, env, { engine, keys, now, topics: settings = topicSettings(null) }) {
  const wantsJson = request.method === "POST" || (request.headers.get("accept") ?? "").includes("application/json");
  const verified = verify(request, keys, "preferences", now, wantsJson);
  if (verified.response) return verified.response;
  const { contact } = verified.token;
  if (request.method === "GET" && !wantsJson) return html(200, preferencesPage(env.BROWSER_MODULE, env.PRIVACY_URL));
  const { entries: log, state } = foldable(engine, await readLog(env.PREFERENCES, contact));
  const view = engine.inspect(state);
  const current = choices(engine, eventsOf(log), contact, settings, view);
  if (request.method === "GET") return json(200, current);
  const text = await readCapped(request, MAX_BODY_BYTES);
  if (text === null) return json(413, { error: tooLarge(MAX_BODY_BYTES), path: "" });
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "expected a JSON body", path: "" });
  }
  const change = changeEvents(body, current, now, { settings, chose: choseTopics(view) });
  if (change.error) return json(400, { error: change.error.message, path: change.error.path });
  // Nothing the core refuses is ever written: an event in the log that does not fold would fail every later read
  // of this contact's preferences (GET, POST, a topic's one-click) and the export's `rekindle plan`.
  const refused = coreRefusal(engine, change.events);
  if (refused) return json(400, refused);
  const all = merged(log, await appendEvents(env.PREFERENCES, contact, change.events));
  await compact(env.PREFERENCES, all);
  // From what was read and written here, not a second read: KV may not list a write this fresh yet.
  return json(200, { saved: true, choices: choices(engine, eventsOf(all), contact, settings) });
}

/**
 * The events that record a one-click unsubscribe for `topic` (null: the token names no topic, every list).
 *
 * Core's `unsubscribe` has no topic: any `unsubscribe` of email is a full email opt-out, whatever props it carries
 * (docs/playbook.md, event kinds). A topic token means one list (docs/tokens.md), so it is written as what core does
 * have: a `preferences` event naming only `topics` — the contact's topics without this one — which leaves frequency
 * and pause as they are (core folds each field from the latest event that names it). An empty `topics` means every
 * topic to the core, so "all topics" is spelled out as the playbook's topics (`settings`, topics.js) before one is
 * taken away, and removing the last topic is a full email opt-out (as the preference center's save treats "no topic
 * left"). A topic core could not name in a `topics` list (a comma, outer spaces) is a full email opt-out too:
 * honouring more than was asked is safe, honouring less is not.
 *
 * Under `topics_opt_in`, a contact who never chose topics (`chose` false: no `preferences` event names `topics`)
 * receives none, so this topic is already off and there is nothing to take away. No event could say so without
 * saying more: the remaining topics would opt them into every other one, `null` / "" mean every topic to core, core
 * gives no list special meaning (a list of an undeclared id would be a sentinel every reader of the log must know),
 * and an `unsubscribe` would also stop the steps of no topic they still receive. So no event is written: the route
 * still answers 200 (RFC 8058: the one-click succeeds) and logs the request.
 */
export function optOutEvents(view, topic, now, { settings = topicSettings(null), chose = false, nextId = idMaker("unsub", now) } = {}) {
  const event = (kind, props) => ({ id: nextId(), at: now, kind, props });
  const everything = [event("unsubscribe", { channel: "email" })];
  if (topic === null || topic === undefined || topic.includes(",") || topic.trim() !== topic) return everything;
  if (settings.optIn && !chose) return [];
  const current = view.topics.length > 0 ? view.topics : settings.topics.map((t) => t.id);
  const remaining = current.filter((id) => id !== topic);
  return remaining.length === 0 ? everything : [event("preferences", { topics: remaining.join(",") })];
}

/**
 * The RFC 8058 body, read under the body cap: "One-Click" or null; `tooLarge` when it is over the cap. The media
 * type is matched in any letter case (RFC 9110 §8.3.1: `Application/X-WWW-Form-URLEncoded` is the same type); the
 * header goes to formData() as sent, since a multipart boundary is case-sensitive.
 */
async function oneClickValue(request) {
  const type = request.headers.get("content-type") ?? "";
  const media = type.toLowerCase();
  if (!media.includes("form")) return null;
  const text = await readCapped(request, MAX_BODY_BYTES);
  if (text === null) return { tooLarge: true };
  if (media.includes("application/x-www-form-urlencoded")) return new URLSearchParams(text).get("List-Unsubscribe");
  const form = await new Response(text, { headers: { "content-type": type } }).formData().catch(() => null);
  return form?.get("List-Unsubscribe") ?? null;
}

export async function unsubscribe(request, env, { engine, keys, now, topics: settings = topicSettings(null) }) {
  const verified = verify(request, keys, "unsubscribe", now, false);
  if (verified.response) return verified.response;
  const { contact, topic } = verified.token;
  if (request.method === "GET") return html(200, unsubscribePage());
  // RFC 8058 §3.1: the POST body carries List-Unsubscribe=One-Click (form-urlencoded or multipart).
  const value = await oneClickValue(request);
  if (value?.tooLarge) return plain(413, tooLarge(MAX_BODY_BYTES));
  if (value !== "One-Click") return plain(400, "expected the body List-Unsubscribe=One-Click (RFC 8058)");
  // A topic's opt-out depends on the contact's topics, so it reads the log first; a full opt-out needs no read and
  // is written first, on its own. Compaction after either is best effort and may fail alone.
  const read = topic === null ? null : foldable(engine, await readLog(env.PREFERENCES, contact));
  const before = read?.entries ?? null;
  const view = read === null ? { topics: [], topicsChosenAt: null } : engine.inspect(read.state);
  // Computed from what was read, so it must fold after it: two clicks in one millisecond would otherwise order by
  // their random ids, and the older list could win.
  const at = Math.max(now, ...(before ?? []).map(({ event }) => Number(event.at) + 1).filter(Number.isSafeInteger));
  const events = optOutEvents(view, topic, at, { settings, chose: choseTopics(view) });
  if (events.length === 0) {
    // Nothing to write (optOutEvents: an opt-in topic the contact never chose), yet the request is honoured.
    console.log(`rekindle: one-click unsubscribe from topic ${JSON.stringify(topic)}: not subscribed (topics_opt_in, no choice), nothing written`);
    return unsubscribed(request);
  }
  const written = await appendEvents(env.PREFERENCES, contact, events);
  try {
    await compact(env.PREFERENCES, merged(before ?? await readLog(env.PREFERENCES, contact), written));
  } catch (error) {
    console.warn(`rekindle: compaction after an unsubscribe skipped: ${error.message}`);
  }
  return unsubscribed(request);
}

/** A plain-text answer of the one-click route (a mail provider reads it), never stored by a cache. */
const plain = (status, text) =>
  new Response(`${text}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

/** The one-click's success: the confirmation page for a browser, plain text for a mail provider. */
function unsubscribed(request) {
  return (request.headers.get("accept") ?? "").includes("text/html") ? html(200, unsubscribeDonePage()) : plain(200, "unsubscribed");
}
