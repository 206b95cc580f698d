// POST /api/events: facts from elsewhere into the preference log, so the preference center shows what the ESP and
// the site know — an unsubscribe through the ESP's own footer link, a complaint, a hard bounce (email off), SMS
// consent confirmed with a phone number (SMS offered) — and the export (GET /api/events) carries them on.
//
//   POST /api/events
//   Authorization: Bearer <IMPORT_TOKEN>       (a Worker secret of at least 32 characters, not EXPORT_TOKEN)
//   body: NDJSON or a JSON array of { contact, id, at, kind, props? } — the export's line format (`at` in epoch ms,
//         or RFC 3339 with a zone, stored as epoch ms), so an export
//         page posted back stores exactly the events it lists (a round trip is the identity); at most MAX_EVENTS
//   → 200 { stored, duplicates, rejected: [] }
//   → 400 E_INPUT_INVALID { stored: 0, duplicates: 0, rejected: [{ index, line?, path, message }] }: nothing stored
//   → 401 wrong or missing token (WWW-Authenticate: Bearer), 413 a body over 1 MiB (unread past it), 503
//     E_NOT_CONFIGURED when IMPORT_TOKEN is unset, too short or equal to EXPORT_TOKEN, 503 E_STORAGE_UNAVAILABLE
//     on a KV failure (Retry-After; a retry is safe, below)
//
// All or nothing: every event is checked — its shape here, then by the core (the engine's own event parsing, a fold
// from an empty state) — before anything is written, and one refused event refuses the request, each problem
// listed with its index (0-based; `line`, 1-based, for NDJSON) and path. A half-stored batch would leave the sender
// to work out which half; this way it fixes the listed events and sends the batch again.
//
// Idempotent: an event's key is the contact's log prefix, its instant and its id (log.js), so a retried POST
// writes the same keys again, never a second copy; the contact's log is read first, and an id it already holds
// is counted in `duplicates` and not written. The same id with a different instant, kind or props is refused
// (`path: "id"`): ids name one event. KV lists a write up to 60 s late elsewhere, so a retry landing in another
// location within that minute may count as `stored` again — it still writes the same key.
//
// Kinds: only what the preference log is for — consent, preferences, subscribe, unsubscribe, email_bounce,
// spam_complaint (LOG_KINDS). Page views, clicks and purchases belong in the plan's own event files, not in a log
// the preference center folds on every request.
//
// KV budget: a Worker invocation may make 1000 KV operations. A request lists each distinct contact's log once and
// puts each new event, so MAX_EVENTS = 500 stays within it. No compaction runs here (its deletes would be more
// operations); the contact's next save or one-click compacts (log.js), which never deletes an opt-out.
import { MAX_BODY_BYTES, readCapped, tooLarge } from "./body.js";
import { bearerMatches, secretProblem } from "./bearer.js";
import { appendEvents, metadataOf, readLog } from "./log.js";

/** The most events one request may carry (see the KV budget above). */
export const MAX_EVENTS = 500;
/** The event kinds the preference log holds. */
export const LOG_KINDS = ["consent", "preferences", "subscribe", "unsubscribe", "email_bounce", "spam_complaint"];
/** A line's fields: exactly the export's. */
const FIELDS = ["contact", "id", "at", "kind", "props"];
/**
 * Contact ids as a signed token names them (core token.rs, ContactRef): 1–255 UTF-8 bytes without control
 * characters — the preference center reads the log of a token's contact, so a contact no token can name would be
 * stored where no page ever looks.
 */
const MAX_CONTACT_BYTES = 255;
/** KV keys hold 512 bytes: a log prefix of at most 400 (log.js), 16 digits of instant and a dash leave 95. */
const MAX_ID_BYTES = 95;
/** KV metadata holds 1024 bytes of JSON; the event is stored there. */
const MAX_METADATA_BYTES = 1024;
/** How far past the Worker's clock an event may lie: a later event outranks every choice made before it. */
const MAX_FUTURE_MS = 60 * 60 * 1000;
const CONTROL = /\p{Cc}/u;
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const utf8 = new TextEncoder();

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
const refuse = (status, code, message, headers) => json(status, { code, path: null, message }, headers);
const bytes = (text) => utf8.encode(text).length;

/** Why IMPORT_TOKEN cannot be used, or null (for /api/health and the route). */
export function importProblem(env) {
  const problem = secretProblem(env, "IMPORT_TOKEN", "the import (POST /api/events)");
  if (problem !== null) return problem;
  if (env.IMPORT_TOKEN !== undefined && env.IMPORT_TOKEN === env.EXPORT_TOKEN) {
    return "IMPORT_TOKEN equals EXPORT_TOKEN: the import (POST /api/events) is off, since whoever reads the log " +
      "could then write to it; openssl rand -hex 32 | npx wrangler secret put IMPORT_TOKEN";
  }
  return null;
}

/** Whether the import is on, for /api/health. */
export const importOn = (env) => env.IMPORT_TOKEN !== undefined && importProblem(env) === null;

