// Compiled playbooks in Node: compilePlaybook writes the bytes `rekindle compile` writes, `new Engine(bytes)` is the
// same engine as `new Engine(json)` (same segments, same decisions), and damaged or foreign bytes are refused with a
// located `bad_compiled` problem — never a crash (docs/playbook.md, "Compiled playbooks").
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Engine, RekindleError, compilePlaybook, version } from "rekindle";
import { examplePlaybook, sampleContacts } from "./contacts.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const NOW = Date.parse("2026-11-26T12:00:00Z");

/** The CLI binary: REKINDLE_BIN, else the newest of target/{debug,release}/rekindle (built by `cargo test`). */
function cliBinary() {
  if (process.env.REKINDLE_BIN) return process.env.REKINDLE_BIN;
  const built = ["debug", "release"].map((p) => join(repoRoot, "target", p, "rekindle")).filter((p) => existsSync(p));
  if (built.length === 0) throw new Error("no rekindle CLI binary: run `cargo build -p rekindle-cli` first (or set REKINDLE_BIN)");
  return built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function refusal(fn) {
  let caught = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RekindleError, `expected a RekindleError, got ${caught}`);
  assert.equal(caught.code, "E_PLAYBOOK_INVALID");
  return caught;
}

for (const name of ["saas", "ecommerce", "reengagement"]) {
  test(`${name}: the compiled engine decides as the JSON engine for every sample contact`, () => {
    const json = examplePlaybook(name);
    const bytes = compilePlaybook(json);
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual([...bytes.subarray(0, 4)], [..."RKPB"].map((c) => c.charCodeAt(0)));
    assert.ok(bytes.length < JSON.stringify(json).length, `${bytes.length} compiled bytes`);
    const fromJson = new Engine(json);
    const fromBytes = new Engine(bytes);
    const fromBuffer = new Engine(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const ids = (engine) => Object.keys(engine.segments(null, { now: NOW }));
    assert.deepEqual(ids(fromBytes), ids(fromJson));
    let decided = 0;
    for (const { events } of sampleContacts().contacts) {
      const a = fromJson.decide(fromJson.fold(null, events), { now: NOW });
      const b = fromBytes.decide(fromBytes.fold(null, events), { now: NOW });
      const c = fromBuffer.decide(fromBuffer.fold(null, events), { now: NOW });
      assert.deepEqual(b, a);
      assert.deepEqual(c, a);
      decided += 1;
    }
    assert.ok(decided > 0, "sample contacts were decided");
    // JSON text compiles to the same bytes as the object.
    assert.deepEqual(compilePlaybook(JSON.stringify(json)), bytes);
  });
}

test("the CLI's `rekindle compile` and compilePlaybook write the same bytes", () => {
  const file = join(repoRoot, "examples", "playbooks", "saas.json");
  const fromCli = execFileSync(cliBinary(), ["compile", "--playbook", file]);
  assert.deepEqual(new Uint8Array(fromCli), compilePlaybook(readFileSync(file, "utf8")));
});

test("compilePlaybook lists every problem of a bad playbook, as new Engine does", () => {
  const bad = { version: 1, signals: { s: { kind: "no_such_kind" } }, segments: { x: { when: { segment: "nope" } } } };
  const compiled = refusal(() => compilePlaybook(bad));
  const engine = refusal(() => new Engine(bad));
  assert.deepEqual(compiled.details.problems, engine.details.problems);
  assert.ok(compiled.details.problems.length >= 2);
  refusal(() => compilePlaybook("{ not json"));
});

test("damaged, truncated and foreign bytes are refused with a located bad_compiled problem", () => {
  const bytes = compilePlaybook(examplePlaybook("saas"));
  const damaged = bytes.slice();
  damaged[100] ^= 0x10;
  for (const [what, input, pattern] of [
    ["damaged", damaged, /checksum mismatch/],
    ["truncated", bytes.subarray(0, bytes.length - 9), /checksum mismatch|truncated/],
    ["JSON bytes", new TextEncoder().encode(JSON.stringify(examplePlaybook("saas"))), /this is JSON: compile it first/],
    ["empty", new Uint8Array(0), /not a compiled rekindle playbook/],
  ]) {
    const err = refusal(() => new Engine(input));
    assert.equal(err.details.problems.length, 1, what);
    assert.equal(err.details.problems[0].code, "bad_compiled", what);
    assert.match(err.message, pattern, what);
  }
  assert.match(version(), /^\d+\.\d+\.\d+/);
});

test("npx rekindle-compile writes the compiled file, lists every problem of a bad playbook, and explains its usage", () => {
  const bin = join(repoRoot, "pkg", "bin", "rekindle-compile.js");
  const dir = mkdtempSync(join(tmpdir(), "rekindle-compile-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(repoRoot, "examples", "playbooks", "ecommerce.json");
  const out = join(dir, "ecommerce.rkp");
  const ok = spawnSync(process.execPath, [bin, input, out], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /ecommerce\.json → .*ecommerce\.rkp \(\d+ bytes\)/);
  assert.deepEqual(new Uint8Array(readFileSync(out)), compilePlaybook(readFileSync(input, "utf8")));

  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ version: 1, signals: { s: { kind: "nope" } }, segments: { x: { when: { segment: "y" } } } }));
  const refused = spawnSync(process.execPath, [bin, bad, join(dir, "bad.rkp")], { encoding: "utf8" });
  assert.equal(refused.status, 3);
  assert.match(refused.stderr, /invalid playbook, 2 problems:/);
  assert.match(refused.stderr, /signals\.s\.kind: .*\[unknown_kind\]/);
  assert.match(refused.stderr, /segments\.x\.when\.segment: .*\[unknown_reference\]/);
  assert.ok(!existsSync(join(dir, "bad.rkp")), "nothing written for a bad playbook");

  const usage = spawnSync(process.execPath, [bin, input], { encoding: "utf8" });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage: rekindle-compile <playbook\.json> <out\.rkp>/);
});

test("engine.topics() gives the preference center's topics and labels from either form of the playbook (D27)", () => {
  const json = examplePlaybook("saas");
  const want = {
    topics: [
      { id: "product", label: "Product news" },
      { id: "webinars", label: "Webinars and events" },
      { id: "tips", label: "Tips and guides" },
    ],
    optIn: false,
  };
  assert.deepEqual(new Engine(json).topics(), want);
  assert.deepEqual(new Engine(compilePlaybook(json)).topics(), want);
  const optIn = { ...json, policy: { ...json.policy, topics_opt_in: true } };
  assert.deepEqual(new Engine(compilePlaybook(optIn)).topics(), { ...want, optIn: true });
  assert.deepEqual(new Engine(examplePlaybook("ecommerce")).topics(), { topics: [], optIn: false });
});
