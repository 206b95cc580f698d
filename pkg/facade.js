// The one hand-written facade over the generated bindings (pkg/gen/{edge,web}/rekindle_wasm.js).
// An entry shim (node.js, workerd.js, browser.js) passes the generated module to install(); everything
// public is re-exported by the entries. Bindings translate; the engine decides: this file only converts
// arguments (playbooks and events into one byte tape: ./tape.js), maps errors and tracks handle lifetimes.
import { copyTape, encodeEvents, encodeEventsInto, encodeEventsLength, encodeTape } from "./tape.js";

/** Every error code rekindle can raise, in documentation order. */
export const ERROR_CODES = Object.freeze([
  "E_PLAYBOOK_INVALID",
  "E_INPUT_INVALID",
  "E_STATE_INVALID",
  "E_SIGNATURE_INVALID",
  "E_IMPORT_INVALID",
  "E_NOT_INITIALIZED",
  "E_WASM_UNAVAILABLE",
  "E_DISPOSED",
  "E_INTERNAL",
]);

/**
 * Codes only the facade raises: E_WASM_UNAVAILABLE means the wasm never ran, so the wasm's own list
 * (`errorCodes()`) need not name it.
 */
const FACADE_CODES = Object.freeze(["E_WASM_UNAVAILABLE"]);

/** The one error class: `code` is stable, `path` says where, `details.problems` lists playbook problems. */
export class RekindleError extends Error {
  constructor(code, message, { path, details, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "RekindleError";
    this.code = code;
    this.path = path;
    this.details = details;
  }
}

let gen = null; // the generated module, once installed
let loader = null; // the entry's initialiser: (options) => void | Promise<void>
let ready = false;
let pending = null; // the in-flight init() promise
let generation = 0; // bumps when the wasm instance is replaced; older handles are then disposed
let broken = null; // set when re-instantiation itself failed

/**
 * Called once by an entry shim with the generated module and a function that instantiates it.
 * A synchronous loader (Node, workerd) runs at once, so `init()` resolves immediately there.
 */
export function install(generated, load, { sync = false } = {}) {
  gen = generated;
  loader = load;
  if (sync) {
    try {
      load({});
    } catch (err) {
      throw new RekindleError("E_INTERNAL", `could not instantiate rekindle's wasm: ${err?.message ?? String(err)}`, {
        cause: err,
      });
    }
    markReady();
  }
}

function markReady() {
  const codes = gen.errorCodes?.();
  const expected = ERROR_CODES.filter((code) => !FACADE_CODES.includes(code) || codes?.includes(code));
  if (Array.isArray(codes) && [...codes].sort().join() !== expected.sort().join()) {
    throw new RekindleError("E_INTERNAL", `the facade and the wasm disagree on error codes: wasm has ${codes.join(", ")}`);
  }
  ready = true;
}

/**
 * Loads the wasm. Idempotent and safe to call concurrently: every call shares one instantiation.
 * In Node and workerd the entry has already instantiated synchronously, so this resolves at once.
 */
export function init(options = {}) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    return Promise.reject(inputError("options", `expected an options object like { url }, got ${describe(options)}`));
  }
  if (ready) return Promise.resolve();
  if (loader === null) {
    return Promise.reject(new RekindleError("E_NOT_INITIALIZED", "rekindle was imported without an entry point: import \"rekindle\""));
  }
  pending ??= Promise.resolve()
    .then(() => loader(options))
    .then(markReady)
    .catch((err) => {
      pending = null;
      if (err instanceof RekindleError) throw err;
      throw new RekindleError("E_INTERNAL", `could not instantiate rekindle's wasm: ${err?.message ?? String(err)}`, {
        cause: err,
      });
    });
  return pending;
}

const CSP_REFUSAL = /content.security.policy|\bCSP\b|unsafe-eval/i;

/**
 * @internal The browser entry's loader: fetches `source` (a URL, a Request, a Response, bytes or a compiled
 * module) and hands it to the glue's `initialise`. Every way the wasm can fail to arrive or compile is
 * E_WASM_UNAVAILABLE naming the URL and the fix: before, it was E_INTERNAL ("a bug") repeating the browser's
 * text, and Chromium's CSP text names 'unsafe-eval', which would weaken the page's CSP far more than the
 * 'wasm-unsafe-eval' rekindle needs. A trap while starting (RuntimeError) stays E_INTERNAL: that is a bug.
 */
