// The consent gate for the state cookie `__Host-rk`. The cookie remembers a visitor's history for 180 days, which
// needs consent (ePrivacy art. 5(3) for storing it, GDPR for the profile in it), so it is written only when:
//
//   Sec-GPC: 1 (Global Privacy Control)   never: no state cookie is read or written, an existing one is deleted
//   CONSENT_REQUIRED = "false"            always (the operator's explicit choice: a site whose consent is handled
//                                         elsewhere, or where none is needed); GPC still wins
//   CONSENT_COOKIE = "name=value"         when the site's consent cookie `name` holds `value` (accepted); another
//                                         value is a refusal and deletes the state cookie (so are two such cookies
//                                         that disagree); no cookie: not asked yet
//   neither                               never (privacy first: no signal, no cookie)
//
// Without consent the page is still classified and its CTA injected, from this request alone (a new visitor plus
// this page view), and nothing about the visitor is stored or read from a state cookie.
import { readCookies } from "./cookie.js";

/** Per isolate: requests by consent outcome, for /api/health. */
export const consentStats = { granted: 0, unknown: 0, declined: 0, gpc: 0 };

/**
 * The configured gate, parsed from the vars: `{ mode: "cookie", name, accepted }`, `{ mode: "not-required" }` or
 * `{ mode: "none" }`, with `problem` when a var is set but unusable (then the gate stays closed: mode "none").
 */
export function consentConfig(env) {
  const required = env.CONSENT_REQUIRED;
  if (required !== undefined && required !== "true" && required !== "false") {
    const got = JSON.stringify(String(required).slice(0, 40));
    return { mode: "none", problem: `CONSENT_REQUIRED must be "true" or "false", got ${got}; no state cookie is written` };
  }
  if (required === "false") return { mode: "not-required" };
  const spec = env.CONSENT_COOKIE;
  if (spec === undefined || spec === "") return { mode: "none" };
  const eq = typeof spec === "string" ? spec.indexOf("=") : -1;
  const name = eq > 0 ? spec.slice(0, eq).trim() : "";
  const accepted = eq > 0 ? spec.slice(eq + 1).trim() : "";
  if (name === "" || accepted === "" || /[\s;,]/.test(name)) {
    const got = JSON.stringify(String(spec).slice(0, 40));
    return { mode: "none", problem: `CONSENT_COOKIE must be "<cookie name>=<accepted value>" (e.g. "cookie_consent=yes"), ` +
      `got ${got}; no state cookie is written` };
  }
  return { mode: "cookie", name, accepted };
}

/**
 * This request's consent to the state cookie: "granted" (read and write it), "unknown" (neither: not asked yet, or
 * no consent signal configured) or "declined" (neither, and delete one the browser still sends). Counted.
 */
export function stateConsent(request, env) {
  const outcome = decide(request, consentConfig(env));
  consentStats[outcome === "declined" && request.headers.get("sec-gpc") === "1" ? "gpc" : outcome] += 1;
  return outcome;
}

function decide(request, config) {
  if (request.headers.get("sec-gpc") === "1") return "declined";
  if (config.mode === "not-required") return "granted";
  if (config.mode === "none") return "unknown";
  // Two consent cookies of the name (one on the domain, one on the host, from two banner versions) that disagree are
  // no consent: which one is the visitor's latest word cannot be told from the header, so the refusal wins.
  const values = readCookies(request.headers.get("cookie"), config.name);
  if (values.length === 0) return "unknown";
  return values.every((value) => decodeValue(value) === config.accepted) ? "granted" : "declined";
}

/** A cookie value as the site's script wrote it: percent-decoded when it is valid percent-encoding. */
function decodeValue(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
