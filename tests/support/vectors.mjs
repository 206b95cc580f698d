// Runs one shared vector (tests/vectors/<area>/<behaviour>.json) against the rekindle facade.
//
// Pure ESM with no imports at all: the same file runs in Node, is imported by a page in headless
// Chromium and is bundled into workerd. Reading the vector files is the caller's job
// (tests/support/load-vectors.mjs in Node); a vector reaches runVector with its playbook resolved.
//
// The rules mirror crates/core/tests/vectors.rs exactly, so every runtime judges a vector the same way
// and produces the same canonical string (the cross-runtime byte-identity check compares them).

/** Relative tolerance for fractional numbers: |actual − expected| ≤ 1e-9 · max(1, |expected|); whole numbers match exactly. */
export const NUMBER_TOLERANCE = 1e-9;

/**
 * Compares `actual` against the partial `expected` and returns every mismatch as a sentence.
 * Objects compare only the listed keys; arrays need equal length and match element-wise; numbers match
 * within NUMBER_TOLERANCE (relative); everything else must be equal.
 *
 * @example partialMatch({ scores: { intent: 5 } }, { scores: { intent: 5.1, fit: 0 } })
 *          // → ["scores.intent: expected 5, got 5.1"]
 * @param {unknown} expected
 * @param {unknown} actual
 * @param {string} [path] where `actual` sits, used as the prefix of each message
 * @returns {string[]}
 */
