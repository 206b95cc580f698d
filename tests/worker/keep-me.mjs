// "Keep me subscribed" (D8: the break-up message goes out, and the contact is archived unless they click or reply
// within 48-72 h; DESIGN §7: only an explicit opt-in brings an archived contact back). In workerd: GET /keep?t=
// shows a confirmation page and records nothing (link scanners fetch every link in a message); POST /keep?t= with
// the page's form body records a `subscribe` of email in the KV log; GET /api/events carries it, and a
// `rekindle plan` over the export finds the contacts who pressed it — one in break-up, one already archived —
// active and emailable, while a contact who did not stays archived. Forged, expired, wrong-purpose and missing
// tokens get the one refusal page, write nothing, and are counted by reason.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const DAY = 86_400_000;
const TOKEN = "export-secret-0123456789abcdef0123456789abcdef";
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** The CLI binary: REKINDLE_BIN, else the newest of target/{debug,release}/rekindle (`cargo build -p rekindle-cli`). */
function cliBinary() {
  if (process.env.REKINDLE_BIN) return process.env.REKINDLE_BIN;
  const built = ["debug", "release"].map((p) => join(repoRoot, "target", p, "rekindle")).filter((p) => existsSync(p));
  if (built.length === 0) throw new Error("no rekindle CLI binary: run `cargo build -p rekindle-cli` first (or set REKINDLE_BIN)");
  return built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Every event in the KV preference log, as `{ key, metadata }`. */
async function logged(mf) {
  const kv = await mf.getKVNamespace("PREFERENCES");
  return (await kv.list({ prefix: "log:" })).keys;
}

export function keepMeTests({ SITE }) {
  const sign = (keys, contact, { purpose = "keep", expiresAt = Date.now() + DAY } = {}) =>
    keys.signToken({ purpose, contact, issuedAt: Date.now() - 1000, expiresAt });
  const press = (mf, t, body = "keep=yes", headers = FORM) =>
    mf.dispatchFetch(`${SITE}/keep?t=${t}`, { method: "POST", body, headers });

  return [
    ["GET /keep shows a confirmation page with a button and records nothing, however often a scanner fetches it (D8)", async ({ restart, keys }) => {
      const mf = await restart();
      const t = sign(keys, "cus_keep_scanned");
      for (let i = 0; i < 3; i++) {
        const ask = await mf.dispatchFetch(`${SITE}/keep?t=${t}`, { headers: { accept: "text/html", "user-agent": "LinkScanner/1.0" } });
        assert.equal(ask.status, 200);
        assert.equal(ask.headers.get("cache-control"), "no-store");
        const page = await ask.text();
        assert.match(page, /<form method="post"><input type="hidden" name="keep" value="yes">/);
        assert.match(page, /<button type="submit">Keep me subscribed<\/button>/);
      }
      assert.deepEqual(await logged(mf), [], "a GET never acts");
      // HEAD is a GET without the body (RFC 9110 §9.3.2; http-semantics.mjs): the page's headers, and it never acts.
      const head = await mf.dispatchFetch(`${SITE}/keep?t=${t}`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      assert.deepEqual(await logged(mf), []);
    }],

    ["POST /keep records the wish as a subscribe of email; a POST without the form's keep=yes records nothing", async ({ restart, keys }) => {
      const mf = await restart();
      const t = sign(keys, "cus_keep_pressed");
      assert.equal((await press(mf, t, "")).status, 400, "an empty POST is not the button");
      assert.equal((await press(mf, t, "keep=no")).status, 400);
      assert.equal((await press(mf, t, '{"keep":"yes"}', { "content-type": "application/json" })).status, 400);
      assert.deepEqual(await logged(mf), []);
      const before = Date.now();
      const done = await press(mf, t, "keep=yes", { ...FORM, accept: "text/html" });
      assert.equal(done.status, 200);
      assert.match(await done.text(), /You are still subscribed/);
      const entries = await logged(mf);
      assert.equal(entries.length, 1);
      assert.match(entries[0].name, /^log:cus_keep_pressed:\d{16}-keep-/);
      const { id, at, kind, props } = entries[0].metadata;
      assert.deepEqual({ kind, props }, { kind: "subscribe", props: { channel: "email", source: "keep_me" } });
      assert.ok(typeof id === "string" && at >= before && at <= Date.now(), JSON.stringify(entries[0].metadata));
      assert.equal(await (await press(mf, t)).text(), "kept\n", "a second press (no Accept: text/html) answers plainly");
    }],

    ["/keep: forged, expired, wrong-purpose and missing tokens get the one refusal page on GET and POST, write nothing, and are counted by reason", async ({ restart, keys }) => {
      const mf = await restart();
      const good = sign(keys, "cus_keep_attacked");
      const forged = good.slice(0, 20) + (good[20] === "A" ? "B" : "A") + good.slice(21);
      const refused = {
        forged,
        expired: sign(keys, "cus_keep_attacked", { expiresAt: Date.now() - 1 }),
        unsubscribe: sign(keys, "cus_keep_attacked", { purpose: "unsubscribe" }),
        preferences: sign(keys, "cus_keep_attacked", { purpose: "preferences" }),
        missing: "",
        garbage: "v1.%00%ff",
      };
      const pages = new Set();
      for (const [name, t] of Object.entries(refused)) {
        for (const response of [await mf.dispatchFetch(`${SITE}/keep?t=${t}`), await press(mf, t)]) {
          assert.equal(response.status, 401, name);
          pages.add(await response.text());
        }
      }
      assert.equal(pages.size, 1, "one page for every refusal: no oracle");
      assert.match([...pages][0], /This link has expired or is not valid/);
      assert.deepEqual(await logged(mf), [], "nothing written");
      const { tokens } = await (await mf.dispatchFetch(`${SITE}/api/health`)).json();
      for (const reason of ["bad_signature", "expired", "wrong_purpose", "malformed"]) {
        assert.ok(tokens.refused[reason] >= 2, `${reason}: ${JSON.stringify(tokens)}`);
      }
      assert.ok(tokens.refused.wrong_purpose >= 4, JSON.stringify(tokens));
      // A keep token is good for nothing else either.
      const keepAsUnsubscribe = await mf.dispatchFetch(`${SITE}/unsubscribe?t=${good}`, { method: "POST",
        body: "List-Unsubscribe=One-Click", headers: FORM });
      assert.equal(keepAsUnsubscribe.status, 401);
      assert.deepEqual(await logged(mf), []);
    }],

    ["a keep-me POST reaches `rekindle plan` through GET /api/events: break-up and archived contacts who pressed it are active and may be emailed (D8, DESIGN §7)", async ({ restart, keys }) => {
      const mf = await restart(undefined, { EXPORT_TOKEN: TOKEN });
      for (const contact of ["cus_keep_breakup", "cus_keep_archived"]) {
        assert.equal((await press(mf, sign(keys, contact))).status, 200, contact);
      }
      const response = await mf.dispatchFetch(`${SITE}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-rekindle-next"), null);
      const exported = await response.text();
      const events = exported.split("\n").filter(Boolean).map((line) => JSON.parse(line));
      assert.deepEqual(events.map((e) => [e.contact, e.kind, e.props.channel]).sort(),
        [["cus_keep_archived", "subscribe", "email"], ["cus_keep_breakup", "subscribe", "email"]]);

      const dir = await mkdtemp(join(tmpdir(), "rekindle-keep-"));
      try {
        const now = Date.now() + 60_000;
        const ids = ["cus_keep_breakup", "cus_keep_archived", "cus_keep_silent"];
        await writeFile(join(dir, "contacts.csv"), `id,email\n${ids.map((id) => `${id},${id}@acme.test`).join("\n")}\n`);
        // The ESP's history: consent, a last visit 300 days ago (cold: the Worker's playbook has sales_cycle 90d
        // and manual entry), and the campaign started 15 days ago (in break-up: 14 d of soft reactivation, then
        // 72 h) or 20 days ago (archived 3 days ago).
        const started = { cus_keep_breakup: 15, cus_keep_archived: 20, cus_keep_silent: 20 };
        const history = ids.flatMap((contact) => [
          { contact, id: `consent-${contact}`, at: now - 400 * DAY, kind: "consent", props: { purpose: "email_marketing", granted: true } },
          { contact, id: `visit-${contact}`, at: now - 300 * DAY, kind: "page_view", props: { path: "/pricing" } },
          { contact, id: `start-${contact}`, at: now - started[contact] * DAY, kind: "reactivation_started", props: {} },
        ]);
        await writeFile(join(dir, "history.ndjson"), history.map((e) => JSON.stringify(e)).join("\n") + "\n");
        await writeFile(join(dir, "site.ndjson"), exported);
        await writeFile(join(dir, "salt.txt"), "0123456789abcdef0123456789abcdef\n");
        const plan = async (files) => {
          const out = join(dir, `out-${files.length}`);
          execFileSync(cliBinary(), ["plan", "--playbook", join(repoRoot, "examples/cloudflare-worker/playbook.json"),
            "--contacts", join(dir, "contacts.csv"), ...files.flatMap((f) => ["--events", join(dir, f)]), "--now", String(now),
            "--out", out, "--quiet", "--salt-file", join(dir, "salt.txt")], { stdio: "pipe" });
          const rows = JSON.parse(await readFile(join(out, "plan.json"), "utf8"));
          return Object.fromEntries(rows.map((row) => [row.id,
            `${row.lifecycle.state}, ${row.emailVerdict.verdict === "deny" ? "deny" : "may email"}`]));
        };
        assert.deepEqual(await plan(["history.ndjson"]), {
          cus_keep_breakup: "break_up, may email", cus_keep_archived: "archived, deny", cus_keep_silent: "archived, deny",
        }, "without the export: the break-up runs out and the archived stay archived");
        assert.deepEqual(await plan(["history.ndjson", "site.ndjson"]), {
          cus_keep_breakup: "active, may email", cus_keep_archived: "active, may email", cus_keep_silent: "archived, deny",
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }],
  ];
}
