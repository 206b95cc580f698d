// The json-logic-js side of the benchmark: a playbook's fit rules, readiness thresholds and MQL/SQL bars
// translated into JsonLogic rules, and the pre-aggregated per-contact objects they are evaluated over.
//
// What each side computes (so the comparison is fair, and where it is not):
// - rekindle `decide(state, {now})` starts from the folded state bytes and computes fit from the profile, intent
//   with decay, readiness, both bars, stage, reactivation and every reason, and returns it all as a JS object.
// - json-logic-js gets one plain object per contact, aggregated beforehand by `aggregate()` below (plain JS, not
//   json-logic): the profile fields fit rules read (last write wins, strings lower-cased because JsonLogic has no
//   case-insensitive comparison), one count per windowed condition ("pricing_visit within 7d" → how many), and
//   the intent score **as rekindle computed it** (JsonLogic has no exponentials, so it cannot decay). From that
//   it computes fit (sum of matched rule points, clamped), readiness, and whether the MQL and SQL bars hold now.
//   It computes no reasons, no stage history, no reactivation flag.
// - rekindle folds raw events; json-logic never sees an event. `aggregate()` is timed separately.
// Segments (`translateSegments` + `segmentAggregator`, the "segments per event" rows): every segment condition
// of the playbook becomes one JsonLogic rule (segment references inlined), evaluated after each event over a
// plain object that a plain-JS aggregator keeps up to date per contact, event by event (its time is the peer's
// time). The aggregator keeps: the profile fields conditions read (last write wins, strings lower-cased, dates
// as ms), per signal the last K instants that windowed conditions need (K = N for at_least N, N + 1 for at_most N,
// as rekindle keeps), and the first and last instant. At `now` it derives the window counts and first/last ages;
// JsonLogic does the comparisons (windows, ages, anniversaries with `%`, field ops) and the and/or/not.
// Leaves JsonLogic cannot compute are fed with values **rekindle computed** (so they cost the peer nothing):
// `lifecycle` (the re-engagement phase at now, from rekindle's decide), `stage`, `readiness`, `score`.
// `rfm` is not translated (false; rekindle says unknown, so it is never compared). JsonLogic has no unknown:
// a missing field or a short history makes a leaf false there, so memberships are compared only where rekindle's
// answer is true or false (Kleene logic: a decided answer does not depend on how unknown leaves are filled).
//
// Fit rules follow rekindle's three-valued logic as far as JsonLogic allows: every op except exists/missing is
// guarded with "field is set", so a missing field scores 0 as in rekindle. Type mismatches are not modelled
// (the workload has none). Anything this translation does not know is listed in `unsupported`.

