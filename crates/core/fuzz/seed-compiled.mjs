// Writes corpus/playbook_compiled/seed-<name>: each example playbook compiled, without the envelope and checksum the
// target adds back (fuzz_targets/playbook_compiled.rs). Run after `npm run build`: node crates/core/fuzz/seed-compiled.mjs
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { compilePlaybook } from "rekindle";

const root = new URL("../../../", import.meta.url);
const dir = new URL("corpus/playbook_compiled/", import.meta.url);
mkdirSync(dir, { recursive: true });
for (const name of ["saas", "ecommerce", "reengagement"]) {
  const bytes = compilePlaybook(readFileSync(new URL(`examples/playbooks/${name}.json`, root), "utf8"));
  const header = 4 + 1 + 1 + bytes[5];
  writeFileSync(new URL(`seed-${name}`, dir), bytes.subarray(header, bytes.length - 4));
}
