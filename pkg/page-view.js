// One page view, as the browser tracker and the edge Worker both record it (D18, D43): the URL and referrer
// without query strings or fragments (they can carry personal data), the path, the title, UTM parameters, and
// on the first view of a visit the seconds since the previous one.
import { describe, inputError, objectArg } from "./facade.js";

const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
/** Inactivity that starts a new visit (Snowplow's and GA's 30 minutes). */
export const SESSION_GAP_MS = 30 * 60_000;

/**
 * `https://x.test/a?b#c` → `https://x.test/a`; null when it is not a URL or names no host. A URL of a scheme the
 * URL standard gives no origin keeps its scheme and host too: Chrome on Android sends a link opened from an app with
 * the referrer `android-app://com.google.android.gm/` (Gmail), whose `origin` is the string "null".
 */
export function stripQuery(url) {
  try {
    const u = new URL(url);
    if (u.origin !== "null") return `${u.origin}${u.pathname}`;
    if (u.host === "") return null;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return null;
  }
}

/** `url` parsed; E_INPUT_INVALID for a relative or unparsable one (`new URL` would throw a bare TypeError). */
function absoluteUrl(url) {
  const example = 'an absolute URL like "https://example.com/pricing" (a string or URL)';
  if (typeof url !== "string") throw inputError("input.url", `expected ${example}, got ${describe(url)}`);
  try {
    return new URL(url);
  } catch {
    throw inputError("input.url", `expected ${example}, got ${JSON.stringify(url.slice(0, 80))}`);
  }
}

/**
 * The props of a `page_view`: `url` (a URL string or URL), `path` (default: the URL's path), `title`, `referrer`,
 * and `lastSeen` / `now` (default: Date.now(), as decide's) / `gap` for `since_last_visit`.
 */
export function pageViewProps(input) {
  const { url, path, title, referrer, lastSeen = null, now = Date.now(), gap = SESSION_GAP_MS } =
    objectArg(input, "input", "{ url, referrer, lastSeen, now }");
  // One parse of the URL (a URL object is only read, never changed); its query is read only when it has one.
  const u = url instanceof URL ? url : absoluteUrl(url);
  const props = { url: `${u.origin}${u.pathname}`, path: String(path ?? u.pathname).slice(0, 512) };
  if (title) props.title = String(title).slice(0, 200);
  const from = referrer ? stripQuery(referrer) : null;
  if (from) props.referrer = from;
  if (u.search) {
    const query = u.searchParams;
    for (const name of UTM) {
      const value = query.get(name);
      if (value) props[name] = value.slice(0, 200);
    }
  }
  if (typeof lastSeen === "number" && now - lastSeen >= gap) props.since_last_visit = Math.round((now - lastSeen) / 1000);
  return props;
}
