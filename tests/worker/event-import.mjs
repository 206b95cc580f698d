// Facts from elsewhere into the preference log (examples/cloudflare-worker/src/ingest.js), in workerd: POST
// /api/events behind its own bearer IMPORT_TOKEN takes the export's lines (NDJSON or a JSON array), checks every
// event (its shape, then the core's event parsing) before storing any, stores each (contact, id) once, and keeps
// to the kinds the log is for. An ESP unsubscribe decoded by the package's importWebhook turns email off in the
// preference center, an sms_marketing consent offers SMS, and the export carries both on.
import assert from "node:assert/strict";
import { importWebhook } from "rekindle";

const DAY = 86_400_000;
const MIB = 1024 * 1024;
const IMPORT = "import-secret-0123456789abcdef0123456789abcdef";
const EXPORT = "export-secret-0123456789abcdef0123456789abcdef";

export function eventImportTests({ SITE }) {
  const withTokens = (restart, vars = {}) => restart(undefined, { IMPORT_TOKEN: IMPORT, EXPORT_TOKEN: EXPORT, ...vars });
  const post = async (mf, body, { token = IMPORT, headers = {} } = {}) => {
    const response = await mf.dispatchFetch(`${SITE}/api/events`, {
      method: "POST", body: typeof body === "string" ? body : JSON.stringify(body),
      headers: { "content-type": "application/x-ndjson", ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text) };
  };
  const ndjson = (events) => events.map((event) => `${JSON.stringify(event)}\n`).join("");
  /** Every page of the export as text, following X-Rekindle-Next. */
  const exportText = async (mf) => {
    let next = "/api/events";
    let text = "";
    while (next) {
      const response = await mf.dispatchFetch(`${SITE}${next}`, { headers: { authorization: `Bearer ${EXPORT}` } });
      const page = await response.text();
      assert.equal(response.status, 200, page);
      text += page;
      next = response.headers.get("x-rekindle-next");
    }
    return text;
  };
  const keyCount = async (mf) => (await (await mf.getKVNamespace("PREFERENCES")).list({ prefix: "log:" })).keys.length;
  const sign = (keys, purpose, contact) =>
    keys.signToken({ purpose, contact, topic: null, issuedAt: Date.now(), expiresAt: Date.now() + DAY });
  const load = async (mf, keys, contact) => (await mf.dispatchFetch(`${SITE}/preferences?t=${sign(keys, "preferences", contact)}`,
    { headers: { accept: "application/json" } })).json();
  const unsubscribe = (contact, id, at = Date.now() - DAY) => ({ contact, id, at, kind: "unsubscribe", props: { channel: "email" } });

  return [
    ["POST /api/events refuses a missing or wrong bearer token (401) and EXPORT_TOKEN; is off (503) unset, too short or equal to EXPORT_TOKEN, which /api/health reports", async ({ restart, mf: shared }) => {
      const event = unsubscribe("cus_auth", "auth-1");
      const off = await post(shared, ndjson([event]));
      assert.deepEqual([off.status, off.body.code], [503, "E_NOT_CONFIGURED"]);
      assert.match(off.body.message, /IMPORT_TOKEN/);
      assert.equal((await (await shared.dispatchFetch(`${SITE}/api/health`)).json()).import, "off");
      const mf = await withTokens(restart);
      for (const [token, headers] of [[null, {}], [`${IMPORT}x`, {}], [IMPORT.slice(0, -1), {}], [EXPORT, {}], ["x".repeat(600), {}],
        [null, { authorization: `Basic ${IMPORT}` }], [null, { authorization: `bearer ${IMPORT}` }], [null, { authorization: "Bearer \u00ff" }]]) {
        const refused = await post(mf, ndjson([event]), { token, headers });
        assert.equal(refused.status, 401, `${token} ${JSON.stringify(headers)}`);
        assert.equal(refused.body.code, "E_UNAUTHORIZED");
        assert.match(refused.headers.get("www-authenticate"), /^Bearer realm="rekindle import"/);
      }
      assert.equal(await keyCount(mf), 0, "no refused request stored anything");
      const health = async (worker) => (await worker.dispatchFetch(`${SITE}/api/health`)).json();
      assert.deepEqual([(await health(mf)).status, (await health(mf)).import, (await health(mf)).export], ["ok", "on", "on"]);
      for (const [vars, problem] of [[{ IMPORT_TOKEN: "short-import-token" }, /IMPORT_TOKEN is shorter than 32/],
        [{ IMPORT_TOKEN: EXPORT }, /IMPORT_TOKEN equals EXPORT_TOKEN/]]) {
        const worker = await withTokens(restart, vars);
        const refused = await post(worker, ndjson([event]), { token: vars.IMPORT_TOKEN });
        assert.deepEqual([refused.status, refused.body.code], [503, "E_NOT_CONFIGURED"], JSON.stringify(vars));
        assert.match(refused.body.message, problem);
        const reported = await health(worker);
        assert.deepEqual([reported.status, reported.import], ["degraded", "off"]);
        assert.match(reported.problems.join("\n"), problem);
        assert.equal(await keyCount(worker), 0);
      }
      const accepted = await post(mf, ndjson([event]));
      assert.deepEqual([accepted.status, accepted.body], [200, { stored: 1, duplicates: 0, rejected: [] }]);
    }],

    ["an export posted to an empty Worker exports identically, a hashed long contact included; posted back to its source it is all duplicates", async ({ restart, keys }) => {
      const source = await withTokens(restart);
      const oneClick = (contact) => source.dispatchFetch(`${SITE}/unsubscribe?t=${sign(keys, "unsubscribe", contact)}`, {
        method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
      const long = "ż".repeat(120); // its keys hold a hash; the metadata names it
      for (const contact of ["cus_trip_a", long]) assert.equal((await oneClick(contact)).status, 200);
      const saved = await source.dispatchFetch(`${SITE}/preferences?t=${sign(keys, "preferences", "cus_trip_b")}`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ topics: ["product"], frequency: "monthly", pauseUntil: null, unsubscribeAll: false, channels: { email: true, sms: false } }),
      });
      assert.equal(saved.status, 200);
      const consent = { contact: "cus_trip_b", id: "sms-ok-1", at: Date.now() - DAY, kind: "consent", props: { purpose: "sms_marketing", granted: true } };
      assert.equal((await post(source, [consent])).status, 200);
      const first = await exportText(source);
      const lines = first.split("\n").filter(Boolean);
      assert.ok(lines.length >= 4 && lines.some((line) => JSON.parse(line).contact === long), first);

      const target = await withTokens(restart);
      const imported = await post(target, first);
      assert.deepEqual([imported.status, imported.body], [200, { stored: lines.length, duplicates: 0, rejected: [] }]);
      assert.equal(await exportText(target), first, "export → import → export is the identity");
      const again = await post(source, first);
      assert.deepEqual(again.body, { stored: 0, duplicates: lines.length, rejected: [] });
      assert.equal(await exportText(source), first, "nothing added at the source");
    }],

    ["a retried import stores each id once (duplicates counted, one KV key per event); the same id for a different event is refused naming id, nothing stored", async ({ restart }) => {
      const mf = await withTokens(restart);
      const batch = [unsubscribe("cus_retry", "esp-1"), unsubscribe("cus_retry", "esp-2", Date.now() - 2 * DAY),
        { contact: "cus_retry_b", id: "esp-3", at: Date.now() - DAY, kind: "spam_complaint", props: { provider: "sendgrid" } }];
      assert.deepEqual((await post(mf, ndjson(batch))).body, { stored: 3, duplicates: 0, rejected: [] });
      assert.deepEqual((await post(mf, batch)).body, { stored: 0, duplicates: 3, rejected: [] }, "the JSON array form, retried");
      assert.equal(await keyCount(mf), 3);
      // Repeated within one body: stored once, the copy counted.
      const twice = unsubscribe("cus_retry_c", "esp-4");
      assert.deepEqual((await post(mf, ndjson([twice, twice]))).body, { stored: 1, duplicates: 1, rejected: [] });
      assert.equal(await keyCount(mf), 4);
      const reused = { ...batch[0], at: batch[0].at + 1000 };
      const fresh = unsubscribe("cus_retry", "esp-5");
      const refused = await post(mf, ndjson([fresh, reused]));
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.rejected.map(({ index, line, path }) => ({ index, line, path })), [{ index: 1, line: 2, path: "id" }]);
      assert.match(refused.body.rejected[0].message, /log holds this id for a different event/);
      const inBody = await post(mf, [fresh, { ...fresh, kind: "subscribe" }]);
      assert.deepEqual([inBody.status, inBody.body.rejected[0].index, inBody.body.rejected[0].path], [400, 1, "id"]);
      assert.equal(await keyCount(mf), 4, "a refused request stores none of its events");
    }],

    ["a garbage event is a 400 naming its index, line and path (the core's for props), and nothing of its batch is stored", async ({ restart }) => {
      const mf = await withTokens(restart);
      const good = unsubscribe("cus_garbage", "ok-1");
      const bad = [
        [{ ...good, id: "g-1", props: { channel: "fax" } }, "props.channel", /unsubscribe event: expected one of email, sms, all, got "fax"/],
        [{ ...good, id: "g-2", at: "yesterday" }, "at", /epoch milliseconds .* or RFC 3339 with a zone/],
        [{ ...good, id: "g-3", kind: "consent", props: { purpose: "sms_marketing", granted: "yes" } }, "props.granted", /expected true or false/],
        [{ ...good, id: "g-4", machine: true }, "machine", /unknown field/],
        [{ ...good, id: "" }, "id", /expected the event's id/],
        [{ ...good, id: "g-6", contact: "" }, "contact", /contact id/],
        [{ ...good, id: "g-7", props: { channel: "email", nested: { a: 1 } } }, "props.nested", /string, number, boolean or null/],
        [{ ...good, id: "g-8", at: Date.now() + 2 * DAY }, "at", /after the Worker's clock/],
        [{ ...good, id: "g-9", props: { channel: "email", note: "x".repeat(1200) } }, "props", /KV metadata; at most 1024/],
        ["just a string", "", /expected an event object/],
      ];
      const body = ndjson([good, ...bad.map(([event]) => event)]);
      const refused = await post(mf, body);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.code, "E_INPUT_INVALID");
      assert.deepEqual([refused.body.stored, refused.body.duplicates], [0, 0]);
      assert.deepEqual(refused.body.rejected.map(({ index, line, path }) => [index, line, path]),
        bad.map(([, path], i) => [i + 1, i + 2, path]));
      bad.forEach(([, , message], i) => assert.match(refused.body.rejected[i].message, message, refused.body.rejected[i].message));
      assert.match(refused.body.message, /^10 problems; nothing was stored: \[1\] props\.channel: /);
      // A line that is not JSON, in the middle of good ones; an array body that does not parse.
      const broken = await post(mf, `${JSON.stringify(good)}\n{"contact": "cus_garbage",\n${JSON.stringify({ ...good, id: "ok-2" })}\n`);
      assert.deepEqual(broken.body.rejected.map(({ index, line, path }) => [index, line, path]), [[1, 2, ""]]);
      assert.match(broken.body.rejected[0].message, /not valid JSON/);
      const array = await post(mf, `[${JSON.stringify(good)},`, { headers: { "content-type": "application/json" } });
      assert.deepEqual([array.status, array.body.rejected[0].index], [400, null]);
      assert.equal(await keyCount(mf), 0, "the good events of refused batches were not stored either");
      assert.deepEqual((await post(mf, ndjson([good]))).body, { stored: 1, duplicates: 0, rejected: [] });
    }],

    ["an RFC 3339 `at` (as ESPs write it) is stored and exported as epoch milliseconds; a retry in either form is a duplicate; without a zone it is refused", async ({ restart }) => {
      const mf = await withTokens(restart);
      const at = Date.parse("2026-11-20T08:30:00.250Z");
      const stored = await post(mf, ndjson([
        { ...unsubscribe("cus_iso", "iso-1"), at: "2026-11-20T09:30:00.250+01:00" },
        { ...unsubscribe("cus_iso", "iso-2"), at: "2026-11-20T08:30:00.250Z", kind: "subscribe" },
      ]));
      assert.deepEqual([stored.status, stored.body], [200, { stored: 2, duplicates: 0, rejected: [] }], JSON.stringify(stored.body));
      const lines = (await exportText(mf)).trim().split("\n").map((line) => JSON.parse(line));
      assert.deepEqual(lines.map((e) => [e.id, e.at]), [["iso-1", at], ["iso-2", at]], "exported in epoch milliseconds");
      const retry = await post(mf, ndjson([{ ...unsubscribe("cus_iso", "iso-1"), at }, { ...unsubscribe("cus_iso", "iso-1"), at: "2026-11-20T08:30:00.25Z" }]));
      assert.deepEqual(retry.body, { stored: 0, duplicates: 2, rejected: [] }, "the same instant in either form is the same event");
      const noZone = await post(mf, ndjson([{ ...unsubscribe("cus_iso", "iso-3"), at: "2026-11-20T08:30:00" }]));
      assert.deepEqual([noZone.status, noZone.body.rejected[0].path], [400, "at"]);
      assert.match(noZone.body.rejected[0].message, /RFC 3339 with a zone/);
      assert.equal(await keyCount(mf), 2);
    }],

    ["page views and other kinds outside the preference log are refused naming kind; a body over 1 MiB is a 413 and over 500 events a 400, nothing stored", async ({ restart }) => {
      const mf = await withTokens(restart);
      const base = unsubscribe("cus_kinds", "k-0");
      for (const kind of ["page_view", "purchase", "email_open", "erasure_request", "custom:webhook", "no_such_kind"]) {
        const refused = await post(mf, [base, { ...base, id: `k-${kind}`, kind, props: {} }]);
        assert.equal(refused.status, 400, kind);
        assert.deepEqual(refused.body.rejected.map(({ index, path }) => [index, path]), [[1, "kind"]], kind);
        assert.match(refused.body.rejected[0].message, /does not belong in the preference log; expected one of consent, preferences, subscribe, unsubscribe, email_bounce, spam_complaint/);
      }
      const over = await post(mf, `${JSON.stringify(base)}\n${" ".repeat(MIB)}`);
      assert.deepEqual([over.status, over.body.code], [413, "E_INPUT_INVALID"]);
      assert.match(over.body.message, /over 1048576 bytes/);
      // Without a Content-Length (a stream): refused once the count passes the cap.
      const chunk = new TextEncoder().encode(`${" ".repeat(64 * 1024)}\n`);
      let sent = 0;
      const stream = new ReadableStream({ pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      } });
      const streamed = await mf.dispatchFetch(`${SITE}/api/events`, { method: "POST", body: stream, duplex: "half",
        headers: { authorization: `Bearer ${IMPORT}` } });
      assert.equal(streamed.status, 413);
      await streamed.arrayBuffer();
      const many = Array.from({ length: 501 }, (_, i) => unsubscribe("cus_kinds", `many-${i}`));
      const tooMany = await post(mf, ndjson(many));
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.body.rejected[0].message, /501 events; at most 500 per request/);
      assert.equal(await keyCount(mf), 0);
      assert.deepEqual((await post(mf, ndjson(many.slice(0, 500)))).body, { stored: 500, duplicates: 0, rejected: [] });
    }],

    ["the preference center shows an ESP unsubscribe (importWebhook → POST /api/events) as email off and an ingested sms_marketing consent as SMS offered and on; the export carries both", async ({ restart, keys }) => {
      const mf = await withTokens(restart);
      assert.deepEqual((await load(mf, keys, "cus_esp_out")).channels, { email: true, sms: false });
      const before = await load(mf, keys, "cus_sms_in");
      assert.deepEqual([before.channels.sms, before.offered.sms], [false, false]);
      // The README's forwarder: the ESP's webhook decoded by the package, matched to the id the links are signed
      // with, kept to the kinds the log holds.
      const at = Math.floor((Date.now() - DAY) / 1000);
      const webhook = JSON.stringify([
        { email: "Out@Acme.test", timestamp: at, event: "unsubscribe", sg_event_id: "sg-unsub-1", sg_message_id: "m-1" },
        { email: "out@acme.test", timestamp: at, event: "open", sg_event_id: "sg-open-1" },
      ]);
      const ids = new Map([["out@acme.test", "cus_esp_out"]]);
      const decoded = importWebhook("sendgrid", webhook);
      const forwarded = decoded.events.filter((e) => ["unsubscribe", "spam_complaint", "email_bounce"].includes(e.kind))
        .map(({ contact, id, at: when, kind, props }) => ({ contact: ids.get(contact), id, at: when, kind, props }));
      assert.equal(forwarded.length, 1);
      const consent = { contact: "cus_sms_in", id: "sms-confirm-7", at: Date.now() - DAY, kind: "consent",
        props: { purpose: "sms_marketing", granted: true, source: "double_opt_in" } };
      assert.deepEqual((await post(mf, ndjson([...forwarded, consent]))).body, { stored: 2, duplicates: 0, rejected: [] });

      const out = await load(mf, keys, "cus_esp_out");
      assert.deepEqual([out.channels.email, out.topics.every((t) => !t.subscribed)], [false, true]);
      const sms = await load(mf, keys, "cus_sms_in");
      assert.deepEqual([sms.channels.sms, sms.offered.sms, sms.channels.email], [true, true, true]);
      assert.deepEqual(sms.consents, [{ purpose: "sms_marketing", granted: true, at: consent.at }]);

      const exported = (await exportText(mf)).split("\n").filter(Boolean).map((line) => JSON.parse(line));
      assert.deepEqual(exported.find((e) => e.contact === "cus_esp_out"), { contact: "cus_esp_out", id: "sg-unsub-1",
        at: at * 1000, kind: "unsubscribe", props: forwarded[0].props });
      assert.deepEqual(exported.find((e) => e.contact === "cus_sms_in"), consent);
    }],
  ];
}
