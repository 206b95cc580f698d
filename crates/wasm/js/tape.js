// Reads the tape written by crates/wasm/src/tape.rs into plain objects (one pass, no JSON text).
// 0 null · 1 false · 2 true · 3 f64 · 4 string (joins the table) · 5 array…8 · 6 object…8 · 7 table ref.
const utf8 = new TextDecoder();

export function decodeTape(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  // Short ASCII strings (keys, tags, ids, paths) without TextDecoder: its per-call cost dominates small strings.
  const ascii = (from, len) => {
    let s = "";
    for (let i = from; i < from + len; i++) {
      const c = bytes[i];
      if (c > 0x7f) return null;
      s += String.fromCharCode(c);
    }
    return s;
  };
  const read = () => {
    const tag = bytes[at++];
    switch (tag) {
      case 0:
        return null;
      case 1:
        return false;
      case 2:
        return true;
      case 3: {
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
  };
  return read();
}

// The other direction: a JS value (playbook, events) as one tape the Rust side reads into its `Value` tree.
// Only what JSON can hold crosses; anything else throws { at, reason } naming where it is (the path is built
// only then: per-value path strings would cost more than the encoding).
const MAX_DEPTH = 64;
let buffer = new Uint8Array(4096);
let view = new DataView(buffer.buffer);
const utf8Out = new TextEncoder();

export function encodeTape(value, base) {
  let at = 0;
  const table = new Map();
  const trail = [];
  const room = (n) => {
    if (at + n <= buffer.length) return;
    let size = buffer.length * 2;
    while (size < at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(buffer.subarray(0, at));
    buffer = next;
    view = new DataView(buffer.buffer);
  };
  const byte = (b) => {
    room(1);
    buffer[at++] = b;
  };
  const varint = (n) => {
    while (n >= 0x80) {
      byte((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    byte(n);
  };
  const string = (s) => {
    const seen = table.get(s);
    if (seen !== undefined) {
      byte(7);
      varint(seen);
      return;
    }
    table.set(s, table.size);
    byte(4);
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      varint(s.length);
      room(s.length);
      for (let i = 0; i < s.length; i++) buffer[at++] = s.charCodeAt(i);
      return;
    }
    const bytes = utf8Out.encode(s);
    varint(bytes.length);
    room(bytes.length);
    buffer.set(bytes, at);
    at += bytes.length;
  };
  const fail = (reason) => {
    let path = base;
    for (const step of trail) path = typeof step === "number" ? `${path}[${step}]` : path ? `${path}.${step}` : step;
    throw { at: path, reason };
  };
  const write = (v) => {
    if (trail.length > MAX_DEPTH) fail("nested more than 64 levels deep (is the object cyclic?)");
    if (v === null || v === undefined) return byte(0);
    switch (typeof v) {
      case "boolean":
        return byte(v ? 2 : 1);
      case "number":
        byte(3);
        room(8);
        view.setFloat64(at, v, true);
        at += 8;
        return;
      case "string":
        return string(v);
      case "bigint":
        return fail("expected a number, got a BigInt: pass Number(value)");
      case "function":
      case "symbol":
        return fail("expected plain JSON data, got a function or symbol");
      default:
        break;
    }
    if (v instanceof Date) return fail("expected epoch milliseconds, got a Date: pass date.getTime()");
    if (Array.isArray(v)) {
      byte(5);
      for (let i = 0; i < v.length; i++) {
        trail.push(i);
        write(v[i]);
        trail.pop();
      }
      return byte(8);
    }
    byte(6);
    for (const key of Object.keys(v)) {
      string(key);
      trail.push(key);
      write(v[key]);
      trail.pop();
    }
    return byte(8);
  };
  write(value);
  return buffer.subarray(0, at);
}
