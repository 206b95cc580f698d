// Encodes a JS value (a playbook, a list of events) as the byte tape the wasm reads (crates/wasm/src/tape.rs
// documents the format; crates/wasm/js/tape.js decodes results the other way). One pass over the value into
// a reused buffer, one copy into linear memory, instead of a JS-to-wasm call per property.
//
// Only what JSON can hold crosses. Anything else (a function, a symbol, a BigInt, a Date, a cycle) is refused
// with the path where it is (`events[2].props.when`), found by a second walk only then: tracking paths while
// encoding would cost more than the encoding. The hot path allocates nothing but the result's view.
//
// Events have their own encoder (`encodeEvents`): the same tape, but an event's own field names (at, kind, id,
// contact, machine, props) as a one-byte code instead of spelled out, and scalars written without the generic
// walk. Everything else (other keys, containers, values that cannot cross) goes through `write`, so what is refused,
// where and why, is exactly what `encodeTape` refuses.

const MAX_DEPTH = 64;
const utf8 = new TextEncoder();

/** The encoder's own buffer, reused from call to call, and a view of it for numbers. */
let own = new Uint8Array(1024);
let ownView = new DataView(own.buffer);
/** Where the encoder writes: its own buffer, or a caller's region while `encodeEventsInto` runs. */
let buffer = own;
let view = ownView;
let at = 0;
/** Where the region written to ends: `room` grows the own buffer past it, or leaves a caller's region. */
let limit = own.length;
/** Where the tape starts in `buffer`: 0 in the own buffer, the caller's offset in its region. */
let start = 0;

/** Makes room for `n` more bytes. */
function room(n) {
  if (at + n <= limit) return;
  if (buffer !== own) {
    // A caller's region is full: what is written so far moves to the own buffer, and encoding goes on there.
    const written = buffer.subarray(start, at);
    buffer = own;
    view = ownView;
    at = written.length;
    start = 0;
    limit = own.length;
    if (at + n > limit) grow(n, written);
    else own.set(written);
    return;
  }
  grow(n, own.subarray(0, at));
}

