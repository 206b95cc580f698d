// `npm run build` works on a fresh clone like `npm start` and `npm test`: it installs what the build needs first
// (skipping what is there), then builds. Checked on the entry `npm run build` runs, with the steps recorded
// instead of run, so the test builds nothing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BUILD_STEPS, bootstrap } from "../../scripts/bootstrap.mjs";
import { buildFromScratch } from "../../scripts/build.mjs";
import { repoRoot } from "./fixtures.mjs";

test("npm run build runs scripts/build.mjs, whose entry is buildFromScratch", () => {
  const { scripts } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  assert.equal(scripts.build, "node scripts/build.mjs");
  const source = readFileSync(join(repoRoot, "scripts", "build.mjs"), "utf8");
  assert.match(source, /if \(isMain\(import\.meta\.url\)\) \{\n {2}buildFromScratch\(\)/);
});

test("buildFromScratch installs the build's tools (npm deps with wasm-opt, wasm32, wasm-bindgen) before building", async () => {
  const calls = [];
  await buildFromScratch({
    log: () => {},
    install: async ({ steps }) => calls.push(["install", steps]),
    compile: async () => calls.push(["compile"]),
  });
  assert.deepEqual(calls.map(([what]) => what), ["install", "compile"]);
  const steps = calls[0][1];
  assert.deepEqual(steps.slice(0, 2), ["npm dependencies", "rust target wasm32-unknown-unknown"]);
  assert.match(steps[2], /^wasm-bindgen /);
  assert.ok(!steps.includes("chromium"), "the build needs no browser");
  assert.deepEqual(steps, [...BUILD_STEPS]);
});

test("bootstrap refuses a step it does not know instead of skipping it silently", async () => {
  await assert.rejects(bootstrap({ log: () => {}, steps: ["npm dependency"] }), /unknown bootstrap step\(s\) npm dependency/);
});
