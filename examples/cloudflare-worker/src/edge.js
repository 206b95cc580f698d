// Classify and inject (D44): every HTML page the origin sends is classified from the visitor's signed state cookie
// (only with consent, consent.js; without it, from this request alone) plus this request's page view, and the CTA
// the playbook picks is streamed into <rekindle-cta> with HTMLRewriter — before the page reaches the browser, so
// there is no flicker and no third-party call. A POST of one of the site's
// forms reaches the origin as it is and is folded as a `form_submit` (recordForm); anything else that is not an
// HTML GET passes through untouched. The state cookie's rules are in cookie.js.
import { pageViewProps } from "rekindle";
import { DELETE_STATE_COOKIE, freshContact, hasStateCookie, openCookie, sealIfChanged } from "./cookie.js";
import { CTA_SELECTOR, CTA_TEMPLATES } from "./site.js";

/**
 * What the origin's response says about its own bytes or about shared caches, none of it true of a page rewritten for
 * one visitor: its length, validators (a cache revalidating with them would be told 304 for a page with another
 * CTA), ranges and digests of bytes that differ, and the lifetimes CDNs obey over Cache-Control (RFC 9213
 * CDN-Cache-Control, Cloudflare-CDN-Cache-Control, Surrogate-Control), which would let a CDN keep one visitor's CTA
 * and cookie for everybody. Cache-Control itself is replaced (classify).
 */
const ORIGIN_ONLY = ["content-length", "etag", "last-modified", "accept-ranges", "content-md5", "digest", "content-digest",
  "repr-digest", "expires", "cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"];

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The origin's response for this request (the Worker sits in front of the site). The target is env.ORIGIN with this
 * request's path and query set on it, never the path resolved against it: `new URL("//evil.test/x", origin)` is
 * http://evil.test/x, which would send the visitor's cookies to another host and serve its page on this domain.
 *
 * A request for a page (asksForPage) goes without If-None-Match / If-Modified-Since: the Worker needs the whole page
 * to classify it, and an origin's 304 would keep the visitor on a copy their browser cached without this request's CTA
 * (one from before the Worker, or one served untouched while the keys were missing). Classified pages carry no
 * validators (classify), so a browser never holds one to revalidate; everything else keeps its 304s.
 */
export async function fetchOrigin(request, env) {
  let outgoing = request;
  if (asksForPage(request) && (request.headers.has("if-none-match") || request.headers.has("if-modified-since"))) {
    const headers = new Headers(request.headers);
    headers.delete("if-none-match");
    headers.delete("if-modified-since");
    outgoing = new Request(request, { headers });
  }
  if (!env.ORIGIN) return fetch(outgoing);
  const url = new URL(request.url);
  const target = new URL(env.ORIGIN);
  target.pathname = url.pathname;
  target.search = url.search;
  return fetch(new Request(target, outgoing));
}

/** GET, or HEAD: the same answer without its body (RFC 9110 §9.3.2). */
const isRead = (request) => request.method === "GET" || request.method === "HEAD";

/** Where a browser shows the answer as a page: a navigation (Sec-Fetch-Dest), or (older browsers) Accept: text/html. */
const PAGE_DESTINATIONS = new Set(["document", "iframe", "frame"]);
const asksForPage = (request) => isRead(request) && (PAGE_DESTINATIONS.has(request.headers.get("sec-fetch-dest")) ||
  (request.headers.get("accept") ?? "").toLowerCase().includes("text/html"));

/** The Content-Encodings whose bodies workerd's fetch hands the Worker decoded (and encodes again on the way out). */
const READABLE_ENCODINGS = new Set(["", "identity", "gzip", "br"]);

/**
 * An HTML page the origin served whole (200), asked for with GET (or HEAD), in a body the Worker can read: the
 * responses it classifies (a HEAD gets the classified page's headers alone: headOfPage). The media type is compared whole and in any case (`TEXT/HTML; charset=…` is HTML;
 * `application/xhtml+xml` is XML, which injected HTML would break); a download (`Content-Disposition: attachment`)
 * is a file, not a page view; a body in another Content-Encoding (deflate, zstd) arrives compressed, and
 * HTMLRewriter would parse the compressed bytes.
 */
export function isPage(request, response) {
  const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const download = /^\s*attachment\b/i.test(response.headers.get("content-disposition") ?? "");
  const readable = READABLE_ENCODINGS.has((response.headers.get("content-encoding") ?? "").trim().toLowerCase());
  return isRead(request) && response.status === 200 && type === "text/html" && !download && readable;
}

/**
 * A classified page is one visitor's (`private`: no shared cache keeps it) and is classified afresh on every load
 * (`no-cache`: the browser must ask again before reusing it, and with no validators (ORIGIN_ONLY) it asks for the
 * whole page). Not `no-store`: browsers keep no-store pages out of the back/forward cache, so Back would re-request
 * the page instead of restoring the one the visitor saw, and count a page view they did not make.
 */
export const PAGE_CACHE_CONTROL = "private, no-cache";

/**
 * The headers of a page classified for one visitor, from the origin's: none of the origin's claims about its bytes or
 * about shared caches (ORIGIN_ONLY), private, and varying with the cookie and Sec-GPC it was classified from.
 */
