// HTTP semantics of the example Worker in front of a site, in real workerd (tests/worker/run.mjs): what shared caches,
// browsers and mail providers see. A classified page is private to its visitor (no shared-cache directive, no
// validator or digest of the origin's bytes); a revalidation of a page reaches the origin unconditional, so the
// visitor never gets a 304 of a copy cached without this request's CTA; the origin's own Set-Cookie headers reach the
// browser one by one; redirects, partial content, downloads, XHTML, untyped and compressed bodies, HEAD, an empty
// body and one that fails mid-stream each get the answer HTTP asks for. The origin's pages for these cases live here
// (httpOrigin, under /http/), answered by edge.mjs createOrigin.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { startWorker } from "../../scripts/worker.mjs";

const WIDGET = '<rekindle-cta><p data-rekindle-fallback>Talk to us</p></rekindle-cta>';
const PAGE = `<!doctype html><html><head><title>page</title></head><body><h1>Page</h1>${WIDGET}</body></html>`;
const ETAG = '"page-v1"';
const MODIFIED = "Wed, 01 Oct 2025 07:28:00 GMT";

/** What the origin saw of the last request under /http/: its method and the headers the tests look for. */
export const seen = { last: null };

/** The origin's answers under /http/ (edge.mjs createOrigin sends those paths here). */
export function httpOrigin(request) {
  const { pathname } = new URL(request.url);
  const header = (name) => request.headers.get(name);
  seen.last = { method: request.method, ifNoneMatch: header("if-none-match"), ifModifiedSince: header("if-modified-since"),
    range: header("range") };
  const html = (body, headers = {}, init = {}) =>
    new Response(body, { ...init, headers: { "content-type": "text/html; charset=utf-8", ...headers } });
  switch (pathname) {
    case "/http/cached": {
      // A page the origin lets every cache keep, with validators: the origin knows nothing of the visitor's CTA.
      const cache = { "cache-control": "public, max-age=600, s-maxage=3600", "cdn-cache-control": "max-age=3600",
        "cloudflare-cdn-cache-control": "max-age=3600", "surrogate-control": "max-age=3600", etag: ETAG, "last-modified": MODIFIED,
        "accept-ranges": "bytes", "content-digest": "sha-256=:AAAA:" };
      if (header("if-none-match") === ETAG || header("if-modified-since") === MODIFIED) return new Response(null, { status: 304, headers: cache });
      if (header("range") === "bytes=0-9") {
        return html(PAGE.slice(0, 10), { ...cache, "content-range": `bytes 0-9/${PAGE.length}` }, { status: 206 });
      }
      return html(PAGE, cache);
    }
    case "/http/asset":
      if (header("if-none-match") === ETAG) return new Response(null, { status: 304, headers: { etag: ETAG } });
      return new Response("body{}", { headers: { "content-type": "text/css", etag: ETAG } });
    case "/http/cookies": {
      // Two cookies of the site's own; an Expires date holds a comma, so a comma-joined header cannot be split back.
      const headers = new Headers({ "content-type": "text/html; charset=utf-8" });
      headers.append("set-cookie", "session=abc123; Path=/; HttpOnly; Secure");
      headers.append("set-cookie", "theme=dark; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
      return new Response(PAGE, { headers });
    }
    case "/http/redirect": {
      const headers = new Headers({ location: "/pricing/", "content-type": "text/html; charset=utf-8" });
      headers.append("set-cookie", "moved=1; Path=/");
      return new Response(`<a href="/pricing/">moved</a>${WIDGET}`, { status: 301, headers });
    }
    case "/http/two-slots":
      return html(`<!doctype html><html><body><header>${WIDGET}</header><footer>${WIDGET}</footer></body></html>`);
    case "/http/nested":
      return html(`<!doctype html><html><body><rekindle-cta id="outer">${WIDGET}</rekindle-cta></body></html>`);
    case "/http/upper":
      return new Response(PAGE, { headers: { "content-type": "TEXT/HTML; Charset=UTF-8" } });
    case "/http/xhtml":
      return new Response(PAGE, { headers: { "content-type": "application/xhtml+xml; charset=utf-8" } });
    case "/http/untyped":
      return new Response(new TextEncoder().encode(PAGE));
    case "/http/download":
      return html(PAGE, { "content-disposition": 'attachment; filename="page.html"' });
    case "/http/empty":
      return html(null);
    case "/http/broken":
      return html(new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`<!doctype html><html><body><h1>Broken</h1>${WIDGET}`));
          setTimeout(() => controller.error(new Error("origin connection reset (simulated)")), 50);
        },
      }));
    default:
      return new Response("not found", { status: 404 });
  }
}

