// Loads the shared vectors from tests/vectors (Node only: it reads the file system).
//
// Every file is shape-checked before it is used, so a typo in a vector fails loudly with the file's
// name instead of silently comparing nothing. crates/core/tests/vectors.rs applies the same checks.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const VECTOR_KEYS = ["description", "domain", "input", "expect", "expectError"];
const INPUT_KEYS = ["playbook", "events", "now"];
const EXPECT_ERROR_KEYS = ["code", "path", "problems"];
const PROBLEM_KEYS = ["path", "code"];

/**
 * Every vector under `<repoRoot>/tests/vectors`, sorted by name, with string playbooks replaced by the parsed
 * file they name (relative to the repository root).
 * @param {string} repoRoot
 * @returns {{name: string, vector: object}[]} name like "decay/half-life-halves-points-after-one-half-life.json"
 */
export function loadVectors(repoRoot) {
  const dir = join(repoRoot, "tests", "vectors");
  const playbooks = new Map();
  return listJson(dir)
    .map((file) => relative(dir, file).split(sep).join("/"))
    .sort()
    .map((name) => {
      const vector = parse(join(dir, name), name);
      checkVectorShape(vector, name);
      const ref = vector.input.playbook;
      if (typeof ref === "string") {
        if (!playbooks.has(ref)) playbooks.set(ref, parse(join(repoRoot, ref), `${name} → ${ref}`));
        vector.input.playbook = playbooks.get(ref);
      }
      return { name, vector };
    });
}

/**
 * The vectors as the browser and edge builds take them: each playbook compiled in Node (`compilePlaybook`, the
 * build step a site runs) and carried as base64 in `input.compiled` (JSON-safe for page.evaluate and a POST body);
 * runVector builds the Engine from those bytes. A vector whose playbook does not compile expects that refusal
 * (E_PLAYBOOK_INVALID): it is answered at compile time, by Node and Rust, so it is left out here — tests/cross-runtime.mjs
 * checks that exactly those are missing from the browser and workerd outputs.
 * @param {{name: string, vector: object}[]} vectors from loadVectors
 * @returns {Promise<{name: string, vector: object}[]>}
 */
export async function compiledVectors(vectors) {
  const { compilePlaybook, RekindleError } = await import("rekindle");
  const compiled = new Map();
  const out = [];
  for (const { name, vector } of vectors) {
    const { playbook, ...rest } = vector.input;
    if (!compiled.has(playbook)) {
      try {
        compiled.set(playbook, Buffer.from(compilePlaybook(playbook)).toString("base64"));
      } catch (err) {
        if (!(err instanceof RekindleError) || err.code !== "E_PLAYBOOK_INVALID") throw err;
        compiled.set(playbook, null);
      }
    }
    const bytes = compiled.get(playbook);
    if (bytes === null) {
      if (vector.expectError?.code !== "E_PLAYBOOK_INVALID") {
        throw new Error(`tests/vectors/${name}: its playbook does not compile, but the vector does not expect E_PLAYBOOK_INVALID`);
      }
      continue;
    }
    out.push({ name, vector: { ...vector, input: { ...rest, compiled: bytes } } });
  }
  return out;
}

/**
 * Throws an Error naming `name` when `vector` is not a well-formed vector: the required keys, exactly one of
 * expect / expectError, and no unknown keys.
 * @param {unknown} vector
 * @param {string} name
 */
export function checkVectorShape(vector, name) {
  const fail = (why) => {
    throw new Error(`tests/vectors/${name}: ${why}`);
  };
  if (!isObject(vector)) fail("a vector must be a JSON object");
  unknownKeys(vector, VECTOR_KEYS, "", fail);
  if (typeof vector.description !== "string" || vector.description.trim() === "") fail("description must be a non-empty string");
  if (!Array.isArray(vector.domain) || vector.domain.length === 0 || !vector.domain.every((d) => /^D[1-9][0-9]*$/.test(d))) {
    fail('domain must be a non-empty array of DOMAIN ids like "D16"');
  }
  if (!isObject(vector.input)) fail("input must be an object");
  unknownKeys(vector.input, INPUT_KEYS, "input.", fail);
  const { playbook, events, now } = vector.input;
  if (typeof playbook !== "string" && !isObject(playbook)) fail("input.playbook must be an object or a repository-relative path");
  if (events !== undefined && !Array.isArray(events)) fail("input.events must be an array");
  if (now !== undefined && !Number.isInteger(now)) fail("input.now must be an integer number of milliseconds");
  const hasExpect = "expect" in vector;
  const hasError = "expectError" in vector;
  if (hasExpect === hasError) fail("give exactly one of expect and expectError");
  if (hasExpect) {
    if (!isObject(vector.expect)) fail("expect must be an object (a partial decision)");
    if (events === undefined || now === undefined) fail("a decision vector needs input.events and input.now");
  } else {
    const e = vector.expectError;
    if (!isObject(e)) fail("expectError must be an object");
    unknownKeys(e, EXPECT_ERROR_KEYS, "expectError.", fail);
    if (typeof e.code !== "string") fail("expectError.code must be a string");
    if ("path" in e && e.path !== null && typeof e.path !== "string") fail("expectError.path must be a string or null");
    if ("problems" in e) {
      if (!Array.isArray(e.problems)) fail("expectError.problems must be an array");
      e.problems.forEach((p, i) => {
        if (!isObject(p)) fail(`expectError.problems[${i}] must be an object`);
        unknownKeys(p, PROBLEM_KEYS, `expectError.problems[${i}].`, fail);
        if (typeof p.path !== "string" || typeof p.code !== "string") fail(`expectError.problems[${i}] needs string path and code`);
      });
    }
  }
}

function listJson(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listJson(full);
    return entry.name.endsWith(".json") ? [full] : [];
  });
}

function parse(file, label) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`tests/vectors/${label}: ${error.message}`);
  }
}

function unknownKeys(object, known, prefix, fail) {
  for (const key of Object.keys(object)) if (!known.includes(key)) fail(`unknown key ${prefix}${key}`);
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
