// Types of the Node entry (node.js; the `node` condition): what every entry exports, Keys, the vendor adapters
// and the retention analytics. No tracker or storage helpers: node.js does not export them.
export * from "./index.js";
export * from "./server-api.js";
export * from "./node-api.js";
