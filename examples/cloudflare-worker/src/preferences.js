// The preference center and RFC 8058 one-click unsubscribe (D27, D5), for a contact named by a signed token
// (`?t=`, the CLI's and core's format, docs/tokens.md). Choices are recorded as rekindle events (`preferences`,
// `unsubscribe`, `subscribe`) in a per-contact log in the KV namespace PREFERENCES, one key per event (log.js); the
// current choices are the core's fold of that log, so the ESP export (`rekindle plan --events`) and this page read
// the same facts.
//
// Consistency (stated, per the issue): every event is its own KV key and a write never reads first, so no write
// replaces another and no opt-out is lost — not to a race between two locations, not to compaction (log.js keeps
// an opt-out until a later one of the same channel and topic is kept). What KV can do is delay: a write can take up
// to 60 s to be seen from other locations, so a page read elsewhere in that window may show the old choices, and
// two saves racing in the same second both land and fold in time order (last save wins per field). A Durable
// Object per contact would add read-your-writes everywhere and serialise the saves; for a preference center — one
// person, rare writes — and an opt-out that the ESP sync reads within minutes (Gmail/Yahoo allow two days), KV is
// the simpler fit. A KV failure is a 503 with Retry-After (the mail provider retries the one-click POST), never a 500.
//
//   GET  /preferences?t=…   HTML (the preference center page) or, with Accept: application/json, the choices
//   POST /preferences?t=…   JSON { topics, frequency, channels: { email, sms }, pauseUntil, unsubscribeAll }
//   GET  /unsubscribe?t=…   a confirmation page; never unsubscribes by itself (link scanners prefetch links)
//   POST /unsubscribe?t=…   body List-Unsubscribe=One-Click → 200, the opt-out recorded (RFC 8058 §3.2)
import { badLinkPage, preferencesPage, unsubscribeDonePage, unsubscribePage } from "./pages.js";
import { appendEvents, compact, readLog } from "./log.js";
import { TOPICS } from "./site.js";

const FREQUENCIES = ["weekly", "monthly", "important_only"];
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const HTML_HEADERS = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-robots-tag": "noindex" };

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
const html = (status, body) => new Response(body, { status, headers: HTML_HEADERS });

/** Per isolate: token refusals by reason, for logs and the health endpoint. */
export const tokenStats = { refused: {} };

/** The verified token of `?t=`, or a ready refusal response (the same to every failure: no oracle). */
function verify(request, keys, purpose, now, wantsJson) {
  const text = new URL(request.url).searchParams.get("t") ?? "";
  const result = keys.verifyToken(text, { purpose, now });
  if (result.ok) return { token: result.token };
  tokenStats.refused[result.reason] = (tokenStats.refused[result.reason] ?? 0) + 1;
  return { response: wantsJson ? json(401, { error: "this link has expired or is not valid" }) : html(401, badLinkPage()) };
}

