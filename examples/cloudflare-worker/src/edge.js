// Classify and inject (D44): every HTML page the origin sends is classified from the visitor's signed state cookie
// plus this request's page view, and the CTA the playbook picks is streamed into <rekindle-cta> with HTMLRewriter —
// before the page reaches the browser, so there is no flicker and no third-party call. A POST of one of the site's
// forms reaches the origin as it is and is folded as a `form_submit` (recordForm); anything else that is not an
// HTML GET passes through untouched. The state cookie's rules are in cookie.js.
import { pageViewProps } from "rekindle";
import { openCookie, sealIfChanged } from "./cookie.js";
import { CTA_SELECTOR, CTA_TEMPLATES } from "./site.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The origin's response for this request (the Worker sits in front of the site). The target is env.ORIGIN with this
 * request's path and query set on it, never the path resolved against it: `new URL("//evil.test/x", origin)` is
 * http://evil.test/x, which would send the visitor's cookies to another host and serve its page on this domain.
 */
export async function fetchOrigin(request, env) {
  if (!env.ORIGIN) return fetch(request);
  const url = new URL(request.url);
  const target = new URL(env.ORIGIN);
  target.pathname = url.pathname;
  target.search = url.search;
  return fetch(new Request(target, request));
}

/** An HTML page the origin served whole (200), asked for with GET: the responses the Worker classifies. */
export function isPage(request, response) {
  const type = response.headers.get("content-type") ?? "";
  return request.method === "GET" && response.status === 200 && type.toLowerCase().includes("text/html");
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
 * The page `response` (already fetched: isPage) with the chosen CTA streamed into it. Everything that can fail runs
 * before the body is touched, so a caller that catches can still serve `response` itself, untouched.
 */
export function classify(request, response, { engine, keys, now }) {
  const opened = openCookie(request, engine, keys, now);
  let cta = null;
  let setCookie = null;
  try {
    const { contact } = opened;
    if (!isPrefetch(request)) {
      const props = pageViewProps({ url: new URL(request.url), referrer: request.headers.get("referer"),
        lastSeen: contact.updatedAt(), now });
      contact.fold([{ id: `edge-${now}`, at: now, kind: "page_view", props }]);
    }
    cta = contact.cta({ now }); // the CTA alone: the rest of the decision is not needed to render a page
    setCookie = sealIfChanged(opened, keys, now);
  } finally {
    opened.contact.free();
  }

  const headers = new Headers(response.headers);
  headers.delete("content-length"); // the rewritten body streams with another length
  headers.set("x-rekindle-cta", cta?.id ?? "none");
  headers.append("vary", "cookie");
  headers.set("cache-control", "private, no-store"); // a page classified for one visitor is not a shared page
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
 * by a `form_submit` event when the origin accepted the submission (2xx or 3xx). The body passes through as it is.
 */
export function recordForm(request, response, form, { engine, keys, now }) {
  if (response.status >= 400) return response;
  const opened = openCookie(request, engine, keys, now);
  let setCookie;
  try {
    opened.contact.fold([{ id: `edge-form-${now}`, at: now, kind: "form_submit", props: { form } }]);
    setCookie = sealIfChanged(opened, keys, now);
  } finally {
    opened.contact.free();
  }
  if (setCookie === null) return response;
  const headers = new Headers(response.headers);
  headers.append("set-cookie", setCookie);
  headers.set("cache-control", "private, no-store");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
