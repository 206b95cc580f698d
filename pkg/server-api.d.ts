// Types of what the Node and workerd entries add for servers: signing (Keys) of state cookies and unsubscribe /
// preference-center tokens. Re-exported by node.d.ts and workerd.d.ts, never by browser.d.ts.
import type { Contact, Engine } from "./index.js";

// ---------------------------------------------------------------------------------------------------------
// Node and workerd entries only (a page must never hold a key)

/** Why a cookie was refused; treat every reason as a new visitor. */
export type CookieRefusal = "too_long" | "malformed" | "unknown_key" | "bad_signature" | "expired" | "payload";
/** Why a token was refused; answer every reason with the same "invalid or expired link" page. */
export type TokenRefusal = "too_long" | "malformed" | "unknown_key" | "bad_signature" | "expired" | "not_yet_valid" | "wrong_purpose";
/** unsubscribe: RFC 8058 one-click; preferences: the preference center; keep: the break-up email's "keep me subscribed". */
export type TokenPurpose = "unsubscribe" | "preferences" | "keep";

/** What a verified token vouches for (docs/tokens.md). */
export interface TokenClaims {
  purpose: TokenPurpose;
  /** The contact, preferably an opaque ESP id (the token is signed, not encrypted). */
  contact: string;
  /** The list or topic it is scoped to; null for every list. */
  topic: string | null;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Node and workerd entries only: keys by key id from `kid:hexkey` lines (a Worker secret, the CLI's key file).
 * The last key signs, every key verifies: rotate by appending. Cookies (`c1.…`) and tokens (`v1.…`) are signed
 * with HMAC-SHA256 and checked in constant time in the core; a cookie can never pass as a token.
 *
 * @example
 * const keys = new Keys(env.REKINDLE_KEYS);
 * const { contact, opened, reason } = keys.openContact(engine, cookieValue ?? null, { now: Date.now() });
 * @throws {RekindleError} E_INPUT_INVALID naming the line of a malformed key.
 */
export declare class Keys {
  constructor(text: string);
  /** Key ids, oldest first; the last one signs. */
  ids(): string[];
  /**
   * A cookie value for a contact's state, signed with the newest key, valid until `expiresAt`.
   * @throws {RekindleError} E_SIGNATURE_INVALID when the state is too large for a cookie (over 3800 bytes).
   * @throws {RekindleError} E_INPUT_INVALID when `options` is missing or `options.expiresAt` is not whole epoch ms.
   */
  sealState(state: Contact | Uint8Array, options: { expiresAt: number }): string;
  /**
   * A cookie opened straight into a Contact of `engine` (the state never crosses to JS as bytes); a new
   * visitor's contact when `text` is null (no cookie) or the cookie is refused. Never throws for hostile text.
   */
  openContact(engine: Engine, text: string | null | undefined, options?: { now?: number }):
    | { contact: Contact; opened: true }
    | { contact: Contact; opened: false; reason?: CookieRefusal; message?: string };
  /** The state a cookie carries, or why not (never throws for hostile text). */
  openState(text: string, options?: { now?: number }):
    | { ok: true; state: Uint8Array }
    | { ok: false; reason: CookieRefusal; message: string };
  /** A token signed with the newest key. */
  signToken(token: { purpose: TokenPurpose; contact: string; topic?: string | null; issuedAt: number; expiresAt: number }): string;
  /** What a token vouches for, or why not (never throws for hostile text). */
  verifyToken(text: string, options: { purpose: TokenPurpose; now?: number }):
    | { ok: true; token: TokenClaims }
    | { ok: false; reason: TokenRefusal; message: string };
  /** Releases the wasm memory; idempotent. */
  free(): void;
  [Symbol.dispose](): void;
}
