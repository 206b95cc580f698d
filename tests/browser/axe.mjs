// axe-core (devDependency) run inside a page: the accessibility violations, one line each.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** WCAG 2.0–2.2 A/AA rules and axe's best practices; returns `["rule: help (n nodes: selector…)", …]`. */
export async function axeViolations(page) {
  await page.evaluate(AXE); // a string evaluates as a script, past the page's CSP
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
}