/** Replaces the own buffer by one with room for `n` more bytes, holding `written` first. */
function grow(n, written) {
  let size = own.length * 2;
  while (size < at + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(written);
  own = buffer = next;
  ownView = view = new DataView(next.buffer);
  limit = size;
}

function varint(n) {
  while (n >= 0x80) {
    buffer[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buffer[at++] = n;
}

function string(s) {
  const n = s.length;
  room(n + 6); // tag, length (≤ 5 bytes for the lengths JS strings reach), ASCII text
  buffer[at++] = 4;
  if (n < 128) {
    // One length byte, then the text as long as it is ASCII (keys, kinds, ids and paths nearly always are). The
    // buffer and offset in locals: read from the module's bindings per character, the loop cost 7 % more per event.
    const b = buffer;
    const start = at + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      b[start + i] = c;
    }
    if (i === n) {
      b[start - 1] = n;
      at = start + n;
      return;
    }
  }
  const bytes = utf8.encode(s);
  room(bytes.length + 5);
  varint(bytes.length);
  buffer.set(bytes, at);
  at += bytes.length;
}

/**
 * `Object.prototype.hasOwnProperty`, taken once: V8 compiles `hasOwnProperty.call(v, key)` inside a for-in over `v`
 * to a check of the loop's own key cache, where `Object.hasOwn(v, key)` is a full lookup (2-3x the time of a
 * one-key for-in in a micro-benchmark; the same answer for every object the walk reaches).
 */
const hasOwn = Object.prototype.hasOwnProperty;

/** Thrown inside `write` when a value cannot cross; `locate` then finds where and why. */
const REFUSED = Symbol("refused");

function write(v, depth) {
  if (depth > MAX_DEPTH) throw REFUSED;
  if (v === null || v === undefined) {
    room(1);
    buffer[at++] = 0;
    return;
  }
  switch (typeof v) {
    case "boolean":
      room(1);
      buffer[at++] = v ? 2 : 1;
      return;
    case "number":
      room(9);
      buffer[at++] = 3;
      view.setFloat64(at, v, true);
      at += 8;
      return;
    case "string":
      string(v);
      return;
    case "object":
      break;
    default:
      throw REFUSED; // bigint, function, symbol
  }
  if (Array.isArray(v)) {
    room(1);
    buffer[at++] = 5;
    for (let i = 0; i < v.length; i++) write(v[i], depth + 1);
    room(1);
    buffer[at++] = 8;
    return;
  }
  if (v instanceof Date) throw REFUSED;
  room(1);
  buffer[at++] = 6;
  // for-in rather than Object.keys: no array per object, and V8 reads `v[key]` through the enum cache (measured
  // 8 % faster per event); inherited keys are skipped, as Object.keys skips them.
  for (const key in v) {
    if (!hasOwn.call(v, key)) continue;
    const item = v[key];
    if (item === undefined) continue; // as JSON.stringify: a key set to undefined is no key (null clears a field)
    string(key);
    write(item, depth + 1);
  }
  room(1);
  buffer[at++] = 8;
}

/** Why `v` itself (not its contents) cannot cross, or null. */
function refusal(v, depth) {
  if (depth > MAX_DEPTH) return "nested more than 64 levels deep (is the object cyclic?)";
  switch (typeof v) {
    case "bigint":
      return "expected a number, got a BigInt: pass Number(value)";
    case "function":
    case "symbol":
      return "expected plain JSON data, got a function or symbol";
    case "object":
      return v instanceof Date ? "expected epoch milliseconds, got a Date: pass date.getTime()" : null;
    default:
      return null;
  }
}

/** The first value `write` refuses, in the same order: `{ path, reason }`, or null. */
function locate(v, path, depth) {
  const reason = refusal(v, depth);
  if (reason !== null) return { path, reason };
  if (v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = locate(v[i], `${path}[${i}]`, depth + 1);
      if (found !== null) return found;
    }
    return null;
  }
  for (const key in v) {
    if (!hasOwn.call(v, key) || v[key] === undefined) continue;
    const found = locate(v[key], path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/** `KEY` then a code: an event's field name the reader knows (crates/wasm/src/tape/read.rs `EVENT_FIELDS`). */
const KEY = 13; // crates/wasm/src/tape.rs: an event field's code (9-12 are the result tapes' own)

/** The code of an event field name, or -1 for any other key (spelled out as a string). */
function fieldCode(key) {
  switch (key) {
    case "at":
      return 0;
    case "kind":
      return 1;
    case "id":
      return 2;
    case "contact":
      return 3;
    case "machine":
      return 4;
    case "props":
      return 5;
    default:
      return -1;
  }
}

/** A string, number, boolean or null written as `write` writes it; false (nothing written) for anything else. */
function scalar(v) {
  switch (typeof v) {
    case "string":
      string(v);
      return true;
    case "number":
      room(9);
      buffer[at++] = 3;
      view.setFloat64(at, v, true);
      at += 8;
      return true;
    case "boolean":
      room(1);
      buffer[at++] = v ? 2 : 1;
      return true;
    default:
      if (v !== null) return false;
      room(1);
      buffer[at++] = 0;
      return true;
  }
}

/** A plain object (not an array, not a Date): what `write` walks key by key. */
const isPlain = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);

/** The entries of a plain object, as `write` writes them: `code` says whether keys may be event field codes. */
function entries(v, depth, code) {
  room(1);
  buffer[at++] = 6;
  for (const key in v) {
    if (!hasOwn.call(v, key)) continue;
    const item = v[key];
    if (item === undefined) continue;
    const field = code ? fieldCode(key) : -1;
    if (field < 0) {
      string(key);
    } else {
      room(2);
      buffer[at++] = KEY;
      buffer[at++] = field;
    }
    if (scalar(item)) continue;
    if (field === 5 && isPlain(item)) entries(item, depth + 1, false); // props: depth 2, as `write` counts
    else write(item, depth + 1);
  }
  room(1);
  buffer[at++] = 8;
}

/** Writes `KEY code` and the field's value, as `entries` writes a field it found. */
function field(code, v) {
  room(2);
  buffer[at++] = KEY;
  buffer[at++] = code;
  if (scalar(v)) return;
  if (code === 5 && isPlain(v)) entries(v, 2, false);
  else write(v, 2);
}

/**
 * A plain event whose own keys are all event fields, written by reading the six fields directly, in a fixed order
 * (at, kind, id, contact, machine, props); false, with nothing written, for any other event. Enumerating the keys
 * only to count them and reading the fields by name is cheaper than `entries`' per-key own-property check and
 * keyed read: 14 % fewer instructions per event encoded (callgrind, the bench workload). The count also catches what the direct reads would get
 * wrong: a key that is not an event field, a field set to `undefined` (`entries` skips it), and a field the object
 * inherits (only an enumerable one on `Object.prototype` is counted, so `clean` is checked first).
 */
function known(e, clean) {
  if (!clean || Object.getPrototypeOf(e) !== Object.prototype) return false;
  let keys = 0;
  for (const _ in e) keys++;
  const { at: when, kind, id, contact, machine, props } = e;
  const given = (when !== undefined) + (kind !== undefined) + (id !== undefined) + (contact !== undefined) +
    (machine !== undefined) + (props !== undefined);
  if (given !== keys) return false;
  room(1);
  buffer[at++] = 6;
  if (when !== undefined) field(0, when);
  if (kind !== undefined) field(1, kind);
  if (id !== undefined) field(2, id);
  if (contact !== undefined) field(3, contact);
  if (machine !== undefined) field(4, machine);
  if (props !== undefined) field(5, props);
  room(1);
  buffer[at++] = 8;
  return true;
}

/** Whether `Object.prototype` has no enumerable key (none unless a script polluted it): what `known` relies on. */
function prototypeClean() {
  for (const _ in Object.prototype) return false;
  return true;
}

/** `writeEvents` with plain events through `known`: fields in a fixed order, not the object's. */
function writeEventsKnown(events) {
  if (!Array.isArray(events)) {
    write(events, 0);
    return;
  }
  const clean = prototypeClean();
  room(1);
  buffer[at++] = 5;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!isPlain(e)) write(e, 1);
    else if (!known(e, clean)) entries(e, 1, true);
  }
  room(1);
  buffer[at++] = 8;
}

/** A list of events as `write` writes it, event objects through `entries`. */
function writeEvents(events) {
  if (!Array.isArray(events)) {
    write(events, 0);
    return;
  }
  room(1);
  buffer[at++] = 5;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (isPlain(e)) entries(e, 1, true);
    else write(e, 1);
  }
  room(1);
  buffer[at++] = 8;
}