export async function loadWasm(source, initialise) {
  const isRequest = typeof Request === "function" && source instanceof Request;
  const isResponse = typeof Response === "function" && source instanceof Response;
  const fetched = typeof source === "string" || source instanceof URL || isRequest;
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  let where = null;
  if (fetched) {
    const raw = isRequest ? source.url : String(source);
    try {
      where = new URL(raw, base).href;
    } catch {
      where = raw;
    }
  } else if (isResponse) {
    where = source.url || null;
  }
  const at = where === null ? "" : ` from ${where}`;
  const elsewhere = "serve the package's gen/web/rekindle_wasm_bg.wasm (export \"rekindle/rekindle.wasm\") there, " +
    "or say where it is: startTracker({ wasm: url }) or init({ url })";
  const unavailable = (reason, message, cause, status) => new RekindleError("E_WASM_UNAVAILABLE", message, {
    cause,
    details: status === undefined ? { url: where, reason } : { url: where, reason, status },
  });
  let module = source;
  if (fetched) {
    try {
      module = await fetch(source);
    } catch (err) {
      throw unavailable("network", `could not fetch rekindle's wasm${at}: ${clip(err)} (offline, blocked, ` +
        "or refused by the Content-Security-Policy's connect-src)", err);
    }
  }
  if (module instanceof Response && !module.ok) {
    throw unavailable("http", `could not fetch rekindle's wasm${at}: HTTP ${module.status}; ${elsewhere}`, undefined,
      module.status);
  }
  try {
    await initialise(module);
  } catch (err) {
    if (err instanceof RekindleError || err instanceof WebAssembly.RuntimeError) throw err;
    if (CSP_REFUSAL.test(String(err?.message ?? err))) {
      throw unavailable("csp", `could not compile rekindle's wasm${at}: the page's Content-Security-Policy does not ` +
        "allow WebAssembly; add 'wasm-unsafe-eval' to script-src (not 'unsafe-eval', which would also allow eval() " +
        "of any string)", err);
    }
    const type = module instanceof Response ? `, content-type ${module.headers.get("content-type") ?? "none"}` : "";
    const what = where === null ? "the module passed to init({ module })" : `the file${at}${type}`;
    throw unavailable("compile", `could not compile rekindle's wasm: ${what} is not the package's ` +
      `gen/web/rekindle_wasm_bg.wasm (${clip(err)})`, err);
  }
}

/** A browser's error text, cut to a readable length. */
function clip(err) {
  const text = String(err?.message ?? err);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** @internal for the package's sibling files (keys.js): the generated module and the instance generation. */
export const internals = { gen: () => gen, generation: () => generation };

/** @internal `contact[INNER](fn)` runs `fn` with the generated Contact, with the disposal checks. */
export const INNER = Symbol("rekindle.inner");

/**
 * @internal `engine[OPENS](fn)` runs `fn` with the generated Engine; `fn` returns `{ contact, … }` with a generated
 * Contact, handed back wrapped as this Engine's `Contact` (keys.openContact).
 */
export const OPENS = Symbol("rekindle.opens");

/** rekindle's version, as compiled into the wasm. Throws E_NOT_INITIALIZED before init(). */
export function version() {
  return call(() => gen.version());
}

const ARTICLE = { string: "a string", boolean: "a boolean", bigint: "a BigInt", symbol: "a symbol", function: "a function" };

/**
 * @internal What a wrong argument is, for "got …" messages, with the fix where there is a usual one: a Date and
 * an ArrayBuffer are the common near misses (epoch ms and a Uint8Array are what rekindle takes).
 */
export function describe(value) {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date (pass date.getTime())";
  if (value instanceof ArrayBuffer) return "an ArrayBuffer: pass new Uint8Array(buffer)";
  if (typeof value === "number") return Number.isFinite(value) ? `the number ${value}` : String(value);
  return ARTICLE[typeof value] ?? "an object";
}

export function inputError(path, reason) {
  return new RekindleError("E_INPUT_INVALID", `${path}: ${reason}`, { path });
}

/**
 * @internal The object argument at `path` (an options or input object), or E_INPUT_INVALID naming what came
 * instead: destructuring a missing argument would throw a bare TypeError, which the README promises never
 * happens. `optional`: undefined reads as {}.
 */
export function objectArg(value, path, example, { optional = false } = {}) {
  if (value === undefined && optional) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw inputError(path, `expected an object like ${example}, got ${describe(value)}`);
  }
  return value;
}

