// The visitor's signed state cookie (D44): opened into a Contact at the start of a request, sealed again at the end
// only when it has to be — the state changed, or the cookie is past half its life — so an unchanged visitor's
// response carries no Set-Cookie (the issue: "rewritten only when it changes"). A cookie that does not open
// (tampered, truncated, oversized, expired, unknown key or version) is a new visitor, counted by reason.
import { COOKIE } from "./site.js";

const DAY = 86_400_000;
const MAX_AGE_MS = COOKIE.maxAgeDays * DAY;

/** Per isolate: cookies opened, new visitors, refusals by reason, states too large to seal. */
export const cookieStats = { opened: 0, fresh: 0, refused: {}, notSealed: 0 };

/**
 * The value of cookie `name` in a Cookie header, or null. A value sent as a quoted string (`name="value"`, which RFC
 * 6265 §4.1.1 allows and some frameworks write) is the text inside the quotes, as the `cookie` package and Go read it.
 */
export function readCookie(header, name) {
  return readCookies(header, name)[0] ?? null;
}

/**
 * Every value of cookie `name` in a Cookie header, in the order sent (unquoted as readCookie). A browser sends two
 * cookies of one name when they differ in Domain or Path (RFC 6265 §5.4: the longer path first, else the older).
 */
export function readCookies(header, name) {
  const values = [];
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    values.push(value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  return values;
}

/**
 * When an opened cookie expires (epoch ms). Read from the envelope core::cookie documents — `c1.<kid>.<payload>.<tag>`,
 * payload = version (1 byte) ‖ expires_at (i64 big-endian) ‖ state — and only after the core verified its signature,
 * because openContact answers the state and not the expiry; null if the text is not that shape.
 */
export function cookieExpiresAt(raw) {
  const payload = raw.split(".")[2];
  if (payload === undefined) return null;
  let binary;
  try {
    binary = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  if (binary.length < 9) return null;
  const bytes = Uint8Array.from(binary.slice(1, 9), (c) => c.charCodeAt(0));
  return Number(new DataView(bytes.buffer).getBigInt64(0));
}

/**
 * The visitor's contact from the cookie — a new visitor's when there is none or it is refused (counted) — and when
 * the cookie expires. The contact keeps the state bytes it was opened from, so `sealIfChanged` asks it
 * (`contact.changed()`) whether the request changed anything. Free `contact` when done.
 */
export function openCookie(request, engine, keys, now) {
  const raw = readCookie(request.headers.get("cookie"), COOKIE.name);
  const { contact, opened, reason } = keys.openContact(engine, raw, { now });
  if (opened) cookieStats.opened += 1;
  else if (reason === undefined) cookieStats.fresh += 1;
  else cookieStats.refused[reason] = (cookieStats.refused[reason] ?? 0) + 1;
  return { contact, expiresAt: opened ? cookieExpiresAt(raw) : null };
}

/**
 * A new visitor's contact, without reading the state cookie (the visitor has not consented to it): the request is
 * classified from itself alone, and `sealIfChanged` is never called on it. Free `contact` when done.
 */
export function freshContact(engine, keys, now) {
  const { contact } = keys.openContact(engine, null, { now });
  return { contact, expiresAt: null };
}

/** Whether the request carries a state cookie (whatever its content). */
export const hasStateCookie = (request) => readCookie(request.headers.get("cookie"), COOKIE.name) !== null;

/** The Set-Cookie value that deletes the state cookie: same name and attributes, no value, Max-Age=0. */
export const DELETE_STATE_COOKIE = `${COOKIE.name}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`;

/**
 * The Set-Cookie value for the contact after this request, or null when none is needed: the state is what the cookie
 * already holds and the cookie has more than half its life left (a new visitor with nothing folded gets none either).
 * A state too large for a cookie keeps the old one (counted) rather than write one browsers drop.
 */
export function sealIfChanged(opened, keys, now) {
  const changed = opened.contact.changed();
  const ageing = opened.expiresAt !== null && opened.expiresAt - now < MAX_AGE_MS / 2;
  if (!changed && !ageing) return null;
  let sealed;
  try {
    sealed = keys.sealState(opened.contact, { expiresAt: now + MAX_AGE_MS });
  } catch (error) {
    if (error?.code !== "E_SIGNATURE_INVALID") throw error; // a wasm failure is the caller's to recover from
    cookieStats.notSealed += 1;
    return null;
  }
  return `${COOKIE.name}=${sealed}; Path=/; Max-Age=${COOKIE.maxAgeDays * 86_400}; Secure; HttpOnly; SameSite=Lax`;
}
