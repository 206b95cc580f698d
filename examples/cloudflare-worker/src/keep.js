// "Keep me subscribed": the break-up email's button (D8: a break-up message, then archive unless the contact
// clicks or replies within 48-72 h), for a contact named by a signed `keep` token (`?t=`, docs/tokens.md).
//
//   GET  /keep?t=…   a confirmation page with a button; never acts by itself (mail scanners and prefetchers follow
//                    every link in a message, and a scanner must not keep someone who said nothing)
//   POST /keep?t=…   body keep=yes (the page's form) → 200, the wish recorded as a `subscribe` of email
//
// Why `subscribe`: the contact's explicit wish to stay must do two things in the core. It is engagement, so a
// contact in cooling, cold, soft reactivation or break-up is active again (lifecycle.rs), and it is an explicit
// opt-in, so a contact already archived comes back too (DESIGN §7: only a form, a resubscribe, a purchase or a
// reply brings an archived contact back; a click or a visit does not). `subscribe` is the one kind that is both
// and that a person makes by choosing to receive email; it also lifts an earlier unsubscribe of email (the contact
// asks for email now), never a hard bounce or a complaint (suppression.rs: permanent). `source: "keep_me"` tells it
// from a preference-center resubscribe in the export. It is written to the contact's KV log like every other
// choice (log.js), so GET /api/events carries it to `rekindle plan --events`.
import { keepDonePage, keepPage } from "./pages.js";
import { MAX_BODY_BYTES, readCapped, tooLarge } from "./body.js";
import { appendEvents, compact, readLog } from "./log.js";
import { eventsOf, html, idMaker, merged, verify } from "./preferences.js";

const text = (status, body) =>
  new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });

/** The form's `keep` field, read under the body cap: "yes", null, or `{ tooLarge: true }`. */
async function keepValue(request) {
  const type = (request.headers.get("content-type") ?? "").toLowerCase(); // media types match in any case (RFC 9110)
  if (!type.includes("application/x-www-form-urlencoded")) return null;
  const body = await readCapped(request, MAX_BODY_BYTES);
  if (body === null) return { tooLarge: true };
  return new URLSearchParams(body).get("keep");
}

/** The events a "keep me" click records for the contact at `now`. */
export const keepEvents = (now, nextId = idMaker("keep", now)) =>
  [{ id: nextId(), at: now, kind: "subscribe", props: { channel: "email", source: "keep_me" } }];

export async function keep(request, env, { keys, now }) {
  const verified = verify(request, keys, "keep", now, false);
  if (verified.response) return verified.response;
  const { contact } = verified.token;
  if (request.method === "GET") return html(200, keepPage());
  const value = await keepValue(request);
  if (value?.tooLarge) return text(413, tooLarge(MAX_BODY_BYTES));
  if (value !== "yes") return text(400, "expected the form body keep=yes (the button on this page)");
  const written = await appendEvents(env.PREFERENCES, contact, keepEvents(now));
  try {
    await compact(env.PREFERENCES, merged(await readLog(env.PREFERENCES, contact), written));
  } catch (error) {
    console.warn(`rekindle: compaction after a keep-me skipped: ${error.message}`);
  }
  return (request.headers.get("accept") ?? "").includes("text/html") ? html(200, keepDonePage()) : text(200, "kept");
}