/** Runs `fill` from the buffer's start; a refusal becomes `problem(path, reason)` as in `encodeTape`. */
function encode(fill, value, base, problem) {
  at = start;
  try {
    fill(value, 0);
  } catch (err) {
    // A getter that throws, or a value that changes between the walks, is still refused at `base`.
    let found = null;
    if (err === REFUSED) {
      try {
        found = locate(value, base, 0);
      } catch {
        found = null;
      }
    }
    throw problem(found?.path ?? base, found?.reason ?? "expected plain JSON data");
  }
  return at - start;
}

/**
 * A list of events as a tape (the reader's event field codes in place of field names), refused as `encodeTape`
 * refuses it: a view of the shared buffer, valid until the next call.
 */
export function encodeEvents(events, base, problem) {
  const length = encode(writeEvents, events, base, problem); // first: encoding may replace `buffer`
  return buffer.subarray(0, length);
}

/**
 * `encodeEvents` without the view: the tape is the returned number of bytes, copied by `copyTape` before the next
 * call. Faster, but the fields of a plain event are written in a fixed order instead of the object's, and the order
 * decides which problem of an event with several the wasm reports first: a tape it refuses must be encoded again
 * by `encodeEvents` for the error.
 */
export function encodeEventsLength(events, base, problem) {
  return encode(writeEventsKnown, events, base, problem);
}

/**
 * `encodeEventsLength` straight into `target` (with `targetView`, a DataView of the same memory) at `offset`, in at
 * most `space` bytes: the tape's length, or, when it did not fit, `~length` and the tape is where
 * `encodeEventsLength` leaves it (for `copyTape`). What is written before it ran out of room moves over and
 * encoding goes on, so each event is read once either way (a getter runs once). Written in place, a per-event fold
 * saves the copy and the view `copyTape` makes: 6 % of a held contact's fold (CPU profile).
 */
export function encodeEventsInto(target, targetView, offset, space, events, base, problem) {
  buffer = target;
  view = targetView;
  start = offset;
  limit = offset + space;
  try {
    const length = encode(writeEventsKnown, events, base, problem);
    return buffer === own ? ~length : length;
  } finally {
    buffer = own;
    view = ownView;
    start = 0;
    limit = own.length;
  }
}

/**
 * Copies the last tape's first `length` bytes into `target` at `offset`. With `set`: a byte loop measured 10 % more
 * instructions per event for the whole fold + segments (its stores into the large wasm memory view are not cheap).
 */
export function copyTape(target, offset, length) {
  target.set(buffer.subarray(0, length), offset);
}

/**
 * `value` as a tape: a view of a shared buffer, valid until the next call (the wasm glue copies it at once).
 * When it cannot cross, throws `problem(path, reason)` with `base` as the path of `value` itself.
 */
export function encodeTape(value, base, problem) {
  const length = encode(write, value, base, problem); // first: encoding may replace `buffer`
  return buffer.subarray(0, length);
}
