// The README's first ```js example must run as written against the built package, and the first ```js example
// of README.md and pkg/README.md must type-check as a strict TypeScript user's code (tests/types' options).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
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

/**
 * tsc's diagnostics for `sources` (name → code), each written as an ES module inside the repository so
 * `import "rekindle"` resolves through node_modules and the exports map, checked with tests/types' options
 * (strict, exactOptionalPropertyTypes, no ambient @types).
 */
export function typeErrors(sources) {
  const configFile = join(repoRoot, "tests", "types", "tsconfig.json");
  const config = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
  });
  const dir = join(repoRoot, "target", "readme-test");
  mkdirSync(dir, { recursive: true });
  const files = Object.entries(sources).map(([name, code]) => {
    const file = join(dir, `${name}.mts`);
    writeFileSync(file, code);
    return file;
  });
  const program = ts.createProgram(files, config.options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : "";
    return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n")[0]}`;
  });
}

test("the first js example of README.md and of pkg/README.md type-check under tsc --strict", () => {
  const sources = {};
  for (const [name, path] of [["readme-root", "README.md"], ["readme-pkg", join("pkg", "README.md")]]) {
    const snippet = firstJsBlock(readFileSync(join(repoRoot, path), "utf8"));
    assert.ok(snippet !== null, `${path} has no \`\`\`js block`);
    sources[name] = snippet;
  }
  assert.deepEqual(typeErrors(sources), []);
});

test("typeErrors reports a reason read without narrowing the Reason union (the README's old example)", () => {
  const code = 'import { Engine } from "rekindle";\n' +
    "declare const engine: Engine;\nconsole.log(engine.decide(null).reasons[0]?.decayedTo);\n";
  const errors = typeErrors({ "readme-unnarrowed": code });
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0], /^readme-unnarrowed\.mts:3: TS2339 Property 'decayedTo' does not exist on type 'Reason'/);
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

/** The README's ```js block that contains `marker`, or null. */
function jsBlockWith(markdown, marker) {
  const blocks = [...markdown.matchAll(/^```(?:js|javascript|mjs)[^\S\n]*\n([\s\S]*?)^```[^\S\n]*$/gm)].map((m) => m[1]);
  return blocks.find((block) => block.includes(marker)) ?? null;
}

test("the README's edge Worker sketch (At the edge) names nothing it does not define or import (checkJs, workerd types)", () => {
  const snippet = jsBlockWith(readFileSync(join(repoRoot, "README.md"), "utf8"), "keys.openContact(engine, raw");
  assert.ok(snippet !== null, "README.md's At the edge example opens a cookie with keys.openContact(engine, raw, …)");
  const dir = join(repoRoot, "target", "readme-test", "edge");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "worker.mjs");
  writeFileSync(file, snippet);
  // What a Worker project has beside the snippet: wrangler's Data rule makes a .rkp import an ArrayBuffer.
  const shim = join(dir, "rkp.d.ts");
  writeFileSync(shim, 'declare module "*.rkp" { const bytes: ArrayBuffer; export default bytes; }\n');
  const program = ts.createProgram([file, shim], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    customConditions: ["workerd"], allowJs: true, checkJs: true, noEmit: true, strict: true, noImplicitAny: false, types: [], // JS: no annotations
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.esnext.disposable.d.ts"],
  });
  const errors = ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => `worker.mjs:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  assert.deepEqual(errors, []);
});