const UNITS = { s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a playbook duration ("7d", "36h"). */
export function durationMs(text) {
  const m = /^(\d+)(s|min|h|d|w)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS[m[2]];
}

const lower = (v) => (typeof v === "string" ? v.toLowerCase() : v);
const field = (name) => ({ var: `p.${name}` });
const isSet = (name) => ({ "!=": [field(name), null] });

function fitTest(rule, unsupported) {
  const f = field(rule.field);
  const v = Array.isArray(rule.value) ? rule.value.map(lower) : lower(rule.value);
  switch (rule.op) {
    case "eq": return { "==": [f, v] };
    case "ne": return { "!=": [f, v] };
    case "in": return { in: [f, v] };
    case "not_in": return { "!": { in: [f, v] } };
    case "lt": return { "<": [f, v] };
    case "le": return { "<=": [f, v] };
    case "gt": return { ">": [f, v] };
    case "ge": return { ">=": [f, v] };
    case "contains": return { in: [v, f] };
    case "starts_with": return { "==": [{ substr: [f, 0, v.length] }, v] };
    case "ends_with": return { "==": [{ substr: [f, -v.length] }, v] };
    default:
      unsupported.push(`fit op ${rule.op}`);
      return false;
  }
}

/** Every (signal, within) pair the bars count, in a stable order: the keys of the aggregated `w` counts. */
function windows(playbook) {
  const out = [];
  for (const stage of ["mql", "sql"]) {
    const bar = playbook.stages?.[stage];
    for (const list of ["all", "any", "direct"]) {
      for (const cond of bar?.[list] ?? []) {
        if (cond.signal === undefined || cond.within === undefined) continue;
        const key = `${cond.signal} ${cond.within}`;
        if (!out.some((w) => w.key === key)) out.push({ key, signal: cond.signal, withinMs: durationMs(cond.within) });
      }
    }
  }
  return out;
}

/**
 * JsonLogic rules for a parsed playbook object: `fit` (→ number) and `verdict` (→ [readiness, mql, sql]) over
 * data `{ p: {field: value}, intent, fit, w: [count per window] }`; plus what aggregation needs.
 */
export function translate(playbook) {
  const unsupported = [];
  const fitGroup = playbook.scores?.fit ?? { rules: [] };
  const fitFields = [...new Set(fitGroup.rules.map((r) => r.field))];
  const terms = fitGroup.rules.map((rule) => {
    const test = rule.op === "exists" ? isSet(rule.field)
      : rule.op === "missing" ? { "==": [field(rule.field), null] }
      : { and: [isSet(rule.field), fitTest(rule, unsupported)] };
    return { if: [test, rule.points, 0] };
  });
  let fit = terms.length > 0 ? { "+": terms } : 0;
  if (fitGroup.max !== undefined) fit = { min: [fit, fitGroup.max] };
  if (fitGroup.min !== undefined) fit = { max: [fit, fitGroup.min] };

  const score = { fit: { var: "fit" }, intent: { var: "intent" }, total: { "+": [{ var: "fit" }, { var: "intent" }] } };
  const wins = windows(playbook);
  const cond = (c) => {
    const i = wins.findIndex((w) => w.key === `${c.signal} ${c.within}`);
    if (i < 0) {
      unsupported.push(`condition ${JSON.stringify(c)}`);
      return false;
    }
    return { ">=": [{ var: `w.${i}` }, c.at_least ?? 1] };
  };
  const bar = (b) => {
    if (!b) return false;
    const known = new Set(["min", "all", "any", "direct"]);
    for (const k of Object.keys(b)) if (!known.has(k)) unsupported.push(`bar key ${k}`);
    const musts = [
      ...Object.entries(b.min ?? {}).map(([k, n]) => ({ ">=": [score[k], n] })),
      ...(b.all ?? []).map(cond),
    ];
    if ((b.any ?? []).length > 0) musts.push({ or: b.any.map(cond) });
    const main = musts.length === 0 ? true : musts.length === 1 ? musts[0] : { and: musts };
    const direct = (b.direct ?? []).map(cond);
    return direct.length === 0 ? main : { or: [main, ...direct] };
  };
  const r = playbook.stages?.readiness;
  const readiness = r
    ? { if: [{ ">=": [score[r.on ?? "intent"], r.hot] }, "hot", { ">=": [score[r.on ?? "intent"], r.warm] }, "warm", "cold"] }
    : "cold";
  const verdict = [readiness, bar(playbook.stages?.mql), bar(playbook.stages?.sql)];
  for (const k of Object.keys(playbook.stages ?? {})) {
    if (!["readiness", "mql", "sql"].includes(k)) unsupported.push(`stages.${k}`);
  }
  for (const k of Object.keys(playbook)) {
    if (!["version", "signals", "scores", "stages", "segments"].includes(k)) unsupported.push(`${k} (rekindle decides it, json-logic does not)`);
  }
  return { fit, verdict, fitFields, windows: wins, unsupported };
}

function globRegex(glob) {
  const body = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "i");
}

/** A JS matcher per signal id, for the window counts (kind, `match` globs/values, machine events). */
function matchers(playbook) {
  const out = new Map();
  for (const [id, s] of Object.entries(playbook.signals ?? {})) {
    const tests = Object.entries(s.match ?? {}).map(([prop, want]) =>
      typeof want === "string" ? ((v) => typeof v === "string" && globRegex(want).test(v)) : (v) => v === want);
    const props = Object.keys(s.match ?? {});
    out.set(id, (e) =>
      e.kind === s.kind && (!e.machine || s.include_machine === true) && props.every((p, i) => tests[i](e.props?.[p])));
  }
  return out;
}

