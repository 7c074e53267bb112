// The backend's API, typed. Every call goes to /api on this origin: the Vite dev server
// or nginx forwards it to the backend.

import { type components, PAGE_SIZE } from "./generated/api";

// The API's shapes, generated from its OpenAPI document (scripts/api-types).
type Schemas = components["schemas"];
export type Task = Schemas["Task"];
export type TaskChanges = Partial<Pick<Task, "title" | "done">>;
export type Storage = Schemas["Readiness"]["storage"];
export type Summary = Schemas["TaskSummary"];
export type TaskPage = { tasks: Task[]; next: string | null };

// The API's default page size, from its OpenAPI document (scripts/api-types), said outright.
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

function sendJson(
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
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

// A create that failed for want of an answer is sent again, with the same
// Idempotency-Key: the server creates the task once, however many of the tries reach it.
const CREATE_RETRY_DELAYS_MS = [300, 1_000];

/** A random key for one create (RFC 4122 version 4 UUID), also where crypto.randomUUID
 * is missing: plain-HTTP pages other than localhost. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Worth another try with the same key: no answer, a busy or restarting server, or the
 * first try still running (409). Any other refusal is final. */
function worthRetrying(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.status === null || [409, 502, 503, 504].includes(error.status);
}

export async function createTask(title: string, key = newIdempotencyKey()): Promise<Task> {
  const request = sendJson("POST", { title }, { "Idempotency-Key": key });
  for (let attempt = 0; ; attempt++) {
    try {
      return (await (await call("/api/tasks", request)).json()) as Task;
    } catch (error) {
      const delay = CREATE_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || !worthRetrying(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export async function updateTask(id: number, changes: TaskChanges): Promise<Task> {
  return (await (await call(`/api/tasks/${id}`, sendJson("PATCH", changes))).json()) as Task;
}

export async function deleteTask(id: number): Promise<void> {
  await call(`/api/tasks/${id}`, { method: "DELETE" });
}

/** How many tasks there are, done and open: over all tasks, not only those loaded. */
export async function getSummary(): Promise<Summary> {
  return (await (await call("/api/tasks/summary")).json()) as Summary;
}

/** Delete every done task at once; returns how many were deleted. */
export async function deleteDoneTasks(): Promise<number> {
  const response = await call("/api/tasks?done=true", { method: "DELETE" });
  return ((await response.json()) as Schemas["TasksDeleted"]).deleted;
}

/** Mark every task done (or not done) at once. */
export async function setAllDone(done: boolean): Promise<void> {
  await call("/api/tasks", sendJson("PATCH", { done }));
}

/** Where the backend keeps tasks, from its readiness check. */
export async function getStorage(): Promise<Storage> {
  const body = (await (await call("/api/health/ready")).json()) as Schemas["Readiness"];
  return body.storage;
}
