// A contact's preference log in the KV namespace PREFERENCES: one key per event, the event as the key's metadata,
//
//   log:<encodeURIComponent(contact)>:<at, 16 digits>-<event id>   metadata { id, at, kind, props }, value ""
//   (log:#<FNV-1a 64 of the contact, hex>:… for an id too long to encode within KV's 512-byte keys; then the
//   metadata also holds `contact`, so the export can name it)
//
// so a write never reads, never replaces another write, and cannot be lost to a read-modify-write race between
// locations; `list({ prefix })` gives the log back in time order (keys sort by instant, then id). Growth is bounded
// by `compact`, which deletes only events a later event makes irrelevant to the fold (`superseded`): an opt-out is
// deleted only when a later opt-out of the same channel and topic is kept, so the opt-out itself is never lost.
// KV failures surface as StorageError, naming the operation and the contact's prefix, never the raw KV message alone.
// `exportPage` reads every contact's events back, one KV list call at a time, for the export route (export.js);
// POST /api/events (ingest.js) writes events from elsewhere through `appendEvents`, under the same keys.

const AT_DIGITS = 16;
const LIST_PAGE = 1000; // KV's largest page
/** The channels whose subscribe / unsubscribe events compaction understands (see superseded). */
const PLAIN_CHANNELS = new Set(["email", "sms"]);

/** A KV operation that failed (KV allows one write per second per key; puts and lists can throw). */
export class StorageError extends Error {
  constructor(operation, where, cause) {
    super(`KV PREFERENCES ${operation} under "${where}" failed: ${cause?.message ?? cause}`, { cause });
    this.name = "StorageError";
  }
}

/**
 * KV keys hold at most 512 UTF-8 bytes. A contact id percent-encodes to up to three times its bytes (a 240-byte id
 * in Polish letters is 720), so a prefix that would not leave room for the instant and the event id is the FNV-1a
 * 64-bit hash of the id instead: `log:#<16 hex>:` (`#` never appears in the percent-encoded form). Contact ids come
 * from the operator's signed tokens, so no one can choose two that collide.
 */
const MAX_PREFIX = 400;
const utf8 = new TextEncoder();

