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