function pageHeaders(origin) {
  const headers = new Headers(origin);
  for (const name of ORIGIN_ONLY) headers.delete(name);
  headers.append("vary", "cookie, sec-gpc");
  headers.set("cache-control", PAGE_CACHE_CONTROL);
  return headers;
}

/**
 * HEAD of a page (isPage): the headers the GET's classified page would have, without a body (RFC 9110 §9.3.2), so a
 * cache or monitor reading them learns what a GET would serve — not the origin's public lifetime and validators. A
 * HEAD is no page view: nothing is folded and no cookie is written.
 */
export function headOfPage(response) {
  return new Response(null, { status: response.status, statusText: response.statusText, headers: pageHeaders(response.headers) });
}

/**
 * A speculative prefetch (Sec-Purpose: prefetch, or prefetch;prerender; the older Purpose header): the visitor has
 * not seen the page and may never, so it is classified from the state as it is but not folded as a page view.
 */
const isPrefetch = (request) => /\bprefetch\b/i.test(request.headers.get("sec-purpose") ?? request.headers.get("purpose") ?? "");

/** The site's template for the chosen CTA, with the decision's data escaped; null when the site has none. */
function ctaMarkup(cta) {
  const template = cta ? CTA_TEMPLATES[cta.id] : undefined;
  if (template === undefined) return null;
  const html = template.replaceAll("{{variant}}", escapeHtml(cta.variant ?? ""));
  return `<div data-rekindle-rendered data-rekindle-cta="${escapeHtml(cta.id)}">${html}</div>`;
}

/**
 * The visitor's contact for this request and what to do with the state cookie afterwards. With consent: the
 * cookie's state (sealed again if it changed). Without: a new visitor (this request alone), no cookie written, and
 * a refusal deletes the one the browser still holds.
 */
function contactFor(request, { engine, keys, now, consent = "unknown" }) {
  if (consent === "granted") return { opened: openCookie(request, engine, keys, now), seal: true, remove: false };
  return { opened: freshContact(engine, keys, now), seal: false, remove: consent === "declined" && hasStateCookie(request) };
}

/**
 * The page `response` (already fetched: isPage) with the chosen CTA streamed into it. Everything that can fail runs
 * before the body is touched, so a caller that catches can still serve `response` itself, untouched.
 *
 * The CTA is named only in the page: `data-rekindle-cta-id` on the `<rekindle-cta>` it was injected into. No header
 * names it, because headers leave before the body streams, when nobody knows yet whether the page has the element.
 * The page view is folded (and the cookie written, with consent) even on a page without the element: a visit to a
 * pricing page is intent whether or not that page shows a CTA.
 */
export function classify(request, response, context) {
  const { now } = context;
  const { opened, seal, remove } = contactFor(request, context);
  let cta = null;
  let setCookie = remove ? DELETE_STATE_COOKIE : null;
  try {
    const { contact } = opened;
    if (!isPrefetch(request)) {
      const props = pageViewProps({ url: new URL(request.url), referrer: request.headers.get("referer"),
        lastSeen: contact.updatedAt(), now });
      contact.fold([{ id: `edge-${now}`, at: now, kind: "page_view", props }]);
    }
    cta = contact.cta({ now }); // the CTA alone: the rest of the decision is not needed to render a page
    if (seal) setCookie = sealIfChanged(opened, context.keys, now);
  } finally {
    opened.contact.free();
  }

  const headers = pageHeaders(response.headers);
  if (setCookie !== null) headers.append("set-cookie", setCookie);
  const markup = ctaMarkup(cta);
  const rewriter = new HTMLRewriter();
  if (markup !== null) {
    rewriter
      .on(CTA_SELECTOR, {
        element(element) {
          element.setAttribute("data-rekindle-cta-id", cta.id);
          element.append(markup, { html: true });
        },
      })
      .on(`${CTA_SELECTOR} [data-rekindle-fallback]`, {
        element(element) {
          element.setAttribute("hidden", "");
        },
      });
  }
  return rewriter.transform(new Response(response.body, { status: response.status, statusText: response.statusText, headers }));
}

/**
 * The origin's answer to a POST of the site's form `form` (site.js FORMS), with the visitor's state cookie updated
 * by a `form_submit` event when the origin accepted the submission (2xx or 3xx) and the visitor consented to the
 * cookie (a refusal deletes it instead). The body passes through as it is.
 */
export function recordForm(request, response, form, { engine, keys, now, consent = "unknown" }) {
  if (response.status >= 400) return response;
  let setCookie = null;
  if (consent === "granted") {
    const opened = openCookie(request, engine, keys, now);
    try {
      opened.contact.fold([{ id: `edge-form-${now}`, at: now, kind: "form_submit", props: { form } }]);
      setCookie = sealIfChanged(opened, keys, now);
    } finally {
      opened.contact.free();
    }
  } else if (consent === "declined" && hasStateCookie(request)) {
    setCookie = DELETE_STATE_COOKIE;
  }
  if (setCookie === null) return response;
  const headers = new Headers(response.headers);
  headers.append("set-cookie", setCookie);
  headers.set("cache-control", "private, no-store");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
