// Retention analytics (Node entry only, issue 8): an order log analysed by the core — RFM, BG/NBD, Gamma-Gamma,
// CLV, churn alerts, win-back priority, KPIs — the same analysis `rekindle plan` reports. This file only moves
// arguments: orders as an array of objects, the playbook and the options go as tapes (./tape.js; the core locates
// every problem); columns go as typed arrays, customer ids as one string joined by U+0000.
import { call, describe, inputError, internals, objectArg } from "./facade.js";
import { encodeTape } from "./tape.js";

const OPTION_KEYS = ["now", "unit", "negativeRatings", "playbook"];

function splitOptions(options) {
  if (options === undefined) return { now: Date.now(), playbook: undefined, rest: encodeTape({}, "options", inputError).slice() };
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw inputError("options", `expected an options object like { now }, got ${describe(options)}`);
  }
  const { now = Date.now(), playbook } = options;
  const rest = {};
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw inputError(`options.${key}`, `unknown option; the options are ${OPTION_KEYS.join(", ")}`);
    }
    if (key !== "now" && key !== "playbook" && options[key] !== undefined) rest[key] = options[key];
  }
  if (typeof now !== "number" || !Number.isSafeInteger(now)) {
    throw inputError("options.now", `expected whole epoch milliseconds like Date.now(), got ${describe(now)}`);
  }
  let pb = playbook;
  if (typeof playbook === "string") {
    try {
      pb = JSON.parse(playbook);
    } catch (err) {
      throw inputError("options.playbook", `expected a playbook object or JSON text (${err.message})`);
    }
  }
  // encodeTape reuses one buffer: copy each tape before the next is encoded.
  const tape = pb === undefined ? undefined : encodeTape(pb, "playbook", inputError).slice();
  return { now, playbook: tape, rest: encodeTape(rest, "options", inputError).slice() };
}

function floats(value, path) {
  if (value instanceof Float64Array) return value;
  if (Array.isArray(value)) return Float64Array.from(value, (v) => (typeof v === "number" ? v : Number.NaN));
  throw inputError(path, `expected an array of numbers or a Float64Array, got ${describe(value)}`);
}

/** Customer ids → (one joined string of distinct ids, index per order). */
function customerColumn(ids) {
  if (!Array.isArray(ids)) throw inputError("transactions.customer", `expected an array of ids, got ${describe(ids)}`);
  const index = new Map();
  const names = [];
  const customer = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const raw = ids[i];
    const id = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof id !== "string" || id === "" || id.includes("\u0000")) {
      throw inputError(`transactions[${i}].customer`, "expected a customer id (a non-empty string without U+0000)");
    }
    let k = index.get(id);
    if (k === undefined) {
      k = names.length;
      names.push(id);
      index.set(id, k);
    }
    customer[i] = k;
  }
  return { names: names.join("\u0000"), customer };
}

/**
 * Analyses an order log at `options.now` (default Date.now()). `transactions` is an array of
 * `{ customer, at, amount? }` or columns `{ customer: ids[], at: number[] | Float64Array, amount? }`.
 * Options: `unit` (the models' time unit, whole days, e.g. "7d"), `negativeRatings` ([{ customer, at }]),
 * `playbook` (its `retention` section: cells, thresholds, horizon; default rules without).
 */
export function retention(transactions, options) {
  const { now, playbook, rest } = splitOptions(options);
  if (Array.isArray(transactions)) {
    const tape = encodeTape(transactions, "transactions", inputError);
    return call(() => internals.gen().retention(playbook, tape, now, rest));
  }
  if (transactions === null || typeof transactions !== "object") {
    throw inputError("transactions", `expected an array of orders or columns { customer, at, amount }, got ${describe(transactions)}`);
  }
  const { names, customer } = customerColumn(transactions.customer);
  const at = floats(transactions.at, "transactions.at");
  const amount = transactions.amount === undefined ? undefined : floats(transactions.amount, "transactions.amount");
  return call(() => internals.gen().retentionColumns(playbook, names, customer, at, amount, now, rest));
}

/**
 * BG/NBD and Gamma-Gamma fitted on summaries (lifetimes' `frequency`, `recency`, `T`, `monetary_value`), as
 * arrays or Float64Arrays: `{ bgnbd, gammaGamma }`, each `{ status: "fitted", params, … }` or
 * `{ status: "unfit", code, message }` (gammaGamma is null without `monetary`).
 */
export function fitRetention(summaries) {
  const { frequency, recency, T, monetary } = objectArg(summaries, "summaries", "{ frequency, recency, T, monetary }");
  const x = floats(frequency, "frequency");
  const tx = floats(recency, "recency");
  const age = floats(T, "T");
  const m = monetary === undefined ? undefined : floats(monetary, "monetary");
  return call(() => internals.gen().fitRetention(x, tx, age, m));
}
