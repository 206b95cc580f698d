// Writes crates/core/src/zone/table.rs: every zone name of the system tz database (canonical names and
// backward-compatible aliases) mapped to its CURRENT rule, the POSIX TZ string in the footer of its TZif v2+
// file, deduplicated (600 names share fewer than 100 strings). A footer cannot say everything: Morocco's
// zones are +01 but +00 during Ramadan, which tzdata lists year by year as explicit transitions. So for every
// zone whose explicit transitions disagree with its footer at any instant of the window [2025, 2045) (found
// by comparing the two, no names hard-coded), the table also holds that zone's offset changes in the window,
// deduplicated (Casablanca and El_Aaiun share one list). Other history is left out on purpose: rekindle
// schedules present and future instants (see crates/core/src/zone.rs).
//
// Then it checks the result twice and prints both checks: the model (changes inside the window, footer
// outside) against the TZif data at every transition ±1 s from 2024 to 2046, and, within the window, against
// `zdump -i` for every zone. From the zdump output it writes crates/core/src/zone/zdump.txt, a digest of each
// zone's offset changes in the window, which zone/zdump_tests.rs compares with what the Rust code computes.
//
//   node scripts/gen-zones.mjs [zoneinfo-dir]     (default /usr/share/zoneinfo; Node built-ins and zdump)
//
// The output is committed and rustfmt-clean; rerun after a tzdata update and commit the diff.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const target = join(repoRoot, "crates/core/src/zone/table.rs");
const digestTarget = join(repoRoot, "crates/core/src/zone/zdump.txt");
const root = process.argv[2] ?? "/usr/share/zoneinfo";

/** The window of explicit changes, UTC seconds: [2025-01-01, 2045-01-01). */
const WINDOW_FROM = Date.UTC(2025, 0, 1) / 1000;
const WINDOW_TO = Date.UTC(2045, 0, 1) / 1000;
const DAY = 86400;

// Directories and files under zoneinfo that are not zone names: the POSIX/right duplicate trees, the
// host's own zone, zic's default-rule file, the "Factory" placeholder and tzdata's metadata.
const SKIP_DIRS = new Set(["posix", "right"]);
const SKIP_FILES = new Set(["localtime", "posixrules", "Factory"]);

/**
 * A TZif v2+ file (RFC 8536 §3): its footer (the POSIX TZ string between the last two newlines), the offset
 * before its first transition and its explicit transitions as [UTC seconds, offset after], from the 64-bit
 * data block. Null for a file without the TZif magic.
 */
function tzif(bytes, name) {
  if (bytes.subarray(0, 4).toString("latin1") !== "TZif") return null;
  if (bytes[4] < 0x32) throw new Error(`${name}: TZif version 1 has no footer; need v2+`);
  const counts = (at) => [0, 1, 2, 3, 4, 5].map((i) => bytes.readUInt32BE(at + 20 + 4 * i));
  const [isut, isstd, leap, time, type, char] = counts(0);
  const v1 = 44 + time * 5 + type * 6 + char + leap * 8 + isstd + isut;
  const [, , leap2, time2, type2, char2] = counts(v1);
  if (leap2 !== 0) throw new Error(`${name}: leap seconds in a zone file`);
  let at = v1 + 44;
  const times = [];
  for (let i = 0; i < time2; i++, at += 8) times.push(Number(bytes.readBigInt64BE(at)));
  const typeOf = [...bytes.subarray(at, at + time2)];
  at += time2;
  const offsets = [];
  for (let i = 0; i < type2; i++) offsets.push(bytes.readInt32BE(at + 6 * i));
  if (bytes[bytes.length - 1] !== 0x0a) throw new Error(`${name}: TZif footer does not end with a newline`);
  const start = bytes.lastIndexOf(0x0a, bytes.length - 2);
  if (start < 0) throw new Error(`${name}: no TZif footer`);
  const tz = bytes.subarray(start + 1, bytes.length - 1).toString("latin1");
  if (!/^[\x21-\x7e]+$/.test(tz)) throw new Error(`${name}: unexpected footer ${JSON.stringify(tz)}`);
  void char2;
  return { tz, first: offsets[0], transitions: times.map((t, i) => [t, offsets[typeOf[i]]]), rule: posix(tz, name) };
}

