// Type-checks object literals against TypeScript interfaces from npm packages (tsc's
// excess-property checks catch unknown fields, its assignability checks wrong types).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));

// entries: [{label, type, from, value}]: `value` (plain JSON) must be a `type` imported
// from module `from`. Returns [{label, message}] for every diagnostic.
export function typecheck(entries) {
  const dir = fs.mkdtempSync(path.join(here, ".typecheck-"));
  try {
    const imports = new Map();
    const lines = [];
    const lineOwners = [];
    entries.forEach((entry, index) => {
      const alias = `T${imports.size}`;
      const key = `${entry.from}#${entry.type}`;
      if (!imports.has(key)) imports.set(key, { alias, ...entry });
    });
    for (const { alias, type, from } of imports.values()) {
      lines.push(`import type { ${type} as ${alias} } from ${JSON.stringify(from)};`);
      lineOwners.push(null);
    }
    entries.forEach((entry, index) => {
      const { alias } = imports.get(`${entry.from}#${entry.type}`);
      const body = JSON.stringify(entry.value, null, 2).split("\n");
      body[0] = `export const object${index}: ${alias} = ${body[0]}`;
      body[body.length - 1] += ";";
      for (const line of body) {
        lines.push(line);
        lineOwners.push(entry.label);
      }
    });
    const file = path.join(dir, "objects.ts");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: [],
    });
    const problems = [];
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ");
      let label = "(typecheck)";
      if (diagnostic.file && diagnostic.file.fileName === file && diagnostic.start !== undefined) {
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        label = `${lineOwners[line] ?? "(imports)"} line ${line + 1}: ${lines[line].trim().slice(0, 80)}`;
      }
      problems.push({ label, message });
    }
    return problems;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
