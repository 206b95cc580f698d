// Encodes a JS value (a playbook, a list of events) as the byte tape the wasm reads (crates/wasm/src/tape.rs
// documents the format; crates/wasm/js/tape.js decodes results the other way). One pass over the value into
// a reused buffer, one copy into linear memory, instead of a JS-to-wasm call per property.
//
// Only what JSON can hold crosses. Anything else (a function, a symbol, a BigInt, a Date, a cycle) is refused
// with the path where it is (`events[2].props.when`), found by a second walk only then: tracking paths while
// encoding would cost more than the encoding. The hot path allocates nothing but the result's view.

const MAX_DEPTH = 64;
const utf8 = new TextEncoder();

let buffer = new Uint8Array(1024);
let view = new DataView(buffer.buffer);
let at = 0;

/** Makes room for `n` more bytes. */
function room(n) {
  if (at + n <= buffer.length) return;
  let size = buffer.length * 2;
  while (size < at + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(buffer.subarray(0, at));
  buffer = next;
  view = new DataView(buffer.buffer);
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
    // One length byte, then the text as long as it is ASCII (keys, kinds, ids and paths nearly always are).
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      buffer[at + 1 + i] = c;
    }
    if (i === n) {
      buffer[at] = n;
      at += n + 1;
      return;
    }
  }
  const bytes = utf8.encode(s);
  room(bytes.length + 5);
  varint(bytes.length);
  buffer.set(bytes, at);
  at += bytes.length;
}

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
    if (!Object.hasOwn(v, key)) continue;
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
    if (!Object.hasOwn(v, key) || v[key] === undefined) continue;
    const found = locate(v[key], path ? `${path}.${key}` : key, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/**
 * `value` as a tape: a view of a shared buffer, valid until the next call (the wasm glue copies it at once).
 * When it cannot cross, throws `problem(path, reason)` with `base` as the path of `value` itself.
 */
export function encodeTape(value, base, problem) {
  at = 0;
  try {
    write(value, 0);
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
  return buffer.subarray(0, at);
}
