// Writes, from the backend's OpenAPI document, what the frontend image shares with the API:
//   src/generated/api.ts       the API's types and the limits the web app checks
//   nginx/api-limits.conf      the body cap nginx enforces in front of the API
// so that neither can disagree with the API. Run through scripts/api-types at the root:
//   scripts/api-types           regenerate after changing the API
//   scripts/api-types --check   fail if a committed file is out of date (make test does)
//   bun scripts/generate-api.ts OPENAPI_JSON OUTPUT_TS OUTPUT_NGINX_CONF
import { readFileSync, writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";

type Schema = { maxLength?: number; default?: number; maximum?: number; pattern?: string };
type Parameter = { name: string; in: string; schema?: Schema };
type Spec = {
  "x-max-body-bytes"?: number;
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
  components: { schemas: Record<string, { properties?: Record<string, Schema> }> };
};

const [specPath, typesPath, nginxPath] = process.argv.slice(2);
if (!specPath || !typesPath || !nginxPath) {
  throw new Error("usage: generate-api.ts OPENAPI_JSON OUTPUT_TS OUTPUT_NGINX_CONF");
}

const document = JSON.parse(readFileSync(specPath, "utf8"));
const spec: Spec = document;

/** `value`, which the document must have: a missing limit is a broken contract, not 0. */
function required(value: number | undefined, where: string): number {
  if (typeof value !== "number") throw new Error(`the OpenAPI document has no ${where}`);
  return value;
}

// The stored title's limit: what remains of what the user typed once white space is
// trimmed from both ends (TaskCreate.title's pattern says the same, with the trimming).
const titleMaxLength = required(
  spec.components.schemas.Task?.properties?.title?.maxLength,
  "Task.title.maxLength",
);
const limit = spec.paths["/api/tasks"]?.get?.parameters?.find(
  (parameter) => parameter.in === "query" && parameter.name === "limit",
)?.schema;
// Every title the API accepts, as sent: white space, the stored title, white space. Its
// first character class is the white space trimmed from both ends.
const titlePattern = spec.components.schemas.TaskCreate?.properties?.title?.pattern;
if (typeof titlePattern !== "string") {
  throw new Error("the OpenAPI document has no TaskCreate.title.pattern");
}
const titleWhiteSpace = /^\^\[([^\]]+)\]\*/.exec(titlePattern)?.[1];
if (!titleWhiteSpace) {
  throw new Error("TaskCreate.title.pattern no longer starts with its white space: ^[...]*");
}
new RegExp(titlePattern, "u"); // a pattern JavaScript cannot read fails here, not in the app
const pageSize = required(limit?.default, "default for GET /api/tasks?limit");
const maxPageSize = required(limit?.maximum, "maximum for GET /api/tasks?limit");
const maxBodyBytes = required(spec["x-max-body-bytes"], "x-max-body-bytes");

const types = astToString(await openapiTS(document));
writeFileSync(
  typesPath,
  `// Generated from the backend's OpenAPI document by scripts/api-types: do not edit.\n\n${types}\n` +
    `/** The longest task title the API stores, once trimmed, in Unicode code points (Task.title.maxLength). */\n` +
    `export const TITLE_MAX_LENGTH = ${titleMaxLength};\n` +
    `/** Every title the API accepts, as sent (TaskCreate.title's pattern): white space, then the\n` +
    ` * stored title (1 to TITLE_MAX_LENGTH code points, a visible one among them, no control\n` +
    ` * character), then white space. */\n` +
    `export const TITLE_PATTERN = new RegExp(${JSON.stringify(titlePattern)}, "u");\n` +
    `/** The white space trimmed from both ends of a title: the pattern's first character class. */\n` +
    `export const TITLE_WHITE_SPACE = ${JSON.stringify(titleWhiteSpace)};\n` +
    `/** Tasks per page when a list asks for no limit (GET /api/tasks?limit, its default). */\n` +
    `export const PAGE_SIZE = ${pageSize};\n` +
    `/** The largest page the API gives (GET /api/tasks?limit, its maximum). */\n` +
    `export const MAX_PAGE_SIZE = ${maxPageSize};\n`,
);

writeFileSync(
  nginxPath,
  `# Generated from the backend's OpenAPI document by scripts/api-types: do not edit.\n` +
    `# Included by nginx.conf at http level. The API reads request bodies up to\n` +
    `# x-max-body-bytes; nginx refuses larger ones itself, with the API's JSON 413, so that\n` +
    `# they never reach the backend. Both caps count bytes and refuse what is over: one number.\n` +
    `client_max_body_size ${maxBodyBytes};\n` +
    `# The same number for the 413's message (nginx has no global constants: a map with a\n` +
    `# default only is the usual stand-in).\n` +
    `map $request_method $tasks_max_body_bytes {\n` +
    `    default ${maxBodyBytes};\n` +
    `}\n`,
);