/** Events as the tape the wasm reads; what JSON cannot hold is E_INPUT_INVALID at its path. */
const eventsTape = (events) => encodeEvents(events, "events", inputError);

/** Maps whatever the generated module threw to a RekindleError. */
function translate(err) {
  if (err instanceof RekindleError) return err;
  if (err instanceof Error && err.name === "RekindleError" && typeof err.code === "string") {
    Object.setPrototypeOf(err, RekindleError.prototype);
    return err;
  }
  // Anything else escaped from inside the wasm (a trap, a stack overflow): its memory may be inconsistent,
  // so replace the instance. Every handle made before this point now throws E_DISPOSED.
  generation += 1;
  try {
    gen.__wbg_reset_state();
  } catch (resetErr) {
    broken = resetErr;
  }
  const what = err instanceof WebAssembly.RuntimeError ? `trapped (${err.message})` : `failed (${err?.message ?? err})`;
  return new RekindleError(
    "E_INTERNAL",
    `rekindle's wasm ${what}; this is a bug. The module was re-instantiated and existing engines are disposed.`,
    { cause: err },
  );
}

/** Runs `fn` against the generated module with the initialisation check and error mapping. */
export function call(fn) {
  if (!ready) {
    throw new RekindleError("E_NOT_INITIALIZED", "rekindle is not initialised: await init() first");
  }
  if (broken !== null) {
    throw new RekindleError("E_INTERNAL", `rekindle's wasm could not be re-instantiated: ${broken.message}`, {
      cause: broken,
    });
  }
  try {
    return fn();
  } catch (err) {
    throw translate(err);
  }
}

function stateArg(state, { optional }) {
  if (optional && (state === null || state === undefined)) return undefined;
  if (state instanceof Uint8Array) return state;
  const expected = optional ? "a Uint8Array from fold(), or null" : "a Uint8Array from fold()";
  // A plain object here is nearly always a state that went through JSON (a cookie, a KV value): say so.
  const plain = describe(state) === "an object" && Object.getPrototypeOf(state) === Object.prototype;
  const hint = plain ? " (a state must be the Uint8Array from fold() or toBytes(); JSON.stringify does not keep it)" : "";
  throw inputError("state", `expected ${expected}, got ${describe(state)}${hint}`);
}

function nowArg(options) {
  if (options === undefined) return Date.now();
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw inputError("options", `expected an options object like { now }, got ${describe(options)}`);
  }
  for (const key in options) {
    if (key !== "now" && Object.hasOwn(options, key)) {
      throw inputError(`options.${key}`, "unknown option; the only option is now");
    }
  }
  const { now } = options;
  if (now === undefined) return Date.now();
  if (typeof now !== "number" || !Number.isSafeInteger(now)) {
    throw inputError("options.now", `expected whole epoch milliseconds like Date.now(), got ${describe(now)}`);
  }
  return now;
}

const dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");

/** A compiled playbook's bytes (`rekindle compile`, `compilePlaybook`) as a Uint8Array, or null for any other value. */
function compiledArg(playbook) {
  if (playbook instanceof Uint8Array) return playbook;
  if (playbook instanceof ArrayBuffer) return new Uint8Array(playbook);
  if (ArrayBuffer.isView(playbook)) return new Uint8Array(playbook.buffer, playbook.byteOffset, playbook.byteLength);
  return null;
}

/**
 * A playbook (object or JSON text) compiled to the bytes `new Engine(bytes)` reads in every build — the browser and
 * edge builds read only these. Throws E_PLAYBOOK_INVALID listing every problem, like `new Engine(playbook)`.
 */
