// Reads the tape written by crates/wasm/src/tape.rs into plain objects (one pass, no JSON text). The other
// direction (playbooks and events into the wasm) is encoded by the facade: pkg/tape.js.
// 0 null · 1 false · 2 true · 3 f64 · 4 string (joins the table) · 5 array…8 · 6 object…8 · 7 table ref.
const utf8 = new TextDecoder();

// Short ASCII strings already decoded, by a hash of their bytes: keys, enum values and rule paths repeat from
// call to call, and handing V8 the same string object makes every property store after the first a cache hit
// instead of hashing and internalising a fresh string (a `cta()` result decoded 1.4× faster, measured). A hash
// collision only costs a fresh string (`sameAscii` checks the bytes); the table stops growing at SEEN_MAX
// entries of at most 64 characters, so ids that never repeat cannot make it grow without bound.
const seen = new Map();
const SEEN_MAX = 4096;

function sameAscii(text, bytes, from) {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[from + i]) return false;
  return true;
}

// The tape being read: module state rather than closures, so a small result (a CTA, a list of deltas) does not pay
// for three closures and a DataView per call. decodeTape is not re-entrant (it calls nothing that could call it).
let bytes = null;
let at = 0;
let view = null;
let table = [];

function varint() {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
}

// Short ASCII strings (keys, tags, ids, paths) without TextDecoder (its per-call cost dominates small strings),
// and the same string object every time the same bytes come back (see `seen`).
function ascii(from, len) {
  let h = len;
  const end = from + len;
  for (let i = from; i < end; i++) {
    const c = bytes[i];
    if (c > 0x7f) return null;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const hit = seen.get(h);
  if (hit !== undefined && hit.length === len && sameAscii(hit, bytes, from)) return hit;
  const text = String.fromCharCode.apply(null, bytes.subarray(from, end));
  if (seen.size < SEEN_MAX) seen.set(h, text);
  return text;
}

function read() {
  const tag = bytes[at++];
  switch (tag) {
    case 0:
      return null;
    case 1:
      return false;
    case 2:
      return true;
    case 3: {
      view ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const n = view.getFloat64(at, true);
      at += 8;
      return n;
    }
    case 4: {
      const len = varint();
      const s = len <= 64 ? ascii(at, len) : null;
      const text = s ?? utf8.decode(bytes.subarray(at, at + len));
      at += len;
      table.push(text);
      return text;
    }
    case 5: {
      const list = [];
      while (bytes[at] !== 8) list.push(read());
      at++;
      return list;
    }
    case 6: {
      const object = {};
      while (bytes[at] !== 8) {
        const key = read();
        object[key] = read();
      }
      at++;
      return object;
    }
    case 7:
      return table[varint()];
    default:
      throw new Error(`rekindle tape: unknown tag ${tag} at byte ${at - 1}`);
  }
}

export function decodeTape(input) {
  bytes = input;
  at = 0;
  view = null;
  table = [];
  try {
    return read();
  } finally {
    bytes = null; // the wasm memory view is not kept alive between calls
    view = null;
  }
}
