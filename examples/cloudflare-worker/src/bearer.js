// The bearer secrets of the machine routes: EXPORT_TOKEN reads the preference log (GET /api/events, export.js),
// IMPORT_TOKEN writes to it (POST /api/events, ingest.js). Two secrets, each for one direction, so the sync job that
// reads the log cannot write to it: a leaked read credential discloses choices, a write credential could also
// resubscribe people. One secret never does both (ingest.js refuses an IMPORT_TOKEN equal to EXPORT_TOKEN).

/** The shortest secret accepted: `openssl rand -hex 32` gives 64 characters. */
export const MIN_TOKEN_LENGTH = 32;

/** Why the secret `name` cannot be used for `route`, or null when it is unset (the route is off) or usable. */
export function secretProblem(env, name, route) {
  const token = env[name];
  if (token === undefined) return null;
  if (typeof token !== "string" || token.length < MIN_TOKEN_LENGTH) {
    return `${name} is shorter than ${MIN_TOKEN_LENGTH} characters: ${route} is off; ` +
      `openssl rand -hex 32 | npx wrangler secret put ${name}`;
  }
  return null;
}

const utf8 = new TextEncoder();

/** Equal texts, compared in time that does not depend on where they differ (both are hashed to 32 bytes first). */
export async function sameSecret(given, expected) {
  const [a, b] = await Promise.all([given, expected].map((text) => crypto.subtle.digest("SHA-256", utf8.encode(text))));
  if (typeof crypto.subtle.timingSafeEqual === "function") return crypto.subtle.timingSafeEqual(a, b);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** Whether the request carries `Authorization: Bearer <secret>` (printable ASCII, at most 512 characters). */
export async function bearerMatches(request, secret) {
  const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(request.headers.get("authorization") ?? "");
  return match !== null && (await sameSecret(match[1], secret));
}
