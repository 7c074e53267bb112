// Writes src/generated/api.ts from the backend's OpenAPI document, so that the frontend's
// types and limits come from the API itself. Run through scripts/api-types at the root:
//   scripts/api-types           regenerate after changing the API
//   scripts/api-types --check   fail if the committed file is out of date (make test does)
//   bun scripts/generate-api.ts OPENAPI_JSON OUTPUT_TS
import { readFileSync, writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";

type Schema = { properties?: Record<string, { maxLength?: number }> };

const [specPath, outputPath] = process.argv.slice(2);
if (!specPath || !outputPath) throw new Error("usage: generate-api.ts OPENAPI_JSON OUTPUT_TS");

const spec = JSON.parse(readFileSync(specPath, "utf8"));
const types = astToString(await openapiTS(spec));
// The stored title's limit: what remains of what the user typed once white space is
// trimmed from both ends (TaskCreate.title's pattern says the same, with the trimming).
const task: Schema = spec.components.schemas.Task;
const titleMaxLength = task.properties?.title?.maxLength;
if (typeof titleMaxLength !== "number") throw new Error("Task.title has no maxLength");

writeFileSync(
  outputPath,
  `// Generated from the backend's OpenAPI document by scripts/api-types: do not edit.\n\n${types}\n` +
    `/** The longest task title the API stores, once trimmed, in code points (Task.title.maxLength). */\n` +
    `export const TITLE_MAX_LENGTH = ${titleMaxLength};\n`,
);