export function partialMatch(expected, actual, path = "") {
  const where = path === "" ? "(root)" : path;
  if (typeof expected === "number") {
    if (typeof actual !== "number") return [`${where}: expected ${show(expected)}, got ${show(actual)}`];
    // Whole numbers (instants, counts, points) must match exactly: 1e-9 relative of an epoch-ms instant is
    // almost two seconds. Fractions (decayed scores) get the tolerance.
    const close = Number.isInteger(expected)
      ? actual === expected
      : Math.abs(actual - expected) <= NUMBER_TOLERANCE * Math.max(1, Math.abs(expected));
    return close ? [] : [`${where}: expected ${show(expected)}, got ${show(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${where}: expected an array, got ${show(actual)}`];
    if (actual.length !== expected.length) {
      return [`${where}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`];
    }
    return expected.flatMap((item, i) => partialMatch(item, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${where}: expected an object, got ${show(actual)}`];
    }
    return Object.keys(expected).flatMap((key) => {
      const child = path === "" ? key : `${path}.${key}`;
      if (!Object.prototype.hasOwnProperty.call(actual, key)) return [`${child}: expected ${show(expected[key])}, got nothing (missing)`];
      return partialMatch(expected[key], actual[key], child);
    });
  }
  return expected === actual ? [] : [`${where}: expected ${show(expected)}, got ${show(actual)}`];
}

/**
 * Compares a thrown error against `expectError`: `code` exact, `path` exact when listed, `problems` as a set
 * of (path, code) pairs that must equal the error's own set.
 * @param {{code: string, path?: string|null, problems?: {path: string, code: string}[]}} expected
 * @param {{code: string, path: string|null, problems: {path: string, code: string}[]}} actual canonical error
 * @returns {string[]}
 */
export function errorMatch(expected, actual) {
  const failures = [];
  if (actual.code !== expected.code) failures.push(`code: expected ${show(expected.code)}, got ${show(actual.code)}`);
  if ("path" in expected && actual.path !== expected.path) {
    failures.push(`path: expected ${show(expected.path)}, got ${show(actual.path)}`);
  }
  if ("problems" in expected) {
    const pair = (p) => `${p.path} ${p.code}`;
    const want = new Set(expected.problems.map(pair));
    const got = new Set(actual.problems.map(pair));
    for (const p of want) if (!got.has(p)) failures.push(`problems: missing (${p})`);
    for (const p of got) if (!want.has(p)) failures.push(`problems: unexpected (${p})`);
  }
  return failures;
}

/**
 * The canonical, cross-runtime form of a thrown RekindleError.
 * @returns {{code: string, path: string|null, message: string, problems: {path: string, code: string, message: string}[]}}
 */
export function canonicalError(error) {
  const problems = error?.details?.problems ?? [];
  return {
    code: error?.code,
    path: error?.path ?? null,
    message: error?.message,
    problems: problems.map((p) => ({ path: p.path, code: p.code, message: p.message })),
  };
}

/**
 * Runs one vector: builds an Engine from `input.playbook`, evaluates `input.events` at `input.now`, checks the
 * decision against `expect` (or the thrown error against `expectError`), and checks that
 * decide(fold(events)) gives the same decision as evaluate(events). The engine is always freed.
 *
 * @param {{Engine: Function, RekindleError: Function}} rekindle the facade module (after `await init()`)
 * @param {object} vector a parsed vector whose playbook is an object, or compiled bytes as base64 in
 *   `input.compiled` (compiledVectors in load-vectors.mjs)
 * @returns {{canonical: string, ok: boolean, failures: string[]}}
 */
export function runVector(rekindle, vector) {
  const { input } = vector;
  if (typeof input.compiled === "string") {
    // A compiled playbook (compiledVectors in load-vectors.mjs): the form the browser and edge builds read.
    const text = atob(input.compiled);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return runVector(rekindle, { ...vector, input: { ...input, compiled: undefined, playbook: bytes } });
  }
  if (typeof input.playbook === "string") {
    throw new TypeError(`runVector: resolve the playbook path ${JSON.stringify(input.playbook)} before running (see resolveVector)`);
  }
  const failures = [];
  let decision;
  let thrown;
  let engine;
  try {
    engine = new rekindle.Engine(input.playbook);
    if (input.events === undefined || input.now === undefined) {
      failures.push("the playbook loaded, but the vector gives no events/now to evaluate");
    } else {
      decision = engine.evaluate(input.events, { now: input.now });
      const viaState = engine.decide(engine.fold(null, input.events), { now: input.now });
      if (JSON.stringify(viaState) !== JSON.stringify(decision)) {
        failures.push(`decide(fold(events)) differs from evaluate(events): ${JSON.stringify(viaState)}`);
      }
    }
  } catch (error) {
    thrown = error;
  } finally {
    engine?.free();
  }

  if (thrown !== undefined && !(thrown instanceof rekindle.RekindleError)) {
    failures.push(`threw a ${thrown?.name ?? typeof thrown}, not a RekindleError: ${thrown?.message ?? String(thrown)}`);
  }
  if (thrown !== undefined) {
    const error = canonicalError(thrown);
    if (vector.expectError !== undefined) failures.push(...errorMatch(vector.expectError, error));
    else failures.push(`expected a decision, got ${error.code} at ${error.path}: ${error.message}`);
    return { canonical: JSON.stringify(error), ok: failures.length === 0, failures };
  }
  if (vector.expectError !== undefined) {
    failures.push(`expected error ${vector.expectError.code}, got ${decision === undefined ? "no error" : "a decision"}`);
  } else if (decision !== undefined) {
    failures.push(...partialMatch(vector.expect, decision));
  }
  return { canonical: decision === undefined ? "null" : JSON.stringify(decision), ok: failures.length === 0, failures };
}

/**
 * Replaces a playbook given as a repository-relative path with the parsed file, using the caller's reader
 * (fs in Node, fetch in a page). Returns a new vector; the input is not modified.
 * @param {object} vector
 * @param {(relativePath: string) => object | Promise<object>} loadJson
 */
export async function resolveVector(vector, loadJson) {
  if (typeof vector.input.playbook !== "string") return vector;
  const playbook = await loadJson(vector.input.playbook);
  return { ...vector, input: { ...vector.input, playbook } };
}

/**
 * The text of target/vector-outputs/<runtime>.json: keys sorted, two-space indent, trailing newline.
 * crates/core/tests/vectors.rs writes the very same bytes for the Rust runtime.
 * @param {Record<string, string>} outputs vector name → canonical string
 */
export function outputsFileText(outputs) {
  const sorted = {};
  for (const key of Object.keys(outputs).sort()) sorted[key] = outputs[key];
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

function show(value) {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
