// Classify and inject (D44): every HTML page the origin sends is classified from the visitor's signed state cookie
// plus this request's page view, and the CTA the playbook picks is streamed into <rekindle-cta> with HTMLRewriter —
// before the page reaches the browser, so there is no flicker and no third-party call. Anything that is not an
// HTML GET passes through untouched. A cookie that does not open (tampered, truncated, oversized, expired, unknown
// key or version) is a new visitor, counted by reason — never an exception or an error page.
import { pageViewProps } from "rekindle";
import { COOKIE, CTA_SELECTOR, CTA_TEMPLATES } from "./site.js";

const DAY = 86_400_000;
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** Per isolate: cookies opened, new visitors, refusals by reason, states too large to seal. */
export const cookieStats = { opened: 0, fresh: 0, refused: {}, notSealed: 0 };

/** The value of cookie `name` in a Cookie header, or null. */
export function readCookie(header, name) {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The origin's response for this request (the Worker sits in front of the site). */
export async function fetchOrigin(request, env) {
  if (!env.ORIGIN) return fetch(request);
  const url = new URL(request.url);
  const target = new URL(url.pathname + url.search, env.ORIGIN);
  return fetch(new Request(target, request));
}

/** The visitor's contact from the cookie — a new visitor's when there is none or it is refused (counted). */
function openCookie(request, engine, keys, now) {
  const raw = readCookie(request.headers.get("cookie"), COOKIE.name);
  const { contact, opened, reason } = keys.openContact(engine, raw, { now });
  if (opened) cookieStats.opened += 1;
  else if (reason === undefined) cookieStats.fresh += 1;
  else cookieStats.refused[reason] = (cookieStats.refused[reason] ?? 0) + 1;
  return { raw, contact };
}

/** The site's template for the chosen CTA, with the decision's data escaped; null when the site has none. */
function ctaMarkup(cta) {
  const template = cta ? CTA_TEMPLATES[cta.id] : undefined;
  if (template === undefined) return null;
  const html = template.replaceAll("{{variant}}", escapeHtml(cta.variant ?? ""));
  return `<div data-rekindle-rendered data-rekindle-cta="${escapeHtml(cta.id)}">${html}</div>`;
}

export async function classifyAndInject(request, env, { engine, keys, now }) {
  const response = await fetchOrigin(request, env);
  const type = response.headers.get("content-type") ?? "";
  if (request.method !== "GET" || !type.toLowerCase().includes("text/html") || response.status !== 200) return response;

  const cookie = openCookie(request, engine, keys, now);
  const contact = cookie.contact;
  let cta = null;
  let sealed = null;
  try {
    const url = new URL(request.url);
    const props = pageViewProps({ url, referrer: request.headers.get("referer"), lastSeen: contact.updatedAt(), now });
    contact.fold([{ id: `edge-${now}`, at: now, kind: "page_view", props }]);
    cta = contact.cta({ now }); // the CTA alone: the rest of the decision is not needed to render a page
    try {
      sealed = keys.sealState(contact, { expiresAt: now + COOKIE.maxAgeDays * DAY });
    } catch {
      cookieStats.notSealed += 1; // too large for a cookie: keep the old one rather than write one browsers drop
    }
  } finally {
    contact.free();
  }

  const headers = new Headers(response.headers);
  headers.delete("content-length"); // the rewritten body streams with another length
  headers.set("x-rekindle-cta", cta?.id ?? "none");
  headers.append("vary", "cookie");
  headers.set("cache-control", "private, no-store"); // a page classified for one visitor is not a shared page
  if (sealed !== null && sealed !== cookie.raw) {
    headers.append("set-cookie",
      `${COOKIE.name}=${sealed}; Path=/; Max-Age=${COOKIE.maxAgeDays * 86_400}; Secure; HttpOnly; SameSite=Lax`);
  }
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
