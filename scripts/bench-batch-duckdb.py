"""The DuckDB peer of `npm run bench:batch` (scripts/bench-batch.mjs): lifecycle states and three windowed
segments of examples/playbooks/saas.json in SQL, over the same contacts.csv + events.ndjson that `rekindle plan`
reads. Run by the bench in its own venv (target/bench-venv); prints one JSON line on stdout:
{"duckdb": version, "seconds": s, "contacts": n, "lifecycle": {state: n}, "sample": {contact: [state, [segments]]}}.

Usage: python bench-batch-duckdb.py <contacts.csv> <events.ndjson> <now epoch ms> <sample ids file> <threads>

What the SQL computes, with saas.json's durations (sales_cycle 90d → cooling 90d, cold 180d; manual reactivation;
soft reactivation 14d; break-up 72h; erase_on spam_trap), following docs/playbook.md § lifecycle:
  E = the last engagement at or before now (page view, form submit, CTA click, email click / reply, SMS reply,
      purchase, webinar registered / attended, subscribe, preferences, a person's open), else the contact's
      first instant (created_at or its first event);
  erased when an erasure_request or a spam-trap bounce came; else active while now < E + 90d, cooling while
  now < E + 180d; then cold, unless a reactivation_started arrived while cold (at ≥ E + 180d): soft reactivation
  for 14d from the first such event, break-up for the next 72h, archived afterwards.
What it does not model (rekindle does; the generated data never needs it, which the sample check confirms):
  ghost opens (D2: a person open after 5 opens without a click for 90d is not engagement), archived being terminal
  except for an explicit opt-in (a later page view or click does not reactivate), erased ignoring later events,
  and late or future-stamped events.
Segments: pricing_intent (≥ 2 page views of /pricing* in the last 7d; the path from `url` when `path` is
absent), content_readers (≥ 3 page views of /blog/* in the last 30d and not pricing_intent), reactivation_pool
(lifecycle cold). A window of N days holds t when 0 ≤ now − t < N days. Erased contacts are in no segment.
"""

import json
import sys
import time

import duckdb

DAY = 86_400_000
COOL, COLD, SOFT, BREAK = 90 * DAY, 180 * DAY, 14 * DAY, 3 * DAY

ENGAGEMENT = (
    "page_view", "form_submit", "cta_click", "email_click", "email_reply", "sms_reply", "purchase",
    "webinar_registered", "webinar_attended", "subscribe", "preferences",
)