export function compilePlaybook(playbook) {
  if (typeof gen.compilePlaybook !== "function") {
    throw new RekindleError("E_PLAYBOOK_INVALID", "invalid playbook: this build does not compile playbooks: use the Node build (import from \"rekindle\" in Node) or `rekindle compile`", {
      path: "",
      details: { problems: [{ path: "", code: "bad_compiled", message: "this build does not compile playbooks" }] },
    });
  }
  const value = playbookValue(playbook);
  return call(() => gen.compilePlaybook(encodeTape(value, "playbook", inputError)));
}

/** A playbook given as JSON text parsed (refused as E_PLAYBOOK_INVALID when it is not JSON), else as given. */
function playbookValue(playbook) {
  if (typeof playbook !== "string") return playbook;
  try {
    return JSON.parse(playbook);
  } catch (err) {
    const message = `expected a JSON object, got text that is not JSON (${err.message})`;
    throw new RekindleError("E_PLAYBOOK_INVALID", `invalid playbook: ${message}`, {
      path: "",
      details: { problems: [{ path: "", code: "wrong_type", message }] },
    });
  }
}

/** A compiled playbook. Build one per page or isolate and evaluate many contacts with it. */
export class Engine {
  #inner = null;
  #generation = -1;

  constructor(playbook) {
    const compiled = compiledArg(playbook);
    if (compiled !== null) {
      this.#inner = call(() => new gen.Engine(compiled, true));
      this.#generation = generation;
      this.#memberships = new Memberships(call(() => this.#inner.segmentIds()));
      return;
    }
    const value = playbookValue(playbook);
    this.#inner = call(() => new gen.Engine(encodeTape(value, "playbook", inputError), false));
    this.#generation = generation;
    this.#memberships = new Memberships(call(() => this.#inner.segmentIds()));
  }

  #memberships = null;

  #use(fn) {
    return call(() => {
      if (this.#inner === null || this.#generation !== generation) {
        throw new RekindleError("E_DISPOSED", "this Engine was freed (or lost to a wasm restart); create a new one");
      }
      return fn(this.#inner);
    });
  }

  /** Folds events into a state (null for a new contact); returns the new state bytes. */
  fold(state, events) {
    const bytes = stateArg(state, { optional: true });
    return this.#use((inner) => inner.fold(bytes, eventsTape(events)));
  }

  /** The decision for a state at `options.now` (default Date.now()). */
  decide(state, options) {
    const bytes = stateArg(state, { optional: true });
    const now = nowArg(options);
    return this.#use((inner) => inner.decide(bytes, now));
  }

  /** Only the call to action at `options.now` (decide's `cta`, same choice), or null: the cheap call per page. */
  cta(state, options) {
    const bytes = stateArg(state, { optional: true });
    const now = nowArg(options);
    return this.#use((inner) => inner.cta(bytes, now));
  }

  /**
   * Folds events like fold() and also reports the segments the contact entered or exited while they were
   * applied: `{ state, deltas: [{ segment, change: "entered" | "exited", at }] }`.
   */
  update(state, events) {
    const bytes = stateArg(state, { optional: true });
    return this.#use((inner) => inner.update(bytes, eventsTape(events)));
  }

  /** The playbook's topics for a preference center: `{ topics: [{ id, label }], optIn }` (D27). */
  topics() {
    return this.#use((inner) => inner.topics());
  }

  /**
   * Segment memberships only, at `options.now` (default Date.now()): `{ [segmentId]: true | false | null }`,
   * null when the condition cannot be decided. Cheaper than decide(): no reasons, no next flips.
   */
  segments(state, options) {
    const bytes = stateArg(state, { optional: true });
    const now = nowArg(options);
    return this.#memberships.of(this.#use((inner) => inner.segmentCodes(bytes, now)), 0);
  }

