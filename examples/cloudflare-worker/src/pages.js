// The Worker's own pages: the preference center shell (the <rekindle-preferences> element does the rest, through
// this Worker's JSON endpoint), the one-click-unsubscribe and keep-me confirmations, and the one answer to every
// bad link.
// No page interpolates request data: the token stays in the URL, where the element and the form read it.

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d2330}
button{font:inherit;min-height:40px;padding:.4rem 1rem;border-radius:6px;border:0;background:#3b4cca;color:#fff;cursor:pointer}
:focus-visible{outline:3px solid #3b4cca;outline-offset:2px}`;

const page = (title, body, head = "") => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="icon" href="data:,"><style>${STYLE}</style>${head}</head>
<body><main>${body}</main></body></html>`;

/** ` privacy="…"` for the element (it shows the link under "Your data", D27), escaped; nothing without a URL. */
function privacyAttribute(url) {
  if (typeof url !== "string" || url.trim() === "") return "";
  const escaped = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return ` privacy="${escaped}"`;
}

/** What the preference center says when the package's module (or one it imports) cannot be loaded. */
export const LOAD_FAILED = "Your preferences could not be loaded. Please try again later, or reply to one of our emails to change them.";

/**
 * The preference center: the element loads and saves through GET/POST /preferences with the page's ?t=. The module
 * is imported dynamically so that a failure to load it — or any file it imports (facade.js, gen/web/…: the whole
 * package directory must be served) — replaces "Loading…" with an error instead of leaving it there forever; a
 * static import that fails would never run the page's script at all. The JSON below is escaped for a <script>.
 */
export const preferencesPage = (browserModule = "/pkg/browser.js", privacyUrl = null) => page("Email preferences",
  `<h1>Email preferences</h1>
<p>Choose what we send you and how often.</p>
<rekindle-preferences endpoint="/preferences"${privacyAttribute(privacyUrl)}><p>Loading your preferences…</p></rekindle-preferences>
<noscript><p>${LOAD_FAILED}</p></noscript>`,
  `<script type="module">
import(${scriptJson(browserModule)}).then(({ defineElements }) => defineElements()).catch((error) => {
  console.error("rekindle: the preference center could not load", error);
  const box = document.querySelector("rekindle-preferences");
  const alert = document.createElement("p");
  alert.setAttribute("role", "alert");
  alert.textContent = ${scriptJson(LOAD_FAILED)};
  box.replaceChildren(alert);
});
</script>`);

/** JSON that is also safe inside an inline <script> (no "</script>" or "<!--" can close or confuse it). */
const scriptJson = (value) => JSON.stringify(value).replaceAll("<", "\\u003c");

/** GET /unsubscribe: asks, never acts (mail scanners and prefetchers follow links; RFC 8058 §3.2). */
export const unsubscribePage = () => page("Unsubscribe",
  `<h1>Unsubscribe</h1>
<p>Stop receiving these emails? You can choose topics and frequency instead in your email preferences.</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button></form>`);

export const unsubscribeDonePage = () => page("Unsubscribed",
  `<h1>You are unsubscribed</h1><p role="status">You will not receive these emails any more.</p>`);

/** GET /keep: the break-up email's "keep me" link asks, never acts (link scanners follow every link). */
export const keepPage = () => page("Stay subscribed",
  `<h1>Stay subscribed?</h1>
<p>We were about to stop emailing you. Press the button to keep receiving our emails.</p>
<form method="post"><input type="hidden" name="keep" value="yes">
<button type="submit">Keep me subscribed</button></form>`);

export const keepDonePage = () => page("Subscribed",
  `<h1>You are still subscribed</h1><p role="status">Thank you: you will keep receiving our emails.</p>`);

/** Every refused token gets this same page: which check failed is for our logs, not for the visitor. */
export const badLinkPage = () => page("Link not valid",
  `<h1>This link has expired or is not valid</h1>
<p>Use the link in the latest message you received from us.</p>`);
