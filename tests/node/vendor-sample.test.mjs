// examples/data/gen-vendor-sample.mjs is deterministic and the committed samples are its output: regenerating
// into a temporary directory gives the same bytes, file for file (crates/cli/tests/examples.rs then plans them).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./fixtures.mjs";

for (const sample of ["b2b", "shop"]) {
  test(`the committed ${sample} sample is what the seeded generator writes`, () => {
    const dir = mkdtempSync(join(tmpdir(), `rekindle-${sample}-`));
    try {
      const size = { b2b: "130", shop: "132" }[sample];
      execFileSync(process.execPath, ["examples/data/gen-vendor-sample.mjs", sample, size, dir], { cwd: repoRoot, stdio: "pipe" });
      const committed = join(repoRoot, "examples", "data", sample);
      const names = readdirSync(committed).sort();
      assert.deepEqual(readdirSync(dir).sort(), names);
      for (const name of names) {
        const same = readFileSync(join(dir, name)).equals(readFileSync(join(committed, name)));
        assert.ok(same, `${sample}/${name} differs from a fresh run: regenerate with node examples/data/gen-vendor-sample.mjs`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
