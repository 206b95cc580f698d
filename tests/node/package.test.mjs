// What `npm pack` puts in the tarball must stand on its own in node_modules: the licences the `license` field
// names, the docs the README and the .d.ts files point to, every file the exports map names, a repository and a
// homepage, and an `engines` range that says what the README says.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { repoRoot } from "./fixtures.mjs";

const pkgDir = join(repoRoot, "pkg");
const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
let packed; // the tarball's paths, from npm pack --dry-run

before(() => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkgDir, encoding: "utf8" });
  packed = new Set(JSON.parse(out)[0].files.map((f) => f.path));
});

test("the tarball ships both licences of MIT OR Apache-2.0, naming the rekindle authors", () => {
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  for (const file of ["LICENSE-MIT", "LICENSE-APACHE"]) assert.ok(packed.has(file), `${file} is packed`);
  assert.match(readFileSync(join(pkgDir, "LICENSE-MIT"), "utf8"), /^Copyright \(c\) \d{4} The rekindle authors$/m);
  assert.match(readFileSync(join(pkgDir, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0, January 2004/);
});

test("every docs/*.md the package README and .d.ts files mention is in the tarball", () => {
  const texts = [...packed].filter((p) => p === "README.md" || p.endsWith(".d.ts")).map((p) => readFileSync(join(pkgDir, p), "utf8"));
  const mentioned = new Set(texts.flatMap((text) => [...text.matchAll(/\bdocs\/[a-z-]+\.md\b/g)].map((m) => m[0])));
  assert.ok(mentioned.has("docs/playbook.md"), "the README points to docs/playbook.md");
  for (const doc of mentioned) assert.ok(packed.has(doc), `${doc} is mentioned but not packed`);
  assert.doesNotMatch(texts.join("\n"), /the repository's `?docs\//, "docs are in the package, not only in the repository");
});

test("every file the exports map names is in the tarball", () => {
  const targets = [];
  const walk = (v) => (typeof v === "string" ? targets.push(v) : Object.values(v).forEach(walk));
  walk(manifest.exports);
  targets.push(manifest.types);
  for (const target of targets) assert.ok(packed.has(target.replace(/^\.\//, "")), `${target} is not packed`);
});

test("repository and homepage point at the workspace's repository (Cargo.toml)", () => {
  const cargo = readFileSync(join(repoRoot, "Cargo.toml"), "utf8").match(/^repository = "(.+)"$/m)?.[1];
  assert.ok(cargo, "Cargo.toml has a workspace repository");
  assert.equal(manifest.repository.url, `git+${cargo}.git`);
  assert.equal(manifest.repository.directory, "pkg");
  assert.ok(manifest.homepage.startsWith(cargo), manifest.homepage);
});

test("engines.node and the README's runtime table give the same minimum Node", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const row = readme.match(/^\| Node ≥ ([\d.]+) \| `rekindle` → `node\.js`/m);
  assert.ok(row, "README's runtime table has a Node ≥ x row");
  assert.equal(manifest.engines.node, `>=${row[1]}`);
  assert.ok(readFileSync(join(pkgDir, "README.md"), "utf8").includes(`Node ≥ ${row[1]}.`), "pkg/README.md says the same");
});
