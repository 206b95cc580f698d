// The README's first ```js example must run as written against the built package.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./fixtures.mjs";

/** The first fenced ```js block of a markdown text, or null. */
export function firstJsBlock(markdown) {
  const match = markdown.match(/^```(?:js|javascript|mjs)[^\S\n]*\n([\s\S]*?)^```[^\S\n]*$/m);
  return match ? match[1] : null;
}

test("the README's first js example runs against the built package", () => {
  const readme = join(repoRoot, "README.md");
  assert.ok(existsSync(readme), `${readme} does not exist yet; its first \`\`\`js block is tested here`);
  const snippet = firstJsBlock(readFileSync(readme, "utf8"));
  assert.ok(snippet !== null, "README.md has no ```js block");
  assert.match(snippet, /from "rekindle"/, "the example should import the package as users do");
  // Written inside the repository so `import "rekindle"` resolves through node_modules and the exports map.
  const dir = join(repoRoot, "target", "readme-test");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "readme-example.mjs");
  writeFileSync(file, snippet);
  execFileSync(process.execPath, [file], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
});

test("firstJsBlock finds the first js block and ignores other languages", () => {
  const md = "# x\n```sh\nnpm i\n```\ntext\n```js\nconsole.log(1);\n```\n```js\nsecond();\n```\n";
  assert.equal(firstJsBlock(md), "console.log(1);\n");
  assert.equal(firstJsBlock("no code"), null);
});

test("the README's error table, the TypeScript ErrorCode union and ERROR_CODES list the same codes in order", async () => {
  const { ERROR_CODES } = await import("rekindle");
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const table = [...readme.matchAll(/^\| `(E_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  const dts = readFileSync(join(repoRoot, "pkg", "index.d.ts"), "utf8");
  const union = dts.match(/export type ErrorCode =([\s\S]*?);/);
  assert.ok(union, "index.d.ts declares `export type ErrorCode = …;`");
  const typed = [...union[1].matchAll(/"(E_[A-Z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(table, [...ERROR_CODES], "README table");
  assert.deepEqual(typed, [...ERROR_CODES], "TypeScript union");
});