export function httpSemanticsTests({ SITE, injected, exampleOptions, createOrigin }) {
  const page = (mf, path, headers = {}, init = {}) =>
    mf.dispatchFetch(`${SITE}${path}`, { ...init, headers: { accept: "text/html", ...headers } });

  return [
    ["a classified page is private: no shared-cache directive, validator, range or digest of the origin's bytes survives the rewrite", async ({ mf }) => {
      const response = await page(mf, "/http/cached");
      const body = await response.text();
      assert.equal(response.status, 200);
      assert.equal(injected(body), "checklist");
      assert.equal(response.headers.get("cache-control"), "private, no-cache");
      assert.match(response.headers.get("vary") ?? "", /cookie/i);
      assert.match(response.headers.get("set-cookie") ?? "", /^__Host-rk=c1\./);
      // RFC 9213: a CDN obeys CDN-Cache-Control (and Cloudflare-CDN-Cache-Control, Surrogate-Control) over
      // Cache-Control, so left in place they would let a CDN store one visitor's CTA and cookie for everybody.
      for (const name of ["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"]) {
        assert.equal(response.headers.get(name), null, `${name} names a shared cache's lifetime for a private page`);
      }
      // The body is not the origin's: a validator of the origin's bytes would let a cache answer 304 for a page with
      // another CTA (RFC 9110 §8.8.3: a strong ETag names these exact bytes), ranges would index bytes that differ,
      // and a digest would not match.
      for (const name of ["etag", "last-modified", "accept-ranges", "content-digest", "content-length"]) {
        assert.equal(response.headers.get(name), null, `${name}: ${response.headers.get(name)}`);
      }
    }],

    ["a page revalidated with If-None-Match or If-Modified-Since reaches the origin unconditional: a 200 with this request's CTA, never a 304", async ({ mf }) => {
      // A copy the browser holds from before the Worker, or from a response served untouched (keys missing, an
      // engine failure): revalidating it must not keep the visitor on a page without this request's CTA and state.
      for (const conditional of [{ "if-none-match": ETAG }, { "if-modified-since": MODIFIED }]) {
        const response = await page(mf, "/http/cached", { ...conditional, "sec-fetch-dest": "document" });
        const body = await response.text();
        assert.equal(response.status, 200, JSON.stringify(conditional));
        assert.equal(injected(body), "checklist");
        assert.deepEqual([seen.last.ifNoneMatch, seen.last.ifModifiedSince], [null, null], "asked unconditionally");
      }
      // Without Sec-Fetch-Dest (an older browser), Accept: text/html says the same.
      const old = await page(mf, "/http/cached", { "if-none-match": ETAG });
      assert.equal(old.status, 200);
      await old.arrayBuffer();
      // Everything else keeps its revalidation: a stylesheet's 304 passes through.
      const asset = await mf.dispatchFetch(`${SITE}/http/asset`, { headers: { accept: "text/css,*/*;q=0.1", "sec-fetch-dest": "style",
        "if-none-match": ETAG } });
      assert.equal(asset.status, 304);
      assert.equal(seen.last.ifNoneMatch, ETAG);
      await asset.arrayBuffer();
    }],

    ["a Range request for a page gets the origin's 206 untouched: no CTA spliced into a byte range, no cookie", async ({ mf }) => {
      const response = await page(mf, "/http/cached", { range: "bytes=0-9" });
      assert.equal(response.status, 206);
      assert.equal(await response.text(), PAGE.slice(0, 10));
      assert.equal(response.headers.get("set-cookie"), null);
      assert.equal(response.headers.get("content-range"), `bytes 0-9/${PAGE.length}`);
    }],

    ["the origin's own Set-Cookie headers reach the browser one by one beside the state cookie, never comma-joined", async ({ mf }) => {
      const response = await page(mf, "/http/cookies");
      assert.equal(injected(await response.text()), "checklist");
      const cookies = response.headers.getSetCookie();
      assert.equal(cookies.length, 3, JSON.stringify(cookies));
      assert.equal(cookies[0], "session=abc123; Path=/; HttpOnly; Secure");
      assert.equal(cookies[1], "theme=dark; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
      assert.match(cookies[2], /^__Host-rk=c1\.[^,]*; Path=\/; Max-Age=15552000; Secure; HttpOnly; SameSite=Lax$/);
    }],

    ["an origin redirect reaches the browser as sent (not followed by the Worker): its Location and cookie, no CTA, no state cookie", async ({ mf }) => {
      const response = await page(mf, "/http/redirect", {}, { redirect: "manual" });
      assert.equal(response.status, 301);
      assert.equal(response.headers.get("location"), "/pricing/");
      assert.deepEqual(response.headers.getSetCookie(), ["moved=1; Path=/"]);
      assert.equal(injected(await response.text()), null);
    }],

    ["each marked element gets the CTA, as the browser widget fills each: two slots, and a slot nested in another", async ({ mf }) => {
      const two = await (await page(mf, "/http/two-slots")).text();
      assert.equal(two.match(/data-rekindle-cta-id="checklist"/g)?.length, 2, two);
      assert.equal(two.match(/<div data-rekindle-rendered data-rekindle-cta="checklist">/g)?.length, 2, two);
      assert.equal(two.match(/data-rekindle-fallback hidden/g)?.length, 2, "both fallbacks hidden");
      const nested = await (await page(mf, "/http/nested")).text();
      assert.equal(nested.match(/data-rekindle-cta-id="checklist"/g)?.length, 2, nested);
      assert.match(nested, /^<!doctype html><html><body><rekindle-cta id="outer" data-rekindle-cta-id="checklist"><rekindle-cta /, "well-formed, nothing dropped");
      assert.match(nested, /<\/div><\/rekindle-cta><div data-rekindle-rendered data-rekindle-cta="checklist">.*<\/div><\/rekindle-cta><\/body><\/html>$/);
    }],

    ["media types: TEXT/HTML with a charset is classified; XHTML, an untyped body and an HTML download pass through untouched", async ({ mf }) => {
      const upper = await page(mf, "/http/upper");
      assert.equal(injected(await upper.text()), "checklist", "media types match in any case (RFC 9110 §8.3.1)");
      // XHTML is parsed as XML: HTML markup (attributes without values) injected into it would break the page.
      for (const path of ["/http/xhtml", "/http/untyped", "/http/download"]) {
        const response = await page(mf, path);
        assert.equal(response.status, 200, path);
        assert.equal(await response.text(), PAGE, `${path}: the origin's bytes`);
        assert.equal(response.headers.get("set-cookie"), null, `${path}: not a page view`);
      }
      const download = await page(mf, "/http/download");
      assert.equal(download.headers.get("content-disposition"), 'attachment; filename="page.html"');
      await download.arrayBuffer();
    }],

    ["a compressed page (Content-Encoding gzip, br) from an HTTP origin is decoded by workerd, rewritten and served readable", async ({ bundle }) => {
      // Over real HTTP: workerd's fetch decodes the body (a function origin in this process hands the Worker the
      // encoded bytes as they are, which no real origin connection does), and re-encodes the answer.
      const server = createServer((request, response) => {
        const [encoding, encode] = request.url === "/br" ? ["br", brotliCompressSync] : ["gzip", gzipSync];
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": encoding });
        response.end(encode(PAGE));
      });
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const mf = await startWorker(bundle, exampleOptions(createOrigin(), undefined, `http://127.0.0.1:${server.address().port}`));
      try {
        for (const path of ["/gzip", "/br"]) {
          const response = await mf.dispatchFetch(`${SITE}${path}`, { headers: { accept: "text/html", "accept-encoding": "gzip, br" } });
          assert.equal(response.status, 200, path);
          const body = await response.text();
          assert.equal(injected(body), "checklist", `${path}: ${body.slice(0, 80)}`);
          assert.match(body, /<h1>Page<\/h1>/, path);
        }
      } finally {
        await mf.dispose();
        server.close();
      }
    }],

    ["a page in an encoding workerd does not decode (deflate) passes through untouched, not rewritten blind or counted", async ({ bundle }) => {
      // workerd's fetch decodes gzip and br; any other Content-Encoding reaches the Worker as compressed bytes, where
      // HTMLRewriter finds no element (or, by chance, splices markup into the compressed stream).
      const compressed = deflateSync(PAGE);
      const server = createServer((request, response) => {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-encoding": "deflate" });
        response.end(compressed);
      });
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const mf = await startWorker(bundle, exampleOptions(createOrigin(), undefined, `http://127.0.0.1:${server.address().port}`));
      try {
        const response = await mf.dispatchFetch(`${SITE}/deflated`, { headers: { accept: "text/html", "accept-encoding": "deflate" } });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), PAGE, "the origin's page, decoded by the client as sent");
        assert.equal(response.headers.get("set-cookie"), null, "not classified: no page view folded for a page the Worker cannot read");
        assert.equal(response.headers.get("cache-control"), null, "the origin's headers, untouched");
      } finally {
        await mf.dispose();
        server.close();
      }
    }],

    ["HEAD of a page: the headers a GET's classified page has (private, no validators), no body, nothing folded, no cookie", async ({ mf }) => {
      // RFC 9110 §9.3.2: HEAD's header fields are the GET's. A HEAD that passed the origin's on would tell a cache or
      // monitor the page is public for an hour, with an ETag, while every GET is private.
      const response = await page(mf, "/http/cached", {}, { method: "HEAD" });
      assert.equal(response.status, 200);
      assert.equal(seen.last.method, "HEAD");
      assert.equal(response.headers.get("set-cookie"), null, "a HEAD is no page view");
      assert.equal((await response.arrayBuffer()).byteLength, 0);
      assert.equal(response.headers.get("cache-control"), "private, no-cache");
      assert.match(response.headers.get("vary") ?? "", /cookie, sec-gpc/);
      assert.match(response.headers.get("content-type"), /^text\/html/);
      for (const name of ["etag", "last-modified", "accept-ranges", "content-digest", "content-length", "cdn-cache-control",
        "cloudflare-cdn-cache-control", "surrogate-control"]) {
        assert.equal(response.headers.get(name), null, `${name}: ${response.headers.get(name)}`);
      }
      const get = await page(mf, "/http/cached");
      await get.arrayBuffer();
      assert.equal(get.headers.get("cache-control"), response.headers.get("cache-control"), "HEAD and GET agree");
      // A conditional HEAD of a page asks the origin unconditionally, as the GET does: never the origin's 304.
      const conditional = await page(mf, "/http/cached", { "if-none-match": ETAG }, { method: "HEAD" });
      assert.equal(conditional.status, 200);
      assert.equal(seen.last.ifNoneMatch, null);
      assert.equal(conditional.headers.get("etag"), null);
      // Anything that is not a page keeps the origin's headers on HEAD.
      const asset = await mf.dispatchFetch(`${SITE}/http/asset`, { method: "HEAD", headers: { accept: "text/css" } });
      assert.equal(asset.headers.get("etag"), ETAG);
      assert.equal(asset.headers.get("cache-control"), null);
    }],

    ["a page with an empty body, and one whose origin fails mid-stream, never break the Worker", async ({ mf }) => {
      const empty = await page(mf, "/http/empty");
      assert.equal(empty.status, 200);
      assert.equal(await empty.text(), "");
      const broken = await page(mf, "/http/broken");
      assert.equal(broken.status, 200, "the headers left before the origin failed");
      await broken.text().catch(() => null); // the body ends early or with an error: the origin's failure, passed on
      const next = await page(mf, "/pricing");
      assert.equal(next.status, 200);
      assert.ok(injected(await next.text()), "the next page is classified as usual");
    }],

    ["HEAD of a signed page answers as GET does, without a body and without acting; a 405's Allow lists HEAD", async ({ mf, keys }) => {
      const now = Date.now();
      const token = keys.signToken({ purpose: "unsubscribe", contact: "cus_head", issuedAt: now, expiresAt: now + 86_400_000 });
      const head = await mf.dispatchFetch(`${SITE}/unsubscribe?t=${token}`, { method: "HEAD" });
      assert.equal(head.status, 200, "a link checker's HEAD is a GET without the body (RFC 9110 §9.3.2)");
      assert.match(head.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(head.headers.get("cache-control"), "no-store");
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      const prefs = keys.signToken({ purpose: "preferences", contact: "cus_head", issuedAt: now, expiresAt: now + 86_400_000 });
      const choices = await (await mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, { headers: { accept: "application/json" } })).json();
      assert.equal(choices.channels.email, true, "HEAD never unsubscribes");
      const wrong = await mf.dispatchFetch(`${SITE}/unsubscribe?t=${token}`, { method: "PUT" });
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get("allow"), "GET, HEAD, POST");
      await wrong.arrayBuffer();
      const health = await mf.dispatchFetch(`${SITE}/api/health`, { method: "HEAD" });
      assert.equal(health.status, 200);
      await health.arrayBuffer();
    }],

    ["RFC 8058: a one-click POST sent again after it succeeded is 200 again, and the contact stays unsubscribed", async ({ mf, keys }) => {
      const now = Date.now();
      const token = keys.signToken({ purpose: "unsubscribe", contact: "cus_replay", issuedAt: now, expiresAt: now + 86_400_000 });
      for (let i = 0; i < 2; i += 1) {
        const response = await mf.dispatchFetch(`${SITE}/unsubscribe?t=${token}`, { method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
        assert.equal(response.status, 200, `attempt ${i + 1}`);
        await response.arrayBuffer();
      }
      const prefs = keys.signToken({ purpose: "preferences", contact: "cus_replay", issuedAt: now, expiresAt: now + 86_400_000 });
      const choices = await (await mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, { headers: { accept: "application/json" } })).json();
      assert.equal(choices.channels.email, false);
    }],
  ];
}