/**
 * Aggregates one contact's raw events for json-logic at `now`: profile (fit fields only, last write wins by
 * (at, id), strings lower-cased), window counts, and the intent score given by rekindle.
 */
export function aggregator(playbook, rules, now) {
  const match = matchers(playbook);
  const wins = rules.windows.map((w) => ({ ...w, test: match.get(w.signal) ?? (() => false) }));
  return (events, intent) => {
    const p = {};
    const profile = events.filter((e) => e.kind === "profile")
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const e of profile) {
      for (const f of rules.fitFields) if (e.props && f in e.props) p[f] = lower(e.props[f]);
    }
    for (const f of Object.keys(p)) if (p[f] === null) delete p[f];
    const w = wins.map((win) => {
      let n = 0;
      for (const e of events) if (now - e.at >= 0 && now - e.at < win.withinMs && win.test(e)) n += 1;
      return n;
    });
    return { p, intent, fit: 0, w };
  };
}

// ---- segments ----------------------------------------------------------------------------------------------

const YEAR = 365 * 86_400_000;
const STAGES = ["lead", "mql", "sql", "opportunity", "customer"];
const list = (v) => (Array.isArray(v) ? v : [v]);
const DATE_OPS = new Set(["before", "after", "within_last", "older_than"]);

/**
 * Every segment of a playbook as a JsonLogic rule over `{ now, p, n: [count per window leaf], first: {sig: ms},
 * last: {sig: ms}, lifecycle, stage, stageRank, readiness, score }`, plus what the aggregator must keep.
 */
