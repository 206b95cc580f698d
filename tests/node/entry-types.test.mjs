// Each exports condition names its own declarations (node.d.ts, browser.d.ts, workerd.d.ts), and each must declare
// exactly the values its entry exports: a name declared but not exported type-checks and then fails in a bundler
// ("No matching export in browser.js"); a name exported but not declared is invisible to TypeScript users.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { repoRoot } from "./fixtures.mjs";

const pkg = join(repoRoot, "pkg");
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));

/** The names an entry module exports, read from its `export { … } from` and `export …` statements. */
function jsExports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const names = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      names.push(...statement.exportClause.elements.map((e) => e.name.text));
    } else if (statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      assert.fail(`${file}: an entry shim re-exports with export { … } from; found another export form`);
    }
  }
  return names.sort();
}

/** The values (not types) a declaration file exports, as the TypeScript checker resolves them. */
function declaredValues(file) {
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022, lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.esnext.disposable.d.ts"],
    strict: true, noEmit: true, types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.deepEqual(diagnostics, [], `${file} compiles on its own`);
  const checker = program.getTypeChecker();
  return checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)))
    .filter((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value)
    .map((s) => s.name)
    .sort();
}

for (const condition of ["workerd", "node", "browser", "default"]) {
  test(`the ${condition} condition's types declare exactly the values its entry exports`, () => {
    const target = manifest.exports["."][condition];
    assert.equal(typeof target, "object", `exports["."].${condition} is { types, default }`);
    assert.deepEqual(Object.keys(target), ["types", "default"], "types first, as TypeScript reads conditions in order");
    assert.deepEqual(declaredValues(join(pkg, target.types)), jsExports(join(pkg, target.default)));
  });
}

test("jsExports and declaredValues see a difference: the browser entry's types lack Keys, node's have it", () => {
  const browser = declaredValues(join(pkg, manifest.exports["."].browser.types));
  const node = jsExports(join(pkg, manifest.exports["."].node.default));
  assert.ok(node.includes("Keys") && !browser.includes("Keys"));
  assert.ok(browser.includes("startTracker") && !node.includes("startTracker"));
});

/**
 * Diagnostics of `files` (the package's declarations plus in-memory `extra` files) compiled as a Node project
 * compiles them: lib es2022 without `dom`, and `skipLibCheck` off, so the package's .d.ts files are checked too.
 */
function nodeProjectDiagnostics(files, extra) {
  const options = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"], strict: true, noEmit: true, types: [], skipLibCheck: false };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (name) => name in extra || fileExists.call(host, name);
  host.readFile = (name) => extra[name] ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => name in extra
    ? ts.createSourceFile(name, extra[name], language, true)
    : getSourceFile.call(host, name, language, ...rest);
  const program = ts.createProgram([...files, ...Object.keys(extra)], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

test("the node condition's types compile in a Node project without the DOM lib (@types/node declares URL, not WebAssembly)", () => {
  // What @types/node adds that the package's types read: the URL global. It declares no WebAssembly namespace
  // and no BufferSource (both are TypeScript's `dom` lib), so naming them broke every Node user's tsc.
  const globals = join(pkg, "__node-globals.d.ts");
  const usage = join(pkg, "__usage.ts");
  const extra = {
    [globals]: "declare class URL { constructor(url: string, base?: string | URL); readonly href: string; }\n",
    [usage]: `import { init, Engine, pageViewProps } from "./node.js";
await init();
await init({ module: new Uint8Array(8) });
await init({ module: new ArrayBuffer(8) });
const engine = new Engine({ version: 1, signals: {} });
pageViewProps({ url: new URL("https://example.com/pricing"), now: 0 });
engine.free();
export {};
`,
  };
  assert.deepEqual(nodeProjectDiagnostics([join(pkg, manifest.exports["."].node.types)], extra), []);
});
