// The Worker `npm run bench:edge` times from outside (inside workerd the clock only moves on I/O): one request runs
// `n` iterations of what the example Worker does per page — open the signed cookie, fold a page view, choose the
// CTA, seal the cookie — or of GrowthBook's SDK choosing the CTA of examples/playbooks/saas.json from attributes.
//   GET /?mode=rekindle|growthbook|none&n=500&now=<ms>&cookie=<c1…>
import { GrowthBook } from "@growthbook/growthbook";
import { Engine, Keys, init, pageViewProps } from "rekindle";
import playbook from "../examples/playbooks/saas.json";

let engine = null;
let keys = null;
let growthbook = null;

/** The CTA list of saas.json as a GrowthBook feature (the same rules as `npm run bench:browser`). */
const FEATURES = {
  cta: {
    defaultValue: "checklist",
    rules: [
      { condition: { readiness: "hot", fit: { $gte: 20 }, stage: { $nin: ["opportunity", "customer"] } }, force: "book_demo" },
      { condition: { webinarAttended7d: true }, force: "data_review" },
      { condition: { stageRank: { $gte: 1 } }, force: "case_study" },
      { condition: { readiness: "warm" }, force: "comparison" },
      { condition: { readiness: "cold" }, force: "checklist" },
    ],
  },
};
const ATTRIBUTES = [
  { readiness: "cold", fit: 10, stage: "lead", stageRank: 0, webinarAttended7d: false },
  { readiness: "warm", fit: 35, stage: "mql", stageRank: 1, webinarAttended7d: false },
  { readiness: "hot", fit: 35, stage: "sql", stageRank: 2, webinarAttended7d: true },
];

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode") ?? "none";
    const n = Number(url.searchParams.get("n") ?? 0);
    const now = Number(url.searchParams.get("now") ?? Date.now());
    let sink = 0;
    if (mode === "rekindle") {
      if (engine === null) {
        await init();
        engine = new Engine(playbook);
        keys = new Keys(env.REKINDLE_KEYS);
      }
      const cookie = url.searchParams.get("cookie") ?? "";
      for (let i = 0; i < n; i++) {
        const { contact } = keys.openContact(engine, cookie, { now });
        const props = pageViewProps({ url: "https://site.test/pricing?utm_source=newsletter", referrer: null,
          lastSeen: contact.updatedAt(), now });
        contact.fold([{ id: `p${i}`, at: now, kind: "page_view", props }]);
        sink += contact.cta({ now })?.id.length ?? 0;
        sink += keys.sealState(contact, { expiresAt: now + 86_400_000 }).length;
        contact.free();
      }
    } else if (mode === "growthbook") {
      growthbook ??= new GrowthBook({ features: FEATURES, attributes: ATTRIBUTES[0] });
      for (let i = 0; i < n; i++) {
        growthbook.setAttributes(ATTRIBUTES[i % ATTRIBUTES.length]);
        sink += growthbook.getFeatureValue("cta", "checklist").length;
      }
    }
    return new Response(String(sink));
  },
};
