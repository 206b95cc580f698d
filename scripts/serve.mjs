// A tiny static file server over the repository root, for the demo (`npm start`) and the browser tests.
// Node built-ins only (at import). `<dir>/<name>.rkp` beside a `<name>.json` playbook is that playbook compiled on
// each request (scripts/compiled-playbooks.mjs): the browser build reads only compiled playbooks.
//
//   node scripts/serve.mjs [port]        (PORT env also works; 0 picks a free port)
//   import { startServer } from "./serve.mjs"; const { url, close } = await startServer({ port: 0 });
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { compiledFromSource } from "./compiled-playbooks.mjs";
import { isMain, repoRoot } from "./util.mjs";

/** Content types by extension; anything else is served as application/octet-stream. */
export const MIME_TYPES = Object.freeze({
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".png": "image/png",
  ".ico": "image/x-icon",
});

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}

/** The demo's stand-in for a preferences endpoint (the edge Worker serves the real one, verifying signed
 * tokens): the token `demo` is the one valid link; choices live in this server's memory. */
function demoPreferences() {
  let choices = {
    contact: "ada@example.com",
    topics: [
      { id: "product", label: "Product news", subscribed: true },
      { id: "webinars", label: "Webinars and events", subscribed: true },
      { id: "tips", label: "Tips and guides", subscribed: false },
    ],
    frequency: "weekly",
    channels: { email: true, sms: false },
    pauseUntil: null,
    unsubscribedAll: false,
    // The consent record the element shows under "Your data" (latest word per purpose, as core's view has it).
    consents: [
      { purpose: "email_marketing", granted: true, at: 1772528400000 }, // 2026-03-03T09:00Z
      { purpose: "sms_marketing", granted: true, at: 1781254800000 }, // 2026-06-12T09:00Z
    ],
  };
  return async (req, res, url) => {
    const json = (status, body) => send(res, status, `${JSON.stringify(body)}\n`, { "content-type": "application/json" });
    if (url.searchParams.get("t") !== "demo") return json(401, { error: "this link has expired or is not valid" });
    if (req.method === "GET") return json(200, choices);
    if (req.method !== "POST") return send(res, 405, "method not allowed\n", { allow: "GET, POST" });
    let body = "";
    for await (const chunk of req) {
      body += chunk;
      if (body.length > 16_384) return json(413, { error: "too large" });
    }
    let next;
    try {
      next = JSON.parse(body);
    } catch {
      return json(400, { error: "expected JSON" });
    }
    const topics = Array.isArray(next?.topics) ? next.topics : [];
    choices = {
      ...choices,
      topics: choices.topics.map((t) => ({ ...t, subscribed: topics.includes(t.id) })),
      frequency: ["weekly", "monthly", "important_only"].includes(next?.frequency) ? next.frequency : null,
      channels: { email: next?.channels?.email === true, sms: next?.channels?.sms === true },
      pauseUntil: Number.isSafeInteger(next?.pauseUntil) ? next.pauseUntil : null,
      unsubscribedAll: next?.unsubscribeAll === true,
    };
    return json(200, { saved: true });
  };
}

/**
 * The demo site's pages (www/site.html, `npm start`): real paths, so the edge Worker in front of this server sees
 * each page view and the playbook's signals match them as they are (`/blog/*`, `/pricing*`; the site's home is
 * /www/site.html itself). Each is answered with www/site.html, whose script shows the section for the path.
 */
export const SITE_PAGE = /^\/(?:blog(?:\/[a-z0-9-]+)?|pricing|integrations|demo)$/;
const SITE_HTML = "www/site.html";

/** The demo site's form (`POST /demo`, the edge Worker's FORMS): accepted and dropped, then back to the page
 * (303, so a reload does not post again). Nothing of it is kept. */
async function demoForm(req, res) {
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16_384) return send(res, 413, "too large\n");
  }
  return send(res, 303, "see /demo?requested\n", { location: "/demo?requested" });
}

/** Maps a request path to a file under root, or null when it would escape root. */
function resolveInside(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const target = resolve(root, `.${decoded}`);
  return target === root || target.startsWith(root + sep) ? target : null;
}

/**
 * Starts the server. `headers(request, filePath)` may return extra response headers (e.g. a CSP for a test).
 * Listens on 127.0.0.1 unless `host` says otherwise. Resolves to { url, port, close } where url is
 * "http://127.0.0.1:PORT" (no trailing slash) and close() resolves once the server has stopped.
 * Rejects with the listen error (e.g. EADDRINUSE) so callers can pick another port.
 */
export function startServer({ port = 0, root = repoRoot, host = "127.0.0.1", headers } = {}) {
  const base = resolve(root);
  const preferences = demoPreferences();
  const server = createServer(async (req, res) => {
    const requested = new URL(req.url ?? "/", "http://localhost");
    if (requested.pathname === "/demo-api/preferences") {
      await preferences(req, res, requested);
      return;
    }
    if (requested.pathname === "/demo" && req.method === "POST") {
      await demoForm(req, res);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
      return;
    }
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (pathname === "/") {
      send(res, 302, "see /www/\n", { location: "/www/" });
      return;
    }
    let file = SITE_PAGE.test(pathname) ? join(base, SITE_HTML) : resolveInside(base, pathname);
    if (file === null) {
      send(res, 403, "forbidden\n");
      return;
    }
    try {
      const compiled = await compiledFromSource(file);
      if (compiled !== null) {
        const extra = headers ? ((await headers(req, file)) ?? {}) : {};
        res.writeHead(compiled.status, { ...compiled.headers, "content-length": Buffer.byteLength(compiled.body),
          "cache-control": "no-store", "x-content-type-options": "nosniff", ...extra });
        res.end(req.method === "HEAD" ? undefined : compiled.body);
        return;
      }
      let info = await stat(file);
      if (info.isDirectory()) {
        if (!pathname.endsWith("/")) {
          send(res, 301, "moved\n", { location: `${pathname}/` });
          return;
        }
        file = join(file, "index.html");
        info = await stat(file);
      }
      if (!info.isFile()) throw Object.assign(new Error("not a file"), { code: "ENOENT" });
      const extra = headers ? ((await headers(req, file)) ?? {}) : {};
      res.writeHead(200, {
        "content-type": MIME_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": info.size,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        ...extra,
      });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      createReadStream(file)
        .on("error", () => res.destroy())
        .pipe(res);
    } catch (err) {
      if (err.code === "ENOENT" || err.code === "ENOTDIR") send(res, 404, `not found: ${pathname}\n`);
      else send(res, 500, `cannot read ${pathname}: ${err.message}\n`);
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const actual = server.address().port;
      resolvePromise({
        url: `http://${host === "127.0.0.1" || host === "localhost" ? "127.0.0.1" : host}:${actual}`,
        port: actual,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

if (isMain(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: bad port ${JSON.stringify(process.argv[2] ?? process.env.PORT)}; expected 0–65535`);
    process.exit(2);
  }
  const { port: actual } = await startServer({ port, host: process.env.HOST ?? "127.0.0.1" });
  console.log(`serving ${repoRoot} at http://localhost:${actual}/ (demo: http://localhost:${actual}/www/)`);
}
