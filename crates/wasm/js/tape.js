// Reads the tape written by crates/wasm/src/tape.rs into plain objects (one pass, no JSON text). The other
// direction (playbooks and events into the wasm) is encoded by the facade: pkg/tape.js.
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
