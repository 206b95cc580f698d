// Reads the tape written by crates/wasm/src/tape.rs into plain objects (one pass, no JSON text). The other
// direction (playbooks and events into the wasm) is encoded by the facade: pkg/tape.js (tags 0-8 only).
// 0 null · 1 false · 2 true · 3 f64 · 4 string (joins the tape's table) · 5 array…8 · 6 object (key, value)…8
// · 7 tape table ref · 9 string kept across tapes · 10 kept string ref · 11 struct: values…8 shape
// · 12 (first) kept strings and shapes the writer expects, then the value.
const utf8 = new TextDecoder();

// What the writer keeps too (tape.rs `Kept`): a batch of decisions repeats the same strings and object shapes,
// so each crosses once per process, then by index. `kept` strings are the same string objects every time, so
// V8 stores properties under them without hashing a fresh string; `shapes` build a struct in one step.
const kept = [];
const shapes = [];

// Struct builders as object literals, `(s, b) => ({ "stage": s[b], … })`: V8 creates the object with its final
// layout at once instead of one keyed store (a map transition) per field. With the kept tables, the bench's
// decisions read in about half the time with literals and two thirds with the loop (issue 4's tapes). Only in Node: browsers may forbid generated code by CSP (and report every attempt) and
// workerd always does, so they take the loop. Any refusal (a Node run with
// --disallow-code-generation-from-strings) falls back to the loop too.
let generate = typeof process === "object" && typeof process?.versions?.node === "string";

function builder(keys) {
  if (generate) {
    try {
      const fields = keys.map((key, i) => `${JSON.stringify(key)}: s[b + ${i}]`);
      return new Function("s", "b", `return { ${fields.join(", ")} };`);
    } catch {
      generate = false;
    }
  }
  return (s, b) => {
    const object = {};
    for (let i = 0; i < keys.length; i++) object[keys[i]] = s[b + i];
    return object;
  };
}

// The tape being read: module state rather than closures, so a small result (a CTA, a list of deltas) does not pay
// for closures and a DataView per call. decodeTape is not re-entrant (it calls nothing that could call it).
let bytes = null;
let at = 0;
let view = null;
let table = [];
// Values of the arrays and structs being read, innermost last: an array is one slice of it, a struct one builder
// call, instead of growing each list by push.
const stack = [];

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

// A string's bytes: short ASCII by a char-code copy (TextDecoder's per-call cost dominates short strings), the
// rest by TextDecoder.
function text() {
  const len = varint();
  const end = at + len;
  let ascii = len <= 64;
  for (let i = at; ascii && i < end; i++) ascii = bytes[i] < 0x80;
  const s = ascii ? String.fromCharCode.apply(null, bytes.subarray(at, end)) : utf8.decode(bytes.subarray(at, end));
  at = end;
  return s;
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
      const s = text();
      table.push(s);
      return s;
    }
    case 5: {
      const from = stack.length;
      while (bytes[at] !== 8) stack.push(read());
      at++;
      const list = stack.slice(from);
      stack.length = from;
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
    case 9: {
      const s = text();
      kept.push(s);
      return s;
    }
    case 10:
      return kept[varint()];
    case 11: {
      const from = stack.length;
      while (bytes[at] !== 8) stack.push(read());
      at++;
      const shape = varint();
      let build = shapes[shape - 1];
      if (build === undefined) {
        const keys = [];
        for (let n = varint(); n > 0; n--) keys.push(read());
        build = builder(keys);
        if (shape > 0) shapes.push(build);
      }
      const object = build(stack, from);
      stack.length = from;
      return object;
    }
    default:
      throw new Error(`rekindle tape: unknown tag ${tag} at byte ${at - 1}`);
  }
}

export function decodeTape(input) {
  bytes = input;
  at = 0;
  view = null;
  table = [];
  stack.length = 0;
  try {
    if (bytes[0] === 12) {
      at = 1;
      const strings = varint();
      const shapeCount = varint();
      // Fewer than the writer expects cannot happen (a failed read starts both sides over), but would misread
      // every index after it. More: the writer started over (a full table, a restarted module).
      if (strings > kept.length || shapeCount > shapes.length) throw new Error("rekindle tape: kept tables out of step");
      kept.length = strings;
      shapes.length = shapeCount;
    }
    return read();
  } catch (error) {
    // The writer starts its tables over when a read fails (tape::forget); so does the reader.
    kept.length = 0;
    shapes.length = 0;
    throw error;
  } finally {
    bytes = null; // the wasm memory view is not kept alive between calls
    view = null;
  }
}
