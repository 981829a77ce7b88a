// Type-checks Grafana dashboard JSON against Grafana's published schema (@grafana/schema's
// Dashboard type, with `tsc --strict` semantics: wrong types, unknown fields, missing
// required ones such as schemaVersion), then checks what Grafana does not type: unique panel
// ids, every panel on the Prometheus datasource variable, every query with a PromQL `expr`.
//   node deploy/tools/check-dashboard.mjs DASHBOARD.json [--list-queries]
// --list-queries prints each panel's queries as JSON lines {panel, refId, expr} (what the
// live metrics test runs against a real Prometheus).
import fs from "node:fs";
import { typecheck } from "./typecheck.mjs";

const [file, option] = process.argv.slice(2);
const dashboard = JSON.parse(fs.readFileSync(file, "utf8"));
const problems = typecheck([{ label: file, type: "Dashboard", from: "@grafana/schema", value: dashboard }])
  .map(({ label, message }) => `${label}: ${message}`);

const panels = [];
for (const panel of dashboard.panels ?? []) {
  panels.push(panel);
  for (const child of panel.panels ?? []) panels.push(child);
}
const ids = new Set();
const queries = [];
for (const panel of panels) {
  const where = `panel ${panel.id} '${panel.title}'`;
  if (ids.has(panel.id)) problems.push(`${where}: duplicate id`);
  ids.add(panel.id);
  if (panel.type === "row") continue;
  if (panel.datasource?.uid !== "${datasource}") problems.push(`${where}: datasource is not the \${datasource} variable`);
  if (!panel.targets?.length) problems.push(`${where}: no queries`);
  for (const target of panel.targets ?? []) {
    // Grafana types a panel's queries loosely (Record<string, unknown>): check these here.
    if (typeof target.refId !== "string") problems.push(`${where}: a query's refId is not a string`);
    if (typeof target.expr !== "string" || target.expr.trim() === "") {
      problems.push(`${where} query ${target.refId}: no PromQL expr`);
    } else {
      queries.push({ panel: panel.title, refId: target.refId, expr: target.expr });
    }
  }
}
if (option === "--list-queries") {
  for (const query of queries) console.log(JSON.stringify(query));
} else {
  for (const line of problems) console.log(`check-dashboard: ${line}`);
  console.log(`check-dashboard: ${panels.length} panels, ${queries.length} queries, ${problems.length} problems`);
}
process.exit(problems.length === 0 ? 0 : 1);