/** A bad value for a message: at most 40 characters of a string, else its type (never a dump of the input). */
function describe(value) {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

const isPlainObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The body's events: `{ items: [{ value, index, line? }] }` or `{ rejected }`. A body starting with `[` is a JSON
 * array; anything else is NDJSON (blank lines skipped, so a file's last newline is no event).
 */
export function parseBody(text) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let array;
    try {
      array = JSON.parse(text);
    } catch (error) {
      return { rejected: [{ index: null, path: "", message: `body is not a valid JSON array: ${error.message}` }] };
    }
    if (array.length > MAX_EVENTS) return { rejected: [tooMany(array.length)] };
    return { items: array.map((value, index) => ({ value, index })) };
  }
  const lines = text.split("\n").map((raw, i) => ({ raw: raw.endsWith("\r") ? raw.slice(0, -1) : raw, line: i + 1 }))
    .filter(({ raw }) => raw.trim() !== "");
  if (lines.length > MAX_EVENTS) return { rejected: [tooMany(lines.length)] };
  const items = [];
  const rejected = [];
  lines.forEach(({ raw, line }, index) => {
    try {
      items.push({ value: JSON.parse(raw), index, line });
    } catch (error) {
      rejected.push({ index, line, path: "", message: `not valid JSON: ${error.message}` });
    }
  });
  return rejected.length > 0 ? { rejected } : { items };
}

const tooMany = (count) => ({ index: MAX_EVENTS, path: "",
  message: `${count} events; at most ${MAX_EVENTS} per request (send the rest in another request)` });

/** An RFC 3339 instant with a zone (`2026-11-27T09:30:00Z`, `…+01:00`, fractions to the nanosecond). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * `value` with an RFC 3339 `at` (what ESPs and forwarders write) turned into the epoch milliseconds the log keys
 * and the export use, once the core has read the same text as the same instant; anything else unchanged (the shape
 * check then names it). The stored event, its KV key and a retry's comparison all see milliseconds.
 */
function withMillis(engine, value) {
  if (!isPlainObject(value) || typeof value.at !== "string" || !RFC3339.test(value.at)) return value;
  const ms = Date.parse(value.at.replace(/[ t]/, "T").replace("z", "Z"));
  if (!Number.isSafeInteger(ms)) return value;
  try {
    // The core parses RFC 3339 itself: both must read the text as the same instant.
    const view = engine.inspect(engine.fold(null, [{ id: "at-check", at: value.at, kind: "page_view" }]));
    if (view.updatedAt !== ms) return value;
  } catch {
    return value;
  }
  return { ...value, at: ms };
}

/** The shape the log needs, checked before the core reads the event: `{ path, message }` or null. */
function shapeProblem(value, now) {
  if (!isPlainObject(value)) return { path: "", message: `expected an event object { contact, id, at, kind, props }, got ${describe(value)}` };
  const unknown = Object.keys(value).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) return { path: unknown, message: `unknown field; a line has ${FIELDS.join(", ")} (the export's format)` };
  const { contact, id, at, kind, props } = value;
  if (typeof contact !== "string" || contact === "" || bytes(contact) > MAX_CONTACT_BYTES || CONTROL.test(contact)) {
    return { path: "contact", message: `expected the contact id your signed links name (1 to ${MAX_CONTACT_BYTES} UTF-8 ` +
      `bytes, no control characters), got ${typeof contact === "string" ? `${bytes(contact)} bytes` : describe(contact)}` };
  }
  if (typeof id !== "string" || id === "" || bytes(id) > MAX_ID_BYTES || CONTROL.test(id)) {
    return { path: "id", message: `expected the event's id (1 to ${MAX_ID_BYTES} UTF-8 bytes, no control characters: ` +
      `a retry is stored once by it), got ${typeof id === "string" ? `${bytes(id)} bytes` : describe(id)}` };
  }
  if (!Number.isSafeInteger(at) || at < 0) {
    return { path: "at", message: `expected an instant: epoch milliseconds (an integer, as the export writes) or RFC 3339 ` +
      `with a zone ("2026-11-27T09:30:00Z"), got ${describe(at)}` };
  }
  if (at > now + MAX_FUTURE_MS) {
    return { path: "at", message: `${new Date(at).toISOString()} is more than an hour after the Worker's clock; ` +
      "a future event would outrank every choice made before it" };
  }
  if (!LOG_KINDS.includes(kind)) {
    return { path: "kind", message: `${describe(kind)} does not belong in the preference log; expected one of ${LOG_KINDS.join(", ")}` };
  }
  if (props !== undefined && !isPlainObject(props)) return { path: "props", message: `expected an object, got ${describe(props)}` };
  return null;
}

