// Streaming check for the example Worker's classify (tests/worker/run.mjs), run inside workerd: the origin
// is a stream whose tail comes 300 ms after its head, and the rewritten response is read here, in the isolate,
// so nothing between workerd and the test (Miniflare's dispatch, which buffers) can hide buffering in our code or
// in HTMLRewriter. Answers { doneAtFirstChunk, body }.
import { Engine, Keys, init } from "rekindle";
// The example's playbook (a copy of examples/playbooks/saas.json) as its build compiled it: an ArrayBuffer.
import playbook from "../../examples/cloudflare-worker/playbook.rkp";
import { classify, fetchOrigin } from "../../examples/cloudflare-worker/src/edge.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export default {
  async fetch(request, env) {
    await init();
    const engine = new Engine(playbook);
    const keys = new Keys(env.REKINDLE_KEYS);
    let originDone = false;
    globalThis.fetch = async () => new Response(new ReadableStream({
      async start(controller) {
        controller.enqueue(encoder.encode('<!doctype html><html><body><h1>Pricing</h1><rekindle-cta><p data-rekindle-fallback>Talk to us</p></rekindle-cta>'));
        await new Promise((resolve) => setTimeout(resolve, 300));
        controller.enqueue(encoder.encode(`<p>${"the rest of a long article ".repeat(200)}</p></body></html>`));
        originDone = true;
        controller.close();
      },
    }), { headers: { "content-type": "text/html; charset=utf-8" } });
    const page = new Request("http://site.test/pricing", { headers: { accept: "text/html" } });
    const response = classify(page, await fetchOrigin(page, { ORIGIN: "http://site.test" }), { engine, keys, now: Date.now() });
    const reader = response.body.getReader();
    const first = await reader.read();
    const doneAtFirstChunk = originDone;
    let body = decoder.decode(first.value, { stream: true });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
    }
    return Response.json({ doneAtFirstChunk, firstChunk: decoder.decode(first.value), body });
  },
};