/** Folds `written` into the log read before the write, in key order (time, then id), without duplicates. */
function merged(log, written) {
  const byKey = new Map([...log, ...written].map((entry) => [entry.key, entry]));
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Event ids unique across requests (two saves in the same millisecond must not share a key), ordered within one. */
function idMaker(prefix, now) {
  const batch = crypto.randomUUID().slice(0, 8);
  let seq = 0;
  return () => `${prefix}-${now}-${batch}-${String(seq++).padStart(3, "0")}`;
}

const eventsOf = (entries) => entries.map(({ event }) => event);

/** The contact's current choices: the core's fold of its log, read through the state view. */
export function choices(engine, log, contact) {
  const view = engine.inspect(engine.fold(null, log));
  const dnc = new Map(view.dnc.map((d) => [d.channel, d.reason]));
  const chosen = view.topics;
  return {
    contact,
    topics: TOPICS.map((t) => ({ ...t, subscribed: !dnc.has("email") && (chosen.length === 0 || chosen.includes(t.id)) })),
    frequency: view.frequency ?? null,
    channels: { email: !dnc.has("email"), sms: !dnc.has("sms") },
    pauseUntil: view.pauseUntil ?? null,
    unsubscribedAll: dnc.has("email") && dnc.has("sms"),
  };
}

/** The form's choices as events; refuses anything outside the contract with a 400 naming the field. */
export function changeEvents(body, current, now, nextId = idMaker("pref", now)) {
  const fail = (path, message) => ({ error: { path, message } });
  if (body === null || typeof body !== "object" || Array.isArray(body)) return fail("", "expected a JSON object");
  const known = ["topics", "frequency", "channels", "pauseUntil", "unsubscribeAll"];
  const unknown = Object.keys(body).find((k) => !known.includes(k));
  if (unknown) return fail(unknown, `unknown field; expected ${known.join(", ")}`);
  const ids = TOPICS.map((t) => t.id);
  if (!Array.isArray(body.topics) || body.topics.some((t) => !ids.includes(t))) return fail("topics", `expected ids among ${ids.join(", ")}`);
  if (body.frequency !== null && !FREQUENCIES.includes(body.frequency)) return fail("frequency", `expected null or ${FREQUENCIES.join(", ")}`);
  const channels = body.channels;
  if (!channels || typeof channels.email !== "boolean" || typeof channels.sms !== "boolean") return fail("channels", "expected { email, sms } booleans");
  if (body.pauseUntil !== null && !(Number.isSafeInteger(body.pauseUntil) && body.pauseUntil > now)) return fail("pauseUntil", "expected null or a future instant in epoch ms");
  if (typeof body.unsubscribeAll !== "boolean") return fail("unsubscribeAll", "expected true or false");
  const event = (kind, props) => ({ id: nextId(), at: now, kind, props });
  const events = [];
  // No topic left is no email at all: "topics" empty means every topic to the core.
  const emailOn = channels.email && !body.unsubscribeAll && body.topics.length > 0;
  const smsOn = channels.sms && !body.unsubscribeAll;
  events.push(event("preferences", {
    frequency: body.frequency,
    pause_until: body.pauseUntil,
    topics: body.topics.length === ids.length ? null : body.topics.join(","),
  }));
  for (const [channel, on] of [["email", emailOn], ["sms", smsOn]]) {
    if (on && !current.channels[channel]) events.push(event("subscribe", { channel }));
    if (!on && current.channels[channel]) events.push(event("unsubscribe", { channel }));
  }
  return { events };
}

export async function preferences(request, env, { engine, keys, now }) {
  const wantsJson = request.method === "POST" || (request.headers.get("accept") ?? "").includes("application/json");
  const verified = verify(request, keys, "preferences", now, wantsJson);
  if (verified.response) return verified.response;
  const { contact } = verified.token;
  if (request.method === "GET" && !wantsJson) return html(200, preferencesPage(env.BROWSER_MODULE));
  const log = await readLog(env.PREFERENCES, contact);
  const current = choices(engine, eventsOf(log), contact);
  if (request.method === "GET") return json(200, current);
  let body;
  try {
    body = await request.json();
  } catch {
    return json(400, { error: "expected a JSON body", path: "" });
  }
  const change = changeEvents(body, current, now);
  if (change.error) return json(400, { error: change.error.message, path: change.error.path });
  const all = merged(log, await appendEvents(env.PREFERENCES, contact, change.events));
  await compact(env.PREFERENCES, all);
  // From what was read and written here, not a second read: KV may not list a write this fresh yet.
  return json(200, { saved: true, choices: choices(engine, eventsOf(all), contact) });
}

export async function unsubscribe(request, env, { keys, now }) {
  const verified = verify(request, keys, "unsubscribe", now, false);
  if (verified.response) return verified.response;
  const { contact, topic } = verified.token;
  if (request.method === "GET") return html(200, unsubscribePage());
  // RFC 8058 §3.1: the POST body carries List-Unsubscribe=One-Click (form-urlencoded or multipart).
  const type = request.headers.get("content-type") ?? "";
  const form = type.includes("form") ? await request.formData().catch(() => null) : null;
  if (form?.get("List-Unsubscribe") !== "One-Click") {
    return new Response("expected the body List-Unsubscribe=One-Click (RFC 8058)\n", { status: 400, headers: { "content-type": "text/plain" } });
  }
  const props = topic === null ? { channel: "email" } : { channel: "email", topic };
  // The opt-out is written first, on its own; compaction after it is best effort and may fail alone.
  const written = await appendEvents(env.PREFERENCES, contact, [{ id: idMaker("unsub", now)(), at: now, kind: "unsubscribe", props }]);
  try {
    await compact(env.PREFERENCES, merged(await readLog(env.PREFERENCES, contact), written));
  } catch (error) {
    console.warn(`rekindle: compaction after an unsubscribe skipped: ${error.message}`);
  }
  return (request.headers.get("accept") ?? "").includes("text/html")
    ? html(200, unsubscribeDonePage())
    : new Response("unsubscribed\n", { status: 200, headers: { "content-type": "text/plain", "cache-control": "no-store" } });
}