function fnv1a64(text) {
  let hash = 0xcbf29ce484222325n;
  for (const byte of utf8.encode(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, "0");
}

const prefix = (contact) => {
  const plain = `log:${encodeURIComponent(contact)}:`;
  return plain.length <= MAX_PREFIX ? plain : `log:#${fnv1a64(contact)}:`;
};
/** Whether `contact`'s keys carry a hash, not the id: its events then name it in their metadata. */
const hashed = (contact) => prefix(contact).startsWith("log:#");
/** The event of a key's metadata, without the `contact` a hashed key's metadata carries. */
const eventOf = ({ contact: _contact, ...event }) => event;

/** The metadata stored for `event` in `contact`'s log (KV allows 1024 bytes of it, serialised). */
export const metadataOf = (contact, event) => (hashed(contact) ? { ...event, contact } : event);

/** The key of one event in `contact`'s log. */
export const eventKey = (contact, event) => `${prefix(contact)}${String(event.at).padStart(AT_DIGITS, "0")}-${event.id}`;

/** The contact's log, oldest first: `[{ key, event }]`, following list cursors to the end. */
export async function readLog(kv, contact) {
  const entries = [];
  let cursor;
  do {
    let page;
    try {
      page = await kv.list({ prefix: prefix(contact), cursor, limit: LIST_PAGE });
    } catch (error) {
      throw new StorageError("list", prefix(contact), error);
    }
    for (const { name, metadata } of page.keys) if (metadata) entries.push({ key: name, event: eventOf(metadata) });
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return entries;
}

/** Writes each event under its own key; resolves to the new entries once every put has succeeded. */
export async function appendEvents(kv, contact, events) {
  const entries = events.map((event) => ({ key: eventKey(contact, event), event }));
  const puts = await Promise.allSettled(entries.map(({ key, event }) => kv.put(key, "", { metadata: metadataOf(contact, event) })));
  const failed = puts.find((put) => put.status === "rejected");
  if (failed) throw new StorageError("put", prefix(contact), failed.reason);
  return entries;
}

/**
 * The keys of `entries` (oldest first) whose events a later entry makes irrelevant to the core's fold:
 * - a `preferences` event when a later one sets every field it set (core's consent.rs: the latest event wins per
 *   field, a field present as null clears it, an absent field leaves it unchanged — so only a full cover replaces);
 * - a `subscribe` / `unsubscribe` when a later event of the same kind, channel and topic is kept — except the first
 *   unsubscribe of a channel after its latest subscribe, which dates the opt-out (suppression.rs keeps the earliest
 *   of a run). The latest of each kind, channel and topic is always kept.
 * Suppression events are only compacted when every one is the plain shape this Worker writes (channel email or sms,
 * no reason) and the log holds no other kind than these and `consent` (always kept): `channel: "all"`, a manual
 * reason or another kind would make the fold depend on more than that.
 */
export function superseded(entries) {
  const drop = [];
  const sets = entries.map(({ event }) => event.kind === "preferences" ? Object.keys(event.props ?? {}) : null);
  entries.forEach(({ key }, i) => {
    if (sets[i] === null) return;
    const covered = sets.slice(i + 1).some((later) => later !== null && sets[i].every((field) => later.includes(field)));
    if (covered) drop.push(key);
  });
  const suppression = entries.filter(({ event }) => event.kind === "subscribe" || event.kind === "unsubscribe");
  // A `consent` event (sms_marketing recorded by the site) is never deleted and takes no part in suppression
  // (core's suppression.rs folds only unsubscribe, subscribe, bounces and complaints), so it does not stop this.
  const plain = entries.every(({ event }) => ["preferences", "subscribe", "unsubscribe", "consent"].includes(event.kind)) &&
    suppression.every(({ event }) => PLAIN_CHANNELS.has(event.props?.channel) &&
    event.props?.reason === undefined);
  if (!plain) return drop;
  const group = ({ event }) => `${event.kind}\u0000${event.props.channel}\u0000${event.props.topic ?? ""}`;
  const latest = new Map(suppression.map((entry) => [group(entry), entry.key]));
  // Per channel, the first unsubscribe after the channel's latest subscribe. "After" is strictly later in time: at
  // one instant a subscribe folds after an unsubscribe and lifts it (suppression.rs), whatever their ids' order.
  const dating = new Set();
  for (const channel of PLAIN_CHANNELS) {
    const ofChannel = suppression.filter(({ event }) => event.props.channel === channel);
    const lastSubscribeAt = Math.max(-Infinity, ...ofChannel.filter(({ event }) => event.kind === "subscribe")
      .map(({ event }) => Number(event.at)));
    const first = ofChannel.find(({ event }) => event.kind === "unsubscribe" && Number(event.at) > lastSubscribeAt);
    if (first) dating.add(first.key);
  }
  for (const entry of suppression) {
    if (latest.get(group(entry)) !== entry.key && !dating.has(entry.key)) drop.push(entry.key);
  }
  return drop;
}

/**
 * Deletes the superseded events of `entries`, best effort: a delete that fails leaves a longer log, never a wrong
 * one, so failures are logged and the next write's compaction retries them. Resolves to the keys deleted.
 */
export async function compact(kv, entries) {
  const keys = superseded(entries);
  const deletes = await Promise.allSettled(keys.map((key) => kv.delete(key)));
  const failed = deletes.filter((d) => d.status === "rejected");
  if (failed.length > 0) {
    console.warn(`rekindle: KV PREFERENCES compaction: ${failed.length} of ${keys.length} deletes failed ` +
      `(${failed[0].reason?.message ?? failed[0].reason}); the next write retries them`);
  }
  return keys.filter((_, i) => deletes[i].status === "fulfilled");
}

/**
 * One page of every contact's events, for the export: a single KV list call under `log:` (at most 1000 keys, KV's
 * largest page), in key order (contact, then time). Resolves to `{ events, cursor, unnamed }`: the events with
 * `contact` (decoded from the key, or from the metadata of a hashed key) and at or after `since`; the cursor of the
 * next page, or null when the list is complete (KV may return fewer keys than asked, even none, before the end, so
 * only `list_complete` ends it); `unnamed`, the events whose contact cannot be told (a hashed key written before
 * the metadata named it), which the caller must report, never drop silently.
 */
export async function exportPage(kv, { cursor = undefined, since = 0 } = {}) {
  let page;
  try {
    page = await kv.list({ prefix: "log:", cursor, limit: LIST_PAGE });
  } catch (error) {
    throw new StorageError("list", "log:", error);
  }
  const events = [];
  let unnamed = 0;
  for (const { name, metadata } of page.keys) {
    if (!metadata || !(Number(metadata.at) >= since)) continue;
    const encoded = name.slice("log:".length, name.indexOf(":", "log:".length));
    let contact = typeof metadata.contact === "string" ? metadata.contact : null;
    if (contact === null && !encoded.startsWith("#")) {
      try {
        contact = decodeURIComponent(encoded);
      } catch {
        contact = null;
      }
    }
    if (contact === null) unnamed += 1;
    else events.push({ contact, ...eventOf(metadata) });
  }
  return { events, cursor: page.list_complete ? null : page.cursor, unnamed };
}
