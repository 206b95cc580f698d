// Retention analytics (Node entry only, issue 8): an order log analysed by the core — RFM, BG/NBD, Gamma-Gamma,
// CLV, churn alerts, win-back priority, KPIs — the same analysis `rekindle plan` reports. This file only moves
// arguments: orders as an array of objects, the playbook and the options go as tapes (./tape.js; the core locates
// every problem); columns go as typed arrays, customer ids as one string joined by U+0000.
import { call, describe, inputError, internals, objectArg } from "./facade.js";
import { encodeTape } from "./tape.js";

const OPTION_KEYS = ["now", "unit", "negativeRatings", "owners", "statedReasons", "winbackStarts", "npsAnswers", "referrals",
  "playbook"];

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

function floats(value, path, at, what = "a number") {
  if (value instanceof Float64Array) return value;
  if (!Array.isArray(value)) throw inputError(path, `expected an array of numbers or a Float64Array, got ${describe(value)}`);
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    // A non-number is named as what it is: coerced to NaN, the core could only say "got NaN".
    if (typeof value[i] !== "number") throw inputError(at(i), `expected ${what}, got ${describe(value[i])}`);
    out[i] = value[i];
  }
  return out;
}

const COLUMNS = ["customer", "at", "amount", "id", "currency"];

/**
 * Columns with order ids, currencies or instants as text, transposed to the object form: the core has one
 * parser for those (RFC 3339, one currency, repeated ids), so both forms give the same answer and messages.
 */
function transpose(columns) {
  const n = Array.isArray(columns.customer) ? columns.customer.length : 0;
  for (const key of COLUMNS) {
    const col = columns[key];
    if (col === undefined) continue;
    const typed = (key === "at" || key === "amount") && col instanceof Float64Array;
    if (!Array.isArray(col) && !typed) throw inputError(`transactions.${key}`, `expected an array, got ${describe(col)}`);
    if (col.length !== n) throw inputError(`transactions.${key}`, `expected ${n} values, one per customer entry, got ${col.length}`);
  }
  return Array.from({ length: n }, (_, i) => {
    const order = {};
    for (const key of COLUMNS) if (columns[key] !== undefined) order[key] = columns[key][i];
    return order;
  });
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
 * `{ customer, at, amount?, id?, currency? }` or columns `{ customer: ids[], at: (number | string)[] |
 * Float64Array, amount?, id?, currency? }`. Numeric columns cross as typed arrays; columns with ids, currencies
 * or RFC 3339 text are passed as objects, so the core reads both forms with one parser.
 * Options: `unit` (the models' time unit, whole days, e.g. "7d"), `negativeRatings` ([{ customer, at }]),
 * `owners` ([{ customer, owner }]), `statedReasons` ([{ customer, reason, at? }]), `winbackStarts`
 * ([{ customer, at }]: win-back campaign starts, measured in `winback`), `playbook` (its `retention` section: cells, thresholds, horizon; default rules without).
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
  for (const key of Object.keys(transactions)) {
    if (!COLUMNS.includes(key)) throw inputError(`transactions.${key}`, `unknown column; the columns are ${COLUMNS.join(", ")}`);
  }
  const { at: instants, id, currency } = transactions;
  if (id !== undefined || currency !== undefined || (Array.isArray(instants) && instants.some((t) => typeof t === "string"))) {
    customerColumn(transactions.customer); // its messages, before the transposition
    const tape = encodeTape(transpose(transactions), "transactions", inputError);
    return call(() => internals.gen().retention(playbook, tape, now, rest));
  }
  const { names, customer } = customerColumn(transactions.customer);
  const at = floats(instants, "transactions.at", (i) => `transactions[${i}].at`, "epoch milliseconds or an RFC 3339 string");
  const amount = transactions.amount === undefined
    ? undefined
    : floats(transactions.amount, "transactions.amount", (i) => `transactions[${i}].amount`);
  return call(() => internals.gen().retentionColumns(playbook, names, customer, at, amount, now, rest));
}

/**
 * BG/NBD and Gamma-Gamma fitted on summaries (lifetimes' `frequency`, `recency`, `T`, `monetary_value`), as
 * arrays or Float64Arrays: `{ bgnbd, gammaGamma }`, each `{ status: "fitted", params, … }` or
 * `{ status: "unfit", code, message }` (gammaGamma is null without `monetary`).
 */
export function fitRetention(summaries) {
  const { frequency, recency, T, monetary } = objectArg(summaries, "summaries", "{ frequency, recency, T, monetary }");
  const x = floats(frequency, "frequency", (i) => `frequency[${i}]`);
  const tx = floats(recency, "recency", (i) => `recency[${i}]`);
  const age = floats(T, "T", (i) => `T[${i}]`);
  const m = monetary === undefined ? undefined : floats(monetary, "monetary", (i) => `monetary[${i}]`);
  return call(() => internals.gen().fitRetention(x, tx, age, m));
}