  /**
   * Opens one contact held in wasm memory (null for a new one). Folding and deciding on it skip decoding and
   * encoding the state bytes on every call: the fast path for per-event work. Free it (or `using`) when done.
   */
  contact(state) {
    const bytes = stateArg(state, { optional: true });
    const inner = this.#use((engine) => engine.contact(bytes));
    return new Contact(inner, generation, this.#memberships);
  }

  [OPENS](fn) {
    const opened = this.#use(fn);
    opened.contact = new Contact(opened.contact, generation, this.#memberships);
    return opened;
  }

  /** decide(fold(null, events), options) in one call. */
  evaluate(events, options) {
    const now = nowArg(options);
    return this.#use((inner) => inner.evaluate(eventsTape(events), now));
  }

  /** A readable view of a state, for debugging and the demo. */
  inspect(state) {
    const bytes = stateArg(state, { optional: false });
    return this.#use((inner) => inner.inspect(bytes));
  }

  /** Releases the wasm memory. Idempotent; afterwards every method throws E_DISPOSED. */
  free() {
    const inner = this.#inner;
    this.#inner = null;
    // A handle from a replaced instance points into memory that no longer exists: drop it, never free it.
    if (inner !== null && this.#generation === generation && ready) inner.free();
  }

  [dispose]() {
    this.free();
  }
}

/** How many membership objects an engine keeps to copy from (one per distinct set of answers seen). */
const MEMBERSHIPS_KEPT = 1024;

/**
 * One engine's segment codes (0 out, 1 in, 2 unknown, in `segmentIds()` order) as
 * `{ [segmentId]: true | false | null }`. A contact's answers change rarely from one event to the next and an engine
 * sees few distinct sets of them, so the first object built for each set is kept and every later result is a copy
 * of it (`{ ...kept }`: one allocation of a known shape, measured 3-4x faster than storing the keys one by one).
 * The set is the codes read as a base-3 number, exact up to 33 segments (3^33 < 2^53); more segments, or more than
 * MEMBERSHIPS_KEPT sets, are built key by key. The caller always gets a fresh object of its own.
 */
class Memberships {
  #ids;
  #kept = new Map();

  constructor(ids) {
    this.#ids = ids;
  }

  /** The memberships for the codes from `codes[at]` on. */
  of(codes, at) {
    const ids = this.#ids;
    if (ids.length > 33) return this.#build(codes, at);
    let set = 0;
    for (let i = 0; i < ids.length; i++) set = set * 3 + codes[at + i];
    const kept = this.#kept.get(set);
    if (kept !== undefined) return { ...kept };
    const built = this.#build(codes, at);
    if (this.#kept.size < MEMBERSHIPS_KEPT) this.#kept.set(set, { ...built });
    return built;
  }

  #build(codes, at) {
    const ids = this.#ids;
    const out = {};
    for (let i = 0; i < ids.length; i++) {
      const code = codes[at + i];
      out[ids[i]] = code === 2 ? null : code === 1;
    }
    return out;
  }
}

let memoryView = null; // bytes of the module's linear memory: renewed when it grows (the old view empties)
let memoryData = null; // the same memory as a DataView, for the event encoder's numbers
let memoryGeneration = -1;

/** The module's linear memory as bytes, for the exchange buffer (crates/wasm/src/exchange.rs). */
function memoryBytes() {
  if (memoryView === null || memoryView.length === 0 || memoryGeneration !== generation) {
    memoryView = new Uint8Array(gen.linearMemory().buffer);
    memoryData = new DataView(memoryView.buffer);
    memoryGeneration = generation;
  }
  return memoryView;
}

/** `foldExchange`'s result bits (crates/wasm/src/contact.rs): the events were folded; the buffer was given back. */
const FOLDED = 1;
const RELEASED = 2;
/** The least exchange room asked for: a per-event tape is under 200 bytes, so the first request nearly always lasts. */
const MIN_TAPE_ROOM = 512;

/** One contact's state in wasm memory, opened with `engine.contact(state)`. */
export class Contact {
  #inner;
  #generation;
  #memberships;
  /** Where this contact's exchange buffer for event tapes is (crates/wasm/src/exchange.rs), and its size. */
  #tapeAt = 0;
  #tapeRoom = 0;

  /** @internal use `engine.contact(state)` */
  constructor(inner, at, memberships) {
    this.#inner = inner;
    this.#generation = at;
    this.#memberships = memberships;
  }

  /**
   * The live handle. The per-event methods (fold, segments) take it without `#use`'s closure: 0.06–0.08 µs of a
   * 1.6–2.4 µs fold + segments per event (measured). Before init, or after a failed restart, it throws what `call`
   * throws.
   */
  #live() {
    if (!ready || broken !== null) return call(() => null);
    if (this.#inner === null || this.#generation !== generation) {
      throw new RekindleError("E_DISPOSED", "this Contact was freed (or lost to a wasm restart); open it again");
    }
    return this.#inner;
  }

  #use(fn) {
    return call(() => fn(this.#live()));
  }

  [INNER](fn) {
    return this.#use(fn);
  }

  /** Folds events into the contact. */
  fold(events) {
    const inner = this.#live();
    try {
      // The tape is encoded straight into the exchange buffer, whose address is kept until it is too small or the
      // wasm gave it back (a call per event fewer); a tape the wasm refuses goes the ordinary way for its error.
      const target = memoryBytes();
      let length = encodeEventsInto(target, memoryData, this.#tapeAt, this.#tapeRoom, events, "events", inputError);
      // Only a getter on an event that calls into the wasm can grow the memory while encoding: what it wrote went
      // with the old view, so it is encoded again, into the encoder's own buffer.
      if (length >= 0 && target !== memoryBytes()) length = ~encodeEventsLength(events, "events", inputError);
      if (length < 0) {
        // It did not fit (or was encoded again): it is in the encoder's buffer, to copy into the exchange buffer.
        length = ~length;
        if (length > this.#tapeRoom) {
          const room = Math.max(length, MIN_TAPE_ROOM);
          this.#tapeAt = inner.exchange(room); // may grow the memory: take the view after it
          this.#tapeRoom = room;
        }
        copyTape(memoryBytes(), this.#tapeAt, length);
      }
      const done = inner.foldExchange(length);
      if (done & RELEASED) this.#tapeRoom = 0;
      if (!(done & FOLDED)) inner.fold(eventsTape(events));
    } catch (err) {
      throw translate(err);
    }
  }

  /** Folds events and returns the segments entered or exited: `[{ segment, change, at }]`. */
  update(events) {
    return this.#use((inner) => inner.update(eventsTape(events)));
  }

  /** The decision at `options.now` (default Date.now()). */
  decide(options) {
    const now = nowArg(options);
    return this.#use((inner) => inner.decide(now));
  }

  /** Only the call to action at `options.now` (decide's `cta`, same choice), or null. */
  cta(options) {
    const now = nowArg(options);
    return this.#use((inner) => inner.cta(now));
  }

  /** Segment memberships only: `{ [segmentId]: true | false | null }`. */
  segments(options) {
    const now = nowArg(options);
    const inner = this.#live();
    try {
      const at = inner.segmentCodesExchange(now);
      return at === 0 ? this.#memberships.of(inner.segmentCodes(now), 0) : this.#memberships.of(memoryBytes(), at);
    } catch (err) {
      throw translate(err);
    }
  }

  /** The state's compact bytes, to store (cookie, localStorage, database). */
  toBytes() {
    return this.#use((inner) => inner.toBytes());
  }

  /**
   * Whether the state differs from the bytes the contact was opened from (a new contact's: an empty state), so
   * whether a cookie or stored copy needs writing again; one encoding in wasm, nothing copied out.
   */
  changed() {
    return this.#use((inner) => inner.changed());
  }

  /** The latest event folded (epoch ms), or null for a contact nothing is known about. */
  updatedAt() {
    return this.#use((inner) => inner.updatedAt()) ?? null;
  }

  /** A readable view of the state. */
  inspect() {
    return this.#use((inner) => inner.inspect());
  }

  /** Releases the wasm memory. Idempotent; afterwards every method throws E_DISPOSED. */
  free() {
    const inner = this.#inner;
    this.#inner = null;
    if (inner !== null && this.#generation === generation && ready) inner.free();
  }

  [dispose]() {
    this.free();
  }
}
