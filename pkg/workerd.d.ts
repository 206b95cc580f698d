// Types of the Cloudflare Workers entry (workerd.js; the `workerd` condition): what every entry exports and Keys.
// No tracker, vendor adapters or retention analytics: workerd.js does not export them.
export * from "./index.js";
export * from "./server-api.js";
