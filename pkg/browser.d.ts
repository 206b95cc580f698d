// Types of the browser entry (browser.js; the `browser` and `default` conditions): what every entry exports and
// what only a page needs. No Keys, no vendor adapters, no retention analytics: browser.js does not export them.
export * from "./index.js";
export * from "./browser-api.js";
