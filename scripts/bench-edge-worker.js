// The Worker `npm run bench:edge` times from outside (inside workerd the clock only moves on I/O): one request runs
// `n` iterations of what the example Worker does per page — open the signed cookie, fold a page view, choose the
// CTA, seal the cookie if the state changed (`contact.changed()`, as the example's sealIfChanged) — or of GrowthBook's SDK choosing the CTA of examples/playbooks/saas.json from attributes:
//   growthbook          one instance reused, setAttributes + getFeatureValue (the SDK's evaluation alone)
//   growthbook-request  per request as GrowthBook's Edge App does: new GrowthBook({ attributes }), initSync with
//                       the feature payload, getFeatureValue, destroy
//   growthbook-cookie   growthbook-request plus the visitor state an author must keep to hand GrowthBook what
//                       rekindle computes: the attributes in a signed cookie (HMAC-SHA256 by crypto.subtle verify
//                       and sign, JSON and base64), a visit counted — without any scoring, decay or windows
//   rekindle&steps=K    only the first K steps of the page (1 open, 2 + fold, 3 + CTA, 4 + changed + seal; default 4), so the
//                       bench can print what each step costs
//   rekindle&path=decide  step 3 is the whole decision (`contact.decide`: stage, scores, segments, reasons, next
//                       step, CTA) instead of the CTA alone (`contact.cta`, what the example Worker calls per page):
//                       the "verify + fold + decide + sign"
//   GET /?mode=rekindle|growthbook|growthbook-request|growthbook-cookie|none&n=500&now=<ms>&cookie=<c1…>[&path=decide]
import { GrowthBook } from "@growthbook/growthbook";
import { Engine, Keys, init, pageViewProps } from "rekindle";
// examples/playbooks/saas.json compiled (the edge build reads compiled playbooks only): the example Worker's
// playbook.rkp, which its build step writes when bench-edge.mjs bundles the example first. An ArrayBuffer.
import playbook from "../examples/cloudflare-worker/playbook.rkp";
import { CTA_FEATURES } from "./growthbook-cta.js";

let engine = null;
let keys = null;
let growthbook = null;
let hmacKey = null;
let gbCookie = null;
const utf8 = new TextEncoder();
const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

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
      const steps = Number(url.searchParams.get("steps") ?? 4);
      const whole = url.searchParams.get("path") === "decide";
      for (let i = 0; i < n; i++) {
        const { contact } = keys.openContact(engine, cookie, { now });
        if (steps >= 2) {
          const props = pageViewProps({ url: "https://site.test/pricing?utm_source=newsletter", referrer: null,
            lastSeen: contact.updatedAt(), now });
          contact.fold([{ id: `p${i}`, at: now, kind: "page_view", props }]);
        }
        if (steps >= 3) sink += (whole ? contact.decide({ now }).cta : contact.cta({ now }))?.id.length ?? 0;
        if (steps >= 4 && contact.changed()) sink += keys.sealState(contact, { expiresAt: now + 86_400_000 }).length;
        contact.free();
      }
    } else if (mode === "growthbook-request" || mode === "growthbook-cookie") {
      const withCookie = mode === "growthbook-cookie";
      if (withCookie && hmacKey === null) {
        hmacKey = await crypto.subtle.importKey("raw", utf8.encode("bench-edge-growthbook-cookie-key-32b"),
          { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
        const body = b64(utf8.encode(JSON.stringify({ ...ATTRIBUTES[1], visits: 20, lastSeen: now - 3_600_000 })));
        gbCookie = `${body}.${b64(await crypto.subtle.sign("HMAC", hmacKey, utf8.encode(body)))}`;
      }
      for (let i = 0; i < n; i++) {
        let attributes = ATTRIBUTES[i % ATTRIBUTES.length];
        if (withCookie) {
          const [body, signature] = gbCookie.split(".");
          const ok = await crypto.subtle.verify("HMAC", hmacKey, unb64(signature), utf8.encode(body));
          const saved = ok ? JSON.parse(new TextDecoder().decode(unb64(body))) : {};
          attributes = { ...saved, visits: (saved.visits ?? 0) + 1, lastSeen: now };
        }
        const gb = new GrowthBook({ attributes });
        gb.initSync({ payload: { features: CTA_FEATURES } });
        sink += gb.getFeatureValue("cta", "checklist").length;
        gb.destroy();
        if (withCookie) {
          const body = b64(utf8.encode(JSON.stringify(attributes)));
          sink += body.length + b64(await crypto.subtle.sign("HMAC", hmacKey, utf8.encode(body))).length;
        }
      }
    } else if (mode === "growthbook") {
      growthbook ??= new GrowthBook({ features: CTA_FEATURES, attributes: ATTRIBUTES[0] });
      for (let i = 0; i < n; i++) {
        growthbook.setAttributes(ATTRIBUTES[i % ATTRIBUTES.length]);
        sink += growthbook.getFeatureValue("cta", "checklist").length;
      }
    }
    return new Response(String(sink));
  },
};