// ---- POSIX TZ strings: the same grammar and semantics as crates/core/src/zone/posix.rs ----

const daysFromCivil = (y, m, d) => Date.UTC(y, m - 1, d) / 1000 / DAY;
const isLeap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** `[+-]hh[:mm[:ss]]` → seconds. */
function hms(text) {
  const m = text.match(/^([+-]?)(\d+)(?::(\d+))?(?::(\d+))?$/);
  if (!m) throw new Error(`bad time ${text}`);
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
}

function posix(tz, name) {
  const NAME = "(?:<[A-Za-z0-9+-]+>|[A-Za-z]+)";
  const OFF = "([+-]?\\d+(?::\\d+){0,2})";
  const CHANGE = ",(J\\d+|\\d+|M\\d+\\.\\d\\.\\d)(?:/([+-]?\\d+(?::\\d+){0,2}))?";
  const m = tz.match(new RegExp(`^${NAME}${OFF}(?:${NAME}${OFF}?${CHANGE}${CHANGE})?$`));
  if (!m) throw new Error(`${name}: unsupported footer ${tz}`);
  const std = -hms(m[1]);
  if (m[3] === undefined) return { std };
  const change = (day, time) => ({ day, time: time === undefined ? 7200 : hms(time) });
  return { std, dst: m[2] === undefined ? std + 3600 : -hms(m[2]), start: change(m[3], m[4]), end: change(m[5], m[6]) };
}

/** Local seconds since the epoch of a change in `year`. */
function localSeconds({ day, time }, year) {
  const jan1 = daysFromCivil(year, 1, 1);
  let d;
  if (day[0] === "J") {
    const n = Number(day.slice(1));
    d = jan1 + n - 1 + (isLeap(year) && n >= 60 ? 1 : 0);
  } else if (day[0] === "M") {
    const [month, week, weekday] = day.slice(1).split(".").map(Number);
    const first = daysFromCivil(year, month, 1);
    d = first + ((weekday - ((first + 4) % 7) + 7) % 7) + 7 * (week - 1);
    const next = month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1);
    while (d >= next) d -= 7;
  } else d = jan1 + Number(day);
  return d * DAY + time;
}

/** The rule's transitions of local years `from..=to` as [UTC seconds, offset after], sorted; a tie goes to DST. */
function ruleTransitions(rule, from, to) {
  const out = [];
  if (rule.dst === undefined) return out;
  for (let y = from; y <= to; y++) {
    out.push([localSeconds(rule.end, y) - rule.dst, rule.std, 0]);
    out.push([localSeconds(rule.start, y) - rule.std, rule.dst, 1]);
  }
  return out.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
}

/** The offset of a piecewise-constant timeline ([t, offset after] sorted) at `t`, `before` ahead of it. */
function offsetIn(list, before, t) {
  let offset = before;
  for (const [at, o] of list) {
    if (at > t) break;
    offset = o;
  }
  return offset;
}

function ruleOffset(rule, t) {
  const year = new Date((t + rule.std) * 1000).getUTCFullYear();
  return offsetIn(ruleTransitions(rule, year - 1, year + 1), rule.std, t);
}

/** What the TZif file says (RFC 8536 §3.2): explicit transitions, the footer after the last one. */
function tzifOffset(z, t) {
  const n = z.transitions.length;
  if (n === 0 || t >= z.transitions[n - 1][0]) return ruleOffset(z.rule, t);
  return offsetIn(z.transitions, z.first, t);
}

/** What table.rs gives: the changes inside the window, the footer outside. */
function modelOffset(z, changes, t) {
  if (changes && WINDOW_FROM <= t && t < WINDOW_TO) return offsetIn(changes, changes[0][1], t);
  return ruleOffset(z.rule, t);
}

/** The instants where either timeline may change, from 2024 to 2046, each with its neighbour 1 s before. */
function probes(z) {
  const lo = WINDOW_FROM - 366 * DAY;
  const hi = WINDOW_TO + 366 * DAY;
  const ts = [WINDOW_FROM, WINDOW_TO, ...z.transitions.map(([t]) => t), ...ruleTransitions(z.rule, 2023, 2047).map(([t]) => t)];
  return ts.filter((t) => lo <= t && t <= hi).flatMap((t) => [t - 1, t]);
}

