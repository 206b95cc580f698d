// Keys (Node and workerd entries only — a page must never hold a key): signed state cookies and unsubscribe /
// preference-center / keep-me tokens, both verified in the core (constant time, D44, RFC 8058). Hostile input is expected
// at the edge, so openState / verifyToken answer `{ ok: false, reason }` instead of throwing.
import { Contact, Engine, INNER, OPENS, RekindleError, call, describe, inputError, internals } from "./facade.js";

const dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");
const PURPOSES = ["unsubscribe", "preferences", "keep"];

function instantArg(value, path) {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  throw inputError(path, "expected whole epoch milliseconds like Date.now()");
}

function optionsArg(options, allowed, path = "options") {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw inputError(path, `expected an object like { ${allowed.join(", ")} }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw inputError(`${path}.${key}`, `unknown option; expected ${allowed.join(", ")}`);
  }
  return options;
}

function purposeArg(purpose, path) {
  if (PURPOSES.includes(purpose)) return purpose;
  throw inputError(path, `expected "unsubscribe", "preferences" or "keep"`);
}

/**
 * Keys by key id from `kid:hexkey` lines (a Worker secret, the CLI's key file); the last line signs, every line
 * verifies, so keys rotate by appending.
 */
export class Keys {
  #inner = null;
  #generation = -1;

  constructor(text) {
    if (typeof text !== "string") throw inputError("keys", "expected the text of kid:hexkey lines");
    const gen = internals.gen();
    this.#inner = call(() => new gen.Keys(text));
    this.#generation = internals.generation();
  }

  #use(fn) {
    return call(() => {
      if (this.#inner === null || this.#generation !== internals.generation()) {
        throw new RekindleError("E_DISPOSED", "these Keys were freed (or lost to a wasm restart); create them again");
      }
      return fn(this.#inner);
    });
  }

  /** The key ids, oldest first; the last one signs. */
  ids() {
    return this.#use((inner) => inner.ids());
  }

  /**
   * A cookie value for a contact's state (a `Contact` or state bytes), signed with the newest key, valid until
   * `expiresAt`. Throws E_SIGNATURE_INVALID when the state is too large for a cookie.
   */
  sealState(state, options) {
    const until = instantArg(optionsArg(options, ["expiresAt"]).expiresAt, "options.expiresAt");
    if (state instanceof Contact) return state[INNER]((contact) => this.#use((inner) => inner.sealState(contact, until)));
    if (!(state instanceof Uint8Array)) throw inputError("state", "expected a Contact or state bytes");
    return this.#use((inner) => inner.sealBytes(state, until));
  }

  /**
   * The state a cookie carries: `{ ok: true, state }` (bytes), or `{ ok: false, reason, message }` with reason
   * one of too_long, malformed, unknown_key, bad_signature, expired, payload. Treat a refusal as a new visitor.
   */
  openState(text, options = {}) {
    const { now = Date.now() } = optionsArg(options, ["now"]);
    if (typeof text !== "string") return { ok: false, reason: "malformed", message: "expected the cookie's text" };
    return this.#use((inner) => inner.openState(text, instantArg(now, "options.now")));
  }

  /**
   * A cookie opened straight into a `Contact` read with `engine`'s playbook — the per-page path at the edge: the
   * state stays in wasm memory instead of crossing to JS as bytes and being decoded again. Answers
   * `{ contact, opened: true }`, or `{ contact, opened: false }` with a new visitor's contact when `text` is null
   * or undefined (no cookie), or `{ contact, opened: false, reason, message }` when the cookie is refused (reasons
   * as openState's). Never throws for hostile text. Free the contact when done.
   */
  openContact(engine, text, options = {}) {
    const { now = Date.now() } = optionsArg(options, ["now"]);
    if (!(engine instanceof Engine)) throw inputError("engine", "expected an Engine");
    const at = instantArg(now, "options.now");
    if (text !== null && text !== undefined && typeof text !== "string") {
      return { ...engine[OPENS]((inner) => ({ contact: inner.contact(undefined) })), opened: false,
        reason: "malformed", message: "expected the cookie's text" };
    }
    return engine[OPENS]((inner) => this.#use((keys) => {
      const contact = keys.openContact(inner, text ?? undefined, at);
      const refusal = keys.takeRefusal();
      if (refusal === undefined) return { contact, opened: text !== null && text !== undefined };
      return { contact, opened: false, reason: refusal[0], message: refusal[1] };
    }));
  }

  /** A token for `{ purpose, contact, topic?, issuedAt, expiresAt }`, signed with the newest key. */
  signToken(token) {
    const { purpose, contact, topic = null, issuedAt, expiresAt } =
      optionsArg(token, ["purpose", "contact", "topic", "issuedAt", "expiresAt"], "token");
    if (typeof contact !== "string") throw inputError("token.contact", "expected a string");
    if (topic !== null && typeof topic !== "string") throw inputError("token.topic", "expected a string or null");
    return this.#use((inner) => inner.signToken(purposeArg(purpose, "token.purpose"), contact, topic ?? undefined,
      instantArg(issuedAt, "token.issuedAt"), instantArg(expiresAt, "token.expiresAt")));
  }

  /**
   * `{ ok: true, token: { purpose, contact, topic, issuedAt, expiresAt } }`, or `{ ok: false, reason, message }`
   * with reason one of too_long, malformed, unknown_key, bad_signature, expired, not_yet_valid, wrong_purpose.
   */
  verifyToken(text, options) {
    const { purpose, now = Date.now() } = optionsArg(options, ["purpose", "now"]);
    const p = purposeArg(purpose, "options.purpose");
    if (typeof text !== "string") return { ok: false, reason: "malformed", message: "expected the token's text" };
    return this.#use((inner) => inner.verifyToken(text, instantArg(now, "options.now"), p));
  }

  /** Releases the wasm memory; idempotent. */
  free() {
    const inner = this.#inner;
    this.#inner = null;
    if (inner !== null && this.#generation === internals.generation()) inner.free();
  }

  [dispose]() {
    this.free();
  }
}
