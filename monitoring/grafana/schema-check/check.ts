/**
 * Type-checks each dashboard (DIR/*.json) against Grafana's published schema, the types
 * of @grafana/schema (the same version as the Grafana image in docker-compose.yml):
 *
 *   bun check.ts ../dashboards
 *
 * Each dashboard becomes a TypeScript file whose object literals must satisfy the
 * schema's types, which tsc then checks: the dashboard as a whole (panels, grid
 * positions, variables, links, thresholds), and each panel's options and field config
 * against its plugin's own types (timeseries, stat). A key the schema does not know, a
 * missing required one, a value of the wrong type or outside an enum: tsc says where.
 * The files are written under node_modules/.cache/dashboards-check and kept on failure,
 * for the line numbers in tsc's messages.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

// Panel type -> the schema module that describes its options and field config.
const PANEL_SCHEMAS: Record<string, { module: string; custom: boolean }> = {
  timeseries: {
    module: "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
    custom: true,
  },
  stat: {
    module: "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen",
    custom: false,
  },
};

type Json = Record<string, unknown>;

function literal(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** The TypeScript that checks one dashboard; problems found without tsc go to `problems`. */
function checkerFor(name: string, dashboard: Json, problems: string[]): string {
  const lines = [
    'import type { Dashboard } from "@grafana/schema";',
    'import type { GrafanaJson } from "../../../grafana-json";',
    ...Object.entries(PANEL_SCHEMAS).map(
      ([type, schema]) => `import type * as ${type} from "${schema.module}";`,
    ),
    "",
    `export const dashboard = ${literal(dashboard)} satisfies GrafanaJson<Dashboard>;`,
  ];
  const rows = (dashboard.panels ?? []) as Json[];
  const panels = rows.flatMap((panel) => [panel, ...((panel.panels ?? []) as Json[])]);
  for (const panel of panels) {
    const type = String(panel.type);
    if (type === "row") continue;
    const schema = PANEL_SCHEMAS[type];
    if (!schema) {
      problems.push(`${name}: panel "${panel.title}" is a ${type}, which this check has no schema for`);
      continue;
    }
    const id = `panel${panel.id}`;
    lines.push(`export const ${id}Options = ${literal(panel.options)} satisfies GrafanaJson<${type}.Options>;`);
    if (schema.custom) {
      const custom = (panel.fieldConfig as { defaults?: Json } | undefined)?.defaults?.custom ?? {};
      lines.push(`export const ${id}Custom = ${literal(custom)} satisfies GrafanaJson<${type}.FieldConfig>;`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const directory = process.argv[2];
if (!directory) {
  console.error("usage: bun check.ts DIR (the folder of dashboard JSON files)");
  process.exit(2);
}
const files = readdirSync(directory).filter((file) => file.endsWith(".json")).sort();
if (files.length === 0) {
  console.error(`no dashboards in ${directory}`);
  process.exit(1);
}
const work = resolve(import.meta.dir, "node_modules/.cache/dashboards-check");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const problems: string[] = [];
const checkers = files.map((file) => {
  const dashboard = JSON.parse(readFileSync(join(directory, file), "utf8")) as Json;
  const checker = join(work, `${basename(file, ".json")}.ts`);
  writeFileSync(checker, checkerFor(file, dashboard, problems));
  return checker;
});

const tsc = Bun.spawnSync(
  [
    resolve(import.meta.dir, "node_modules/.bin/tsc"),
    "--noEmit", "--strict", "--skipLibCheck", "--pretty", "false",
    "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler",
    ...checkers,
  ],
  { stdout: "pipe", stderr: "pipe" },
);
const output = `${tsc.stdout.toString()}${tsc.stderr.toString()}`.trim();
if (output) problems.push(output);
if (tsc.exitCode !== 0 && !output) problems.push(`tsc exited with ${tsc.exitCode}`);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`${files.length} dashboards checked: NOT valid against @grafana/schema (files in ${work})`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
console.log(`${files.length} dashboards valid against @grafana/schema: ${files.join(", ")}`);
