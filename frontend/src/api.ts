// The backend's API, typed. Every call goes to /api on this origin: the Vite dev server
// or nginx forwards it to the backend.

import type { components } from "./generated/api";

// The API's shapes, generated from its OpenAPI document (scripts/api-types).
type Schemas = components["schemas"];
export type Task = Schemas["Task"];
export type TaskChanges = Partial<Pick<Task, "title" | "done">>;
export type Storage = Schemas["Readiness"]["storage"];
export type TaskPage = { tasks: Task[]; next: string | null };

export const PAGE_SIZE = 100;
export const FIRST_PAGE = `/api/tasks?limit=${PAGE_SIZE}`;
// A request that takes longer than this fails visibly instead of spinning forever.
const TIMEOUT_MS = 10_000;

/** A failed call, with a message fit to show to the user. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { Accept: "application/json", ...init.headers },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection and retry.", null);
  }
  if (!response.ok) {
    throw new ApiError(await describeError(response), response.status);
  }
  return response;
}

/** The `detail` of a FastAPI error body, as one readable sentence. */
async function describeError(response: Response): Promise<string> {
  if (response.status === 503 || response.status === 502 || response.status === 504) {
    return "The server is unavailable right now. Retry in a moment.";
  }
  try {
    const body: unknown = await response.json();
    const detail = (body as { detail?: unknown }).detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((item) => (item as { msg?: string }).msg ?? String(item)).join("; ");
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `The server answered ${response.status} ${response.statusText}`.trim();
}

function sendJson(method: string, body: unknown): RequestInit {
  return { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

/** The URL in a `Link: <url>; rel="next"` header, if any. */
export function nextPageUrl(linkHeader: string | null): string | null {
  if (!linkHeader) return null;
  for (const part of linkHeader.split(",")) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return match[1];
  }
  return null;
}

export async function listTasks(url: string = FIRST_PAGE): Promise<TaskPage> {
  const response = await call(url);
  return {
    tasks: (await response.json()) as Task[],
    next: nextPageUrl(response.headers.get("Link")),
  };
}

export async function createTask(title: string): Promise<Task> {
  return (await (await call("/api/tasks", sendJson("POST", { title }))).json()) as Task;
}

export async function updateTask(id: number, changes: TaskChanges): Promise<Task> {
  return (await (await call(`/api/tasks/${id}`, sendJson("PATCH", changes))).json()) as Task;
}

export async function deleteTask(id: number): Promise<void> {
  await call(`/api/tasks/${id}`, { method: "DELETE" });
}

/** Where the backend keeps tasks, from its readiness check. */
export async function getStorage(): Promise<Storage> {
  const body = (await (await call("/api/health/ready")).json()) as Schemas["Readiness"];
  return body.storage;
}
