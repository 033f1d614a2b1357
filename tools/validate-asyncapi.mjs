// Validates an AsyncAPI document with the official parser (@asyncapi/parser, pinned in
// package-lock.json): `node tools/validate-asyncapi.mjs docs/asyncapi.json`.
// Prints every diagnostic; exits 1 when any has error severity, 2 when it cannot run.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "information", "hint"];

const path = process.argv[2];
if (!path) {
  console.error("usage: node tools/validate-asyncapi.mjs <asyncapi.json>");
  process.exit(2);
}

const text = await readFile(path, "utf8");
const { document, diagnostics } = await new Parser().parse(text, { source: path });
let errors = 0;
for (const d of diagnostics) {
  const severity = SEVERITY[d.severity] ?? String(d.severity);
  if (d.severity === 0) errors += 1;
  console.log(`${severity} ${d.code} at ${(d.path ?? []).join("/") || "/"}: ${d.message}`);
}
if (errors > 0 || document === undefined) {
  console.log(`${path}: ${errors} error(s)`);
  process.exit(1);
}
console.log(`${path}: valid AsyncAPI ${document.version()}`);