export function translateSegments(playbook) {
  const unsupported = [];
  const windows = [];          // { signal, withinMs } per windowed leaf, indexed by n[i]
  const keep = new Map();      // signal → how many recent instants to keep
  const fields = new Map();    // field → "date" | "value"
  const rekindle = new Set();  // leaves fed from rekindle: lifecycle, stage, readiness, score
  const defs = playbook.segments ?? {};
  const done = new Map();
  const age = (kind, sig) => ({ "-": [{ var: "now" }, { var: `${kind}.${sig}` }] });
  const known = (kind, sig) => ({ "!=": [{ var: `${kind}.${sig}` }, null] });
  const need = (sig, k) => keep.set(sig, Math.max(keep.get(sig) ?? 0, k));

  const leaf = (c) => {
    if (c.all) return { and: c.all.map(leaf) };
    if (c.any) return { or: c.any.map(leaf) };
    if (c.not) return { "!": leaf(c.not) };
    if (c.segment !== undefined) return segment(c.segment);
    if (c.field !== undefined) {
      const date = DATE_OPS.has(c.op);
      fields.set(c.field, date ? "date" : fields.get(c.field) ?? "value");
      const f = { var: `p.${c.field}` };
      if (c.op === "exists") return isSet(c.field);
      if (c.op === "missing") return { "==": [f, null] };
      const guard = (t) => ({ and: [isSet(c.field), t] });
      if (c.op === "between") return guard({ "<=": [c.value[0], f, c.value[1]] });
      if (date) {
        const old = { "-": [{ var: "now" }, f] };
        switch (c.op) {
          case "before": return guard({ "<": [f, new Date(c.value).getTime()] });
          case "after": return guard({ ">": [f, new Date(c.value).getTime()] });
          case "within_last": return guard({ and: [{ ">=": [old, 0] }, { "<": [old, durationMs(c.value)] }] });
          default: return guard({ ">=": [old, durationMs(c.value)] });
        }
      }
      return guard(fitTest(c, unsupported));
    }
    if (c.signal !== undefined) {
      windows.push({ signal: c.signal, withinMs: durationMs(c.within) });
      const i = windows.length - 1;
      if (c.at_most !== undefined) {
        need(c.signal, c.at_most + 1);
        return { "<=": [{ var: `n.${i}` }, c.at_most] };
      }
      need(c.signal, c.at_least ?? 1);
      return { ">=": [{ var: `n.${i}` }, c.at_least ?? 1] };
    }
    for (const kind of ["last", "first"]) {
      if (c[kind] === undefined) continue;
      need(c[kind], 0);
      const a = age(kind, c[kind]);
      return c.more_than !== undefined
        ? { and: [known(kind, c[kind]), { ">=": [a, durationMs(c.more_than)] }] }
        : { and: [known(kind, c[kind]), { ">=": [a, 0] }, { "<": [a, durationMs(c.less_than)] }] };
    }
    if (c.anniversary !== undefined) {
      need(c.anniversary, 0);
      const a = age("first", c.anniversary);
      return { and: [known("first", c.anniversary), { ">=": [a, YEAR] }, { "<": [{ "%": [a, YEAR] }, durationMs(c.within)] }] };
    }
    if (c.ever !== undefined) { need(c.ever, 0); return known("first", c.ever); }
    if (c.never !== undefined) { need(c.never, 0); return { "==": [{ var: `first.${c.never}` }, null] }; }
    if (c.lifecycle !== undefined) { rekindle.add("lifecycle"); return { in: [{ var: "lifecycle" }, list(c.lifecycle)] }; }
    if (c.stage !== undefined) { rekindle.add("stage"); return { in: [{ var: "stage" }, list(c.stage)] }; }
    if (c.stage_at_least !== undefined) {
      rekindle.add("stage");
      return { ">=": [{ var: "stageRank" }, STAGES.indexOf(c.stage_at_least)] };
    }
    if (c.readiness !== undefined) { rekindle.add("readiness"); return { in: [{ var: "readiness" }, list(c.readiness)] }; }
    if (c.score !== undefined) {
      rekindle.add("score");
      const op = { ge: ">=", gt: ">", le: "<=", lt: "<" }[c.op];
      return { [op]: [{ var: `score.${c.score}` }, c.value] };
    }
    unsupported.push(`segment condition ${JSON.stringify(c).slice(0, 60)}`);
    return false;
  };
  const segment = (id) => {
    if (!done.has(id)) done.set(id, leaf(defs[id].when));
    return done.get(id);
  };
  const rules = Object.keys(defs).map((id) => ({ id, rule: segment(id) }));
  return { rules, windows, keep, fields, rekindle: [...rekindle], unsupported };
}

/**
 * A per-contact aggregator for `translateSegments` rules: `update(event)` folds one event (events arrive in time
 * order), `view(now, fromRekindle)` builds the JsonLogic data object at `now`.
 */
export function segmentAggregator(playbook, seg) {
  const match = matchers(playbook);
  const tracked = [...seg.keep.keys()].map((sig) => ({ sig, test: match.get(sig) ?? (() => false), k: seg.keep.get(sig) }));
  const fields = [...seg.fields];
  return () => {
    const p = {};
    const recent = {};
    const first = {};
    const last = {};
    return {
      update(e) {
        if (e.kind === "profile" && e.props) {
          for (const [f, type] of fields) {
            if (!(f in e.props)) continue;
            const v = e.props[f];
            if (v === null) delete p[f];
            else p[f] = type === "date" ? (typeof v === "number" ? v : new Date(v).getTime()) : lower(v);
          }
        }
        for (const t of tracked) {
          if (!t.test(e)) continue;
          if (first[t.sig] === undefined) first[t.sig] = e.at;
          last[t.sig] = e.at;
          if (t.k > 0) {
            const r = (recent[t.sig] ??= []);
            r.push(e.at);
            if (r.length > t.k) r.shift();
          }
        }
      },
      view(now, fromRekindle = {}) {
        const n = seg.windows.map((w) => {
          let c = 0;
          for (const t of recent[w.signal] ?? []) if (now - t >= 0 && now - t < w.withinMs) c += 1;
          return c;
        });
        return { now, p, n, first, last, ...fromRekindle };
      },
    };
  };
}
