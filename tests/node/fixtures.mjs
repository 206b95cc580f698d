// Shared inputs for the node tests (not a test file itself: node --test only runs *.test.mjs).
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** 2025-12-01T00:00:00Z */
export const NOW = 1764547200000;
export const DAY = 86_400_000;

/** The playbook of docs/playbook.md. */
export const playbook = Object.freeze({
  version: 1,
  signals: {
    pricing_visit: { kind: "page_view", match: { path: "/pricing*" } },
    blog_visit: { kind: "page_view", match: { path: "/blog/*" } },
    demo_request: { kind: "form_submit", match: { form: "demo" } },
    email_click: { kind: "email_click" },
  },
  scores: {
    fit: {
      max: 50,
      rules: [
        { id: "decision_maker", field: "role", op: "in", value: ["VP", "CTO", "Head of Marketing"], points: 20 },
        { id: "mid_market", field: "company_size", op: "ge", value: 50, points: 15 },
        { id: "student", field: "role", op: "eq", value: "student", points: -30 },
      ],
    },
    intent: {
      max: 100,
      rules: [
        { id: "pricing", signal: "pricing_visit", points: 15, decay: { half_life: "7d" }, expire_after: "30d", cap: 45 },
        { id: "blog", signal: "blog_visit", points: 2, decay: { linear: "14d" }, cap: 10 },
        { id: "demo", signal: "demo_request", points: 40, decay: { half_life: "14d" } },
      ],
    },
  },
  stages: {
    readiness: { on: "intent", warm: 15, hot: 40 },
    mql: { min: { fit: 20, intent: 20 } },
    sql: {
      min: { total: 60 },
      any: [
        { signal: "pricing_visit", within: "7d" },
        { signal: "demo_request", within: "7d" },
      ],
      direct: [{ signal: "demo_request", within: "7d" }],
    },
  },
});

/** A decision maker at a small company who visits pricing twice: fit 20, intent about 25, warm, MQL (total < 60). */
export const events = Object.freeze([
  { id: "e1", at: NOW - 10 * DAY, kind: "profile", props: { role: "CTO", company_size: 30 } },
  { id: "e2", at: NOW - 9 * DAY, kind: "page_view", props: { path: "/blog/lead-scoring" } },
  { id: "e3", at: NOW - 3 * DAY, kind: "page_view", props: { path: "/pricing" } },
  { id: "e4", at: NOW - 2 * DAY, kind: "email_click" },
  { id: "e5", at: NOW - 1 * DAY, kind: "page_view", props: { url: "https://example.com/pricing?plan=team" } },
]);

/**
 * The RekindleError `fn` throws; fails the test on any other outcome (another error, or none). Checked by name, not
 * instanceof: importing the package here would load it into tests that exercise it before init.
 */
export function rekindleError(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err?.name === "RekindleError" && typeof err.code === "string",
      `expected a RekindleError, got ${err?.name}: ${err?.message}`);
    return err;
  }
  return assert.fail("expected a RekindleError, but nothing was thrown");
}

/** The RekindleError `fn` throws, as "CODE path: message" (to compare the whole of it). */
export function failure(fn) {
  const err = rekindleError(fn);
  return `${err.code} ${err.path}: ${err.message}`;
}
