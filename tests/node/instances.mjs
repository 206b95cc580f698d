// Test-only instrumentation (not a test file): records every WebAssembly instance the generated glue creates,
// and lets a test make one export trap, without adding anything to the package's public API.
// Import this module BEFORE "rekindle" so the node entry's synchronous instantiation is seen.

/** Every instance created so far, as { exports } objects whose functions forward to the real instance. */
export const instances = [];
let armed = null; // { pattern, error } while a trap is armed

/** The next call of the first export whose name matches `pattern` throws `error` (once). */
export function trapNextCall(pattern, error = new WebAssembly.RuntimeError("unreachable")) {
  armed = { pattern, error };
}

/** Names of the exported functions of the latest instance. */
export function exportNames() {
  return Object.keys(instances.at(-1)?.exports ?? {});
}

const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = new Proxy(RealInstance, {
  construct(target, args, newTarget) {
    const real = Reflect.construct(target, args, newTarget);
    const exports = {};
    for (const [name, value] of Object.entries(real.exports)) {
      exports[name] =
        typeof value !== "function"
          ? value
          : function forward(...callArgs) {
              if (armed !== null && armed.pattern.test(name)) {
                const { error } = armed;
                armed = null;
                throw error;
              }
              return value(...callArgs);
            };
    }
    const instance = { exports: Object.freeze(exports) };
    instances.push(instance);
    return instance;
  },
});
