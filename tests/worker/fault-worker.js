// The example Worker (examples/cloudflare-worker/src/index.js) with two faults the tests can switch on from outside,
// run in workerd by tests/worker/run.mjs — failures real workerd and Miniflare's KV never produce on demand:
//   POST /__test/wasm-trap     a wasm trap, through the facade's own call() (the path a real trap takes: the
//                              instance is re-instantiated, the generation bumps, every older handle is disposed)
//   x-test-kv-fail: put|list   every PREFERENCES put (or list) of this request throws, as KV does when rate limited
// Everything else is the example Worker, unchanged, in the same isolate and the same rekindle module instance (with
// its compiled playbook, examples/cloudflare-worker/playbook.rkp, which the example's build step writes: run.mjs
// bundles this after the example, with the example's Data rule for *.rkp).
import worker from "../../examples/cloudflare-worker/src/index.js";
// @internal: the facade's error-mapping call(), not part of rekindle's public API; imported only by this test.
import { call } from "../../pkg/facade.js";

/** PREFERENCES with operation `op` failing as KV fails under load. */
function failing(kv, op) {
  return new Proxy(kv, {
    get(target, name) {
      if (name === op) return async () => { throw new Error(`KV ${op} failed: 429 Too Many Requests (simulated)`); };
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__test/wasm-trap") {
      try {
        call(() => { throw new WebAssembly.RuntimeError("unreachable (simulated by tests/worker/fault-worker.js)"); });
      } catch (error) {
        return Response.json({ code: error.code, message: error.message });
      }
      return Response.json({ code: null });
    }
    const op = request.headers.get("x-test-kv-fail");
    return worker.fetch(request, op ? { ...env, PREFERENCES: failing(env.PREFERENCES, op) } : env, ctx);
  },
};