/** The core's verdict on one event (its own event parsing): `{ path, message }`, or null when it folds. */
function coreProblem(engine, event) {
  try {
    engine.fold(null, [event]);
    return null;
  } catch (error) {
    if (error?.code !== "E_INPUT_INVALID") throw error; // not the event's fault: the route's failure handler
    // The core names the path from the list it was given (events[0].props.channel); the index is ours.
    const at = String(error.path ?? "events[0]");
    const message = String(error.message);
    return { path: at.replace(/^events\[0\]\.?/, ""), message: message.startsWith(`${at}: `) ? message.slice(at.length + 2) : message };
  }
}

/** The stored form of an event, in the export's field order, for comparing a repeated id. */
const canonical = ({ id, at, kind, props }) => JSON.stringify([id, at, kind, props === undefined ? null :
  Object.keys(props).sort().map((key) => [key, props[key]])]);

/** The events to store per contact, with duplicates and conflicting ids: `{ byContact, duplicates, rejected }`. */
async function sortOut(kv, items) {
  const contacts = [...new Set(items.map(({ value }) => value.contact))];
  const logs = await Promise.all(contacts.map((contact) => readLog(kv, contact)));
  const known = new Map(contacts.map((contact, i) => [contact, new Map(logs[i].map(({ event }) => [event.id, event]))]));
  const byContact = new Map();
  const rejected = [];
  let duplicates = 0;
  for (const { value, index, line } of items) {
    const { contact, ...event } = value;
    const seen = known.get(contact);
    const earlier = seen.get(event.id);
    if (earlier === undefined) {
      seen.set(event.id, { ...event, index });
      byContact.set(contact, [...(byContact.get(contact) ?? []), event]);
    } else if (canonical(earlier) === canonical(event)) {
      duplicates += 1;
    } else {
      const where = earlier.index === undefined ? "the contact's log holds" : `event ${earlier.index} of this request has`;
      rejected.push({ index, ...(line === undefined ? {} : { line }), path: "id",
        message: `${where} this id for a different event (instant, kind or props); an id names one event` });
    }
  }
  return { byContact, duplicates, rejected };
}

/**
 * The route. `engine()`: the isolate's engine (runtime.js sharedEngine), built only once the request is
 * authorised, whose event parsing checks each event; `now`: the request's instant.
 */
export async function ingestEvents(request, env, { engine: engineOf, now }) {
  const problem = importProblem(env);
  if (env.IMPORT_TOKEN === undefined || problem !== null) {
    return refuse(503, "E_NOT_CONFIGURED", problem ??
      "the import is off: set the secret IMPORT_TOKEN (openssl rand -hex 32 | npx wrangler secret put IMPORT_TOKEN)");
  }
  if (!(await bearerMatches(request, env.IMPORT_TOKEN))) {
    return refuse(401, "E_UNAUTHORIZED", "expected Authorization: Bearer <IMPORT_TOKEN>",
      { "www-authenticate": 'Bearer realm="rekindle import"' });
  }
  const text = await readCapped(request, MAX_BODY_BYTES);
  if (text === null) return refuse(413, "E_INPUT_INVALID", tooLarge(MAX_BODY_BYTES));
  const refused = (rejected) => json(400, { code: "E_INPUT_INVALID", path: null,
    message: `${rejected.length === 1 ? "1 problem" : `${rejected.length} problems`}; nothing was stored: ` +
      `${rejected[0].index === null ? "" : `[${rejected[0].index}]`}${rejected[0].path ? ` ${rejected[0].path}` : ""}: ${rejected[0].message}`,
    stored: 0, duplicates: 0, rejected });
  const parsed = parseBody(text);
  if (parsed.rejected) return refused(parsed.rejected);
  const engine = await engineOf();
  const rejected = [];
  for (const item of parsed.items) item.value = withMillis(engine, item.value);
  for (const { value, index, line } of parsed.items) {
    const found = shapeProblem(value, now) ?? coreProblem(engine, value);
    const size = found === null ? bytes(JSON.stringify(metadataOf(value.contact, eventFields(value)))) : 0;
    const problem = found ?? (size > MAX_METADATA_BYTES ? { path: "props", message: `the event is ${size} bytes as KV ` +
      `metadata; at most ${MAX_METADATA_BYTES} (leave out props rekindle does not read)` } : null);
    if (problem !== null) rejected.push({ index, ...(line === undefined ? {} : { line }), ...problem });
  }
  if (rejected.length > 0) return refused(rejected);
  const items = parsed.items.map((item) => ({ ...item, value: { contact: item.value.contact, ...eventFields(item.value) } }));
  const sorted = await sortOut(env.PREFERENCES, items);
  if (sorted.rejected.length > 0) return refused(sorted.rejected);
  await Promise.all([...sorted.byContact].map(([contact, events]) => appendEvents(env.PREFERENCES, contact, events)));
  const stored = [...sorted.byContact.values()].reduce((sum, events) => sum + events.length, 0);
  return json(200, { stored, duplicates: sorted.duplicates, rejected: [] });
}

/** The event as the log stores it: the export's field order, `props` only when given. */
const eventFields = ({ id, at, kind, props }) => (props === undefined ? { id, at, kind } : { id, at, kind, props });
