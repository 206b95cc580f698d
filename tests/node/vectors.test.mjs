// The shared vectors (tests/vectors) against the package in Node. Writes the canonical outputs to
// target/vector-outputs/node.json for the cross-runtime byte-identity check (tests/cross-runtime.mjs).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import * as rekindle from "rekindle";
import { loadVectors } from "../support/load-vectors.mjs";
import { outputsFileText, runVector } from "../support/vectors.mjs";
import { repoRoot } from "./fixtures.mjs";

await rekindle.init();
const vectors = loadVectors(repoRoot);
const outputs = {};

test("the shared vectors directory is not empty", () => {
  assert.ok(vectors.length > 0, "no vectors found under tests/vectors");
});

for (const { name, vector } of vectors) {
  test(name, () => {
    const { canonical, ok, failures } = runVector(rekindle, vector);
    outputs[name] = canonical;
    assert.ok(ok, `${vector.description}\n  ${failures.join("\n  ")}`);
  });
}

after(() => {
  const dir = join(repoRoot, "target", "vector-outputs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "node.json"), outputsFileText(outputs));
});