/** The zone's offset changes in the window, per its TZif file: [WINDOW_FROM, offset then], then each change. */
function windowChanges(z) {
  const out = [[WINDOW_FROM, tzifOffset(z, WINDOW_FROM)]];
  for (const t of probes(z).filter((t) => WINDOW_FROM < t && t < WINDOW_TO).sort((a, b) => a - b)) {
    const o = tzifOffset(z, t);
    if (o !== out[out.length - 1][1] && !out.some(([at]) => at === t)) out.push([t, o]);
  }
  return out;
}

function walk(dir, zones) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const name = relative(root, path);
    if (entry.isDirectory()) {
      if (dir === root && SKIP_DIRS.has(entry.name)) continue;
      walk(path, zones);
    } else if (!(dir === root && SKIP_FILES.has(entry.name))) {
      // Non-TZif files (*.tab, leapseconds, tzdata.zi, SECURITY, …) are skipped by their missing magic.
      const z = tzif(readFileSync(path), name);
      if (z !== null) zones.set(name, z);
    }
  }
}

function tzdataVersion() {
  const zi = join(root, "tzdata.zi");
  if (!existsSync(zi)) return "unknown";
  const line = readFileSync(zi, "utf8").split("\n", 1)[0];
  const m = line.match(/^# version (\S+)/);
  return m ? m[1] : "unknown";
}

/**
 * `zdump -i` for every zone over the window (tzdb ≥ 2018f): name → [offset at WINDOW_FROM, [t, offset]…],
 * changes of abbreviation or isdst alone dropped. Its lines give the local time after each change, so the
 * UTC instant is that reading minus the new offset.
 */
function zdump(names) {
  const out = new Map();
  const text = execFileSync("zdump", ["-i", "-c", "2025,2045", ...names], {
    env: { ...process.env, TZDIR: root },
    maxBuffer: 1 << 28,
  }).toString();
  const seconds = (s) => {
    const m = s.match(/^([+-])(\d\d)(\d\d)?(\d\d)?$/);
    if (!m) throw new Error(`zdump offset ${s}`);
    return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
  };
  let current = null;
  for (const line of text.split("\n")) {
    const zone = line.match(/^TZ="(.*)"$/);
    if (zone) {
      current = { first: null, changes: [] };
      out.set(zone[1], current);
      continue;
    }
    const f = line.split("\t");
    if (current === null || f.length < 3) continue;
    const offset = seconds(f[2]);
    if (f[0] === "-") {
      current.first = offset;
      continue;
    }
    const [y, mo, d] = f[0].split("-").map(Number);
    const [hh, mm = 0, ss = 0] = f[1].split(":").map(Number); // "03", "02:45" or "01:59:59"
    const t = daysFromCivil(y, mo, d) * DAY + hh * 3600 + mm * 60 + ss - offset;
    if (!Number.isInteger(t)) throw new Error(`zdump line ${JSON.stringify(line)}`);
    const last = current.changes.length ? current.changes[current.changes.length - 1][1] : current.first;
    if (offset !== last) current.changes.push([t, offset]);
  }
  return out;
}

/** FNV-1a 64 of `text` (ASCII), as 16 hex digits: zone/zdump_tests.rs computes the same. */
function fnv1a(text) {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

const isoDate = (seconds) => new Date(seconds * 1000).toISOString().slice(0, 10);
const byteOrder = (a, b) => (a < b ? -1 : a > b ? 1 : 0); // ASCII names: UTF-16 order is byte order

const zones = new Map();
walk(root, zones);
const names = [...zones.keys()].sort(byteOrder);
const rules = [...new Set([...zones.values()].map((z) => z.tz))].sort(byteOrder);
const ruleIndex = new Map(rules.map((r, i) => [r, i]));

// Zones whose TZif data and footer disagree somewhere in the window get their changes there.
const changesOf = new Map();
for (const n of names) {
  const z = zones.get(n);
  const inWindow = probes(z).filter((t) => WINDOW_FROM <= t && t < WINDOW_TO);
  if (inWindow.some((t) => tzifOffset(z, t) !== ruleOffset(z.rule, t))) changesOf.set(n, windowChanges(z));
}
const lists = [...new Set([...changesOf.values()].map((c) => JSON.stringify(c)))].sort(byteOrder);
const listIndex = new Map(lists.map((l, i) => [l, i]));

// Check 1: the model against the TZif data at every transition of either, ±1 s, 2024–2046.
let tzifChecks = 0;
for (const n of names) {
  const z = zones.get(n);
  for (const t of probes(z)) {
    if (!(WINDOW_FROM <= t && t < WINDOW_TO) && !changesOf.has(n)) continue;
    tzifChecks++;
    const inside = WINDOW_FROM <= t && t < WINDOW_TO;
    const expected = inside ? tzifOffset(z, t) : ruleOffset(z.rule, t);
    if (modelOffset(z, changesOf.get(n), t) !== expected) throw new Error(`${n} at ${t}: model disagrees with TZif`);
  }
}

// Check 2: the model against zdump within the window, at every change it reports ±1 s and at its start.
const dumped = zdump(names);
let zdumpChecks = 0;
const digests = new Map();
let minGap = Infinity;
for (const n of names) {
  const d = dumped.get(n);
  if (!d || d.first === null) throw new Error(`zdump said nothing about ${n}`);
  const z = zones.get(n);
  const checks = [[WINDOW_FROM, d.first], ...d.changes.flatMap(([t, o], i) => [[t - 1, i ? d.changes[i - 1][1] : d.first], [t, o]])];
  for (const [t, o] of checks.filter(([t]) => WINDOW_FROM <= t && t < WINDOW_TO)) {
    zdumpChecks++;
    if (modelOffset(z, changesOf.get(n), t) !== o) throw new Error(`${n} at ${t}: model says ${modelOffset(z, changesOf.get(n), t)}, zdump ${o}`);
  }
  d.changes.forEach(([t], i) => i && (minGap = Math.min(minGap, t - d.changes[i - 1][0])));
  const digest = fnv1a([d.first, ...d.changes.map(([t, o]) => `${t}:${o}`)].join(","));
  digests.set(digest, [...(digests.get(digest) ?? []), n]);
}
// zdump_tests.rs samples each zone every 6 hours and bisects each change it sees, so it cannot see two
// changes closer than that; none are, and this says so if that ever changes.
if (minGap <= 6 * 3600) throw new Error(`two changes ${minGap} s apart: zdump_tests.rs samples every 6 h`);

// Zone::find falls back to an ASCII case-insensitive match; that must never be ambiguous.
const folded = new Map();
for (const n of names) {
  const k = n.toLowerCase();
  if (folded.has(k)) throw new Error(`zone names ${folded.get(k)} and ${n} differ only in case`);
  folded.set(k, n);
}
if (rules.length > 0xffff) throw new Error("more than 65535 distinct rules");
// table.rs stores a change as (whole hours after the previous one: u16, offset in whole minutes: i16).
const packed = lists.map((l) =>
  JSON.parse(l).map(([t, o], i, all) => {
    const hours = (t - (i ? all[i - 1][0] : WINDOW_FROM)) / 3600;
    if (!Number.isInteger(hours) || hours > 0xffff || o % 60 !== 0) throw new Error(`change ${t} ${o}: not packable`);
    return [hours, o / 60];
  }),
);

// Strings instead of a `&[(&str, u16)]`: a (pointer, length, index) triple costs 12 bytes per name on wasm32 and
// compresses badly; "rest:rule," records cost ~3 and gzip well. Names are grouped by the part up to their last '/'
// ("America/", "America/Argentina/", "" for "UTC"), written once per group: 3.9 KB fewer bytes than whole names.
// Zone::find picks the group by the name's own prefix and bisects its records by bytes. A zone with changes reads
// "rest:rule:changes,".
const wrap = (items, width) => {
  const lines = [];
  let line = "";
  for (const r of items) {
    if (line.length + r.length > width) {
      lines.push(line.trimEnd());
      line = "";
    }
    line += r;
  }
  lines.push(line.trimEnd());
  return lines;
};
const groups = new Map();
for (const n of names) {
  const cut = n.lastIndexOf("/") + 1;
  const c = changesOf.get(n);
  const record = `${n.slice(cut)}:${ruleIndex.get(zones.get(n).tz)}${c ? `:${listIndex.get(JSON.stringify(c))}` : ""},`;
  const prefix = n.slice(0, cut);
  if (!groups.has(prefix)) groups.set(prefix, []);
  groups.get(prefix).push(record);
}
const groupLines = [...groups.keys()].sort(byteOrder).flatMap((prefix) => {
  const lines = wrap(groups.get(prefix), 100);
  return [
    "    (",
    `        ${JSON.stringify(prefix)},`,
    '        "\\',
    ...lines.map((l, i) => `        ${l}${i + 1 < lines.length ? "\\" : '",'}`),
    "    ),",
  ];
});
const version = tzdataVersion();
const out = [
  `//! Generated by \`node scripts/gen-zones.mjs\` from ${root} (tzdata ${version}): do not edit.`,
  "//!",
  `//! ${names.length} zone names (canonical and backward-compatible aliases) → ${rules.length} distinct current rules,`,
  "//! each the POSIX TZ string in the footer of the zone's TZif file. The zones whose footer disagrees with",
  `//! their TZif transitions somewhere in [${isoDate(WINDOW_FROM)}, ${isoDate(WINDOW_TO)}) also get their offset changes`,
  `//! there (${lists.length} distinct lists):`,
  ...wrap([...changesOf.keys()].map((n, i, all) => `${n}${i + 1 < all.length ? ", " : "."}`), 110).map((l) => `//! ${l}`),
  "//! Regenerate after a tzdata update with `node scripts/gen-zones.mjs`, then commit the diff.",
  "",
  "/// Every zone as `(prefix, records)`: the prefix is the name up to its last '/' (\"\" for names without one), the",
  "/// groups sorted by it; the records are `rest:rule,` or `rest:rule:changes,`, sorted by bytes. `rule` indexes",
  "/// [`RULES`], `changes` [`CHANGES`].",
  "pub(super) static GROUPS: &[(&str, &str)] = &[",
  ...groupLines,
  "];",
  "",
  "/// The distinct current rules as POSIX TZ strings, sorted by bytes.",
  "pub(super) static RULES: &[&str] = &[",
  ...rules.map((r) => `    ${JSON.stringify(r)},`),
  "];",
  "",
  `/// UTC seconds \`[from, to)\` over which [\`CHANGES\`] replace the rule: ${isoDate(WINDOW_FROM)}T00:00Z to ${isoDate(WINDOW_TO)}T00:00Z.`,
  `pub(super) const WINDOW: (u32, u32) = (${WINDOW_FROM}, ${WINDOW_TO});`,
  "",
  "/// Offset changes in [`WINDOW`], each `(hours after the previous change, minutes east of UTC from then on)`;",
  "/// the first is `(0, offset at the window's start)`.",
  "pub(super) static CHANGES: &[&[(u16, i16)]] = &[",
  // One change per line, as rustfmt lays the tuples out.
  ...packed.flatMap((l) => ["    &[", ...l.map(([h, m]) => `        (${h}, ${m}),`), "    ],"]),
  "];",
  "",
];
writeFileSync(target, out.join("\n"));
const digestLines = [...digests].map(([d, ns]) => `${d} ${ns.join(" ")}`).sort(byteOrder);
writeFileSync(
  digestTarget,
  [
    `# zdump -i -c 2025,2045 (tzdata ${version}) per zone: FNV-1a 64 of "first,t:offset,…", zone names. Generated by scripts/gen-zones.mjs.`,
    ...digestLines,
    "",
  ].join("\n"),
);
console.log(`wrote ${relative(repoRoot, target)}: ${names.length} zones, ${rules.length} rules, ${lists.length} change list(s) for ${[...changesOf.keys()].join(", ")}`);
console.log(`checked: ${tzifChecks} instants against TZif data (2024–2046), ${zdumpChecks} against zdump (2025–2044), all agree`);
console.log(`wrote ${relative(repoRoot, digestTarget)}: ${digests.size} distinct change sequences; closest changes ${minGap / 3600} h apart`);