def main():
    contacts, events, now, sample_file, threads = sys.argv[1:6]
    now = int(now)
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    engagement = ", ".join(f"'{k}'" for k in ENGAGEMENT)
    started = time.perf_counter()
    # Contacts: deduplicated by normalised email; the export id when a row has one, else the email (as rekindle).
    con.execute(f"""
        CREATE TABLE contacts AS
        SELECT lower(trim(email)) AS email, max(nullif(trim(id), '')) AS id,
               min(epoch_ms(nullif(trim(created_at), '')::TIMESTAMPTZ)) AS created_ms
        FROM read_csv('{contacts}', header = true, all_varchar = true)
        GROUP BY 1
    """)
    con.execute("CREATE TABLE names AS SELECT coalesce(id, email) AS key, id, email FROM contacts")
    # Events name their contact by id, else by email in any case (as rekindle's roster).
    con.execute(f"""
        CREATE TABLE ev AS
        WITH raw AS (
            SELECT contact, epoch_ms("at"::TIMESTAMPTZ) AS t, kind, coalesce(machine, false) AS machine,
                   props->>'path' AS path, props->>'url' AS url, props->>'type' AS btype
            FROM read_ndjson('{events}', columns = {{contact: 'VARCHAR', "at": 'VARCHAR', kind: 'VARCHAR',
                                                     machine: 'BOOLEAN', props: 'JSON'}})
        )
        SELECT coalesce(by_id.key, by_email.key) AS key, t, kind, machine, btype,
               CASE WHEN kind = 'page_view' THEN lower(coalesce(path, CASE
                   WHEN url IS NULL THEN NULL
                   WHEN strpos(split_part(split_part(url, '#', 1), '?', 1), '://') > 0 THEN coalesce(nullif(
                       regexp_extract(split_part(split_part(url, '#', 1), '?', 1), '^.*?://[^/]*(/.*)?$', 1), ''), '/')
                   WHEN starts_with(split_part(split_part(url, '#', 1), '?', 1), '/')
                       THEN split_part(split_part(url, '#', 1), '?', 1)
               END)) END AS path
        FROM raw
        LEFT JOIN names AS by_id ON raw.contact = by_id.id
        LEFT JOIN names AS by_email ON by_id.key IS NULL AND lower(trim(raw.contact)) = by_email.email
        WHERE t <= {now}
    """)
    con.execute(f"""
        CREATE TABLE per AS
        SELECT n.key,
               coalesce(max(t) FILTER (WHERE kind IN ({engagement}) OR (kind = 'email_open' AND NOT machine)),
                        least(min(n.created_ms), min(t))) AS e,
               coalesce(bool_or(kind = 'erasure_request' OR (kind = 'email_bounce' AND btype = 'spam_trap')), false)
                   AS erased,
               count(*) FILTER (WHERE path LIKE '/pricing%' AND NOT machine AND {now} - t < {7 * DAY}) AS pricing_7d,
               count(*) FILTER (WHERE path LIKE '/blog/%' AND NOT machine AND {now} - t < {30 * DAY}) AS blog_30d
        FROM (SELECT key, created_ms FROM names JOIN contacts USING (email)) AS n
        LEFT JOIN ev ON ev.key = n.key
        GROUP BY n.key
    """)
    con.execute(f"""
        CREATE TABLE result AS
        WITH react AS (
            SELECT ev.key, min(ev.t) AS r FROM ev JOIN per USING (key)
            WHERE ev.kind = 'reactivation_started' AND ev.t >= per.e + {COLD}
            GROUP BY ev.key
        ), states AS (
            SELECT per.*, CASE
                WHEN erased THEN 'erased'
                WHEN {now} < e + {COOL} THEN 'active'
                WHEN {now} < e + {COLD} THEN 'cooling'
                WHEN r IS NULL THEN 'cold'
                WHEN {now} < r + {SOFT} THEN 'soft_reactivation'
                WHEN {now} < r + {SOFT} + {BREAK} THEN 'break_up'
                ELSE 'archived' END AS state
            FROM per LEFT JOIN react USING (key)
        )
        SELECT key, state,
               NOT erased AND pricing_7d >= 2 AS pricing_intent,
               NOT erased AND blog_30d >= 3 AND pricing_7d < 2 AS content_readers,
               NOT erased AND state = 'cold' AS reactivation_pool
        FROM states
    """)
    seconds = time.perf_counter() - started
    lifecycle = dict(con.execute("SELECT state, count(*) FROM result GROUP BY 1 ORDER BY 1").fetchall())
    with open(sample_file, encoding="utf-8") as f:
        wanted = [line.strip() for line in f if line.strip()]
    con.execute("CREATE TABLE wanted (key VARCHAR)")
    con.executemany("INSERT INTO wanted VALUES (?)", [(k,) for k in wanted])
    rows = con.execute("""
        SELECT key, state, pricing_intent, content_readers, reactivation_pool FROM result JOIN wanted USING (key)
    """).fetchall()
    names = ("pricing_intent", "content_readers", "reactivation_pool")
    sample = {k: [s, [n for n, m in zip(names, flags) if m]] for k, s, *flags in rows}
    total = sum(lifecycle.values())
    print(json.dumps({"duckdb": duckdb.__version__, "seconds": seconds, "contacts": total, "lifecycle": lifecycle,
                      "sample": sample}))


if __name__ == "__main__":
    main()
