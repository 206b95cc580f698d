// Keeps the core pure: fails when rekindle-core's normal dependency tree for wasm32 pulls in a JS binding
// crate or getrandom (the core must build for any host, and never reach for a JS clock or RNG).
//
//   node scripts/guard.mjs
import { isMain, runChecked } from "./util.mjs";

/** Crates the core must never depend on, matched as whole crate names (gloo and wasm-bindgen match their -* family). */
export const FORBIDDEN = /^(wasm-bindgen(-[a-z-]+)?|js-sys|web-sys|gloo(-[a-z-]+)?|getrandom)$/;

/** Returns the forbidden crates (with version) found in `cargo tree` output. */
export function forbiddenCrates(treeOutput) {
  const found = new Set();
  for (const line of treeOutput.split("\n")) {
    const match = line.match(/([A-Za-z0-9_-]+) v(\d[^\s]*)/);
    if (match && FORBIDDEN.test(match[1])) found.add(`${match[1]} v${match[2]}`);
  }
  return [...found].sort();
}

/** Throws when rekindle-core depends on a forbidden crate; resolves to the tree line count otherwise. */
export async function guard() {
  const { stdout } = await runChecked("cargo", [
    "tree",
    "-p",
    "rekindle-core",
    "-e",
    "normal",
    "--target",
    "wasm32-unknown-unknown",
    "--prefix",
    "none",
  ]);
  const found = forbiddenCrates(stdout);
  if (found.length > 0) {
    throw new Error(`rekindle-core must stay free of JS bindings and getrandom, but depends on: ${found.join(", ")}`);
  }
  return stdout.trim().split("\n").length;
}

if (isMain(import.meta.url)) {
  guard().then(
    (count) => console.log(`guard: rekindle-core's ${count} wasm32 dependencies are free of JS bindings and getrandom`),
    (err) => {
      console.error(`guard: ${err.message}`);
      process.exit(1);
    },
  );
}
