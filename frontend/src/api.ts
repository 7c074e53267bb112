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

/** `init` sent to `path`; `signal` (TanStack Query's, when it cancels a read) aborts it. */
async function call(path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<Response> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { Accept: "application/json", ...init.headers },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch {
    // A cancelled read is not a failure: its reason goes back to the one who cancelled it.
    if (signal?.aborted) throw signal.reason;
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

export async function listTasks(url: string = FIRST_PAGE, signal?: AbortSignal): Promise<TaskPage> {
  const response = await call(url, {}, signal);
  return {
    tasks: (await response.json()) as Task[],
    next: nextPageUrl(response.headers.get("Link")),
  };
}

/** A random key for one create (RFC 4122 version 4 UUID), also where crypto.randomUUID
 * is missing: plain-HTTP pages other than localhost. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Worth another try: no answer, or a busy or restarting server; for a create sent with an
 * Idempotency-Key, also the first try still running (409). Any other refusal is final. */
export function worthRetrying(error: unknown, { creating = false } = {}): boolean {
  if (!(error instanceof ApiError)) return false;
  if (error.status === null || [502, 503, 504].includes(error.status)) return true;
  return creating && error.status === 409;
}

/** Create a task. Sent again with the same `key` (Idempotency-Key), the server creates it
 * once, however many of the tries reach it. */
export async function createTask(title: string, key: string): Promise<Task> {
  const request = sendJson("POST", { title }, { "Idempotency-Key": key });
  return (await (await call("/api/tasks", request)).json()) as Task;
}

/** One task, or null when it no longer exists. */
export async function getTask(id: number, signal?: AbortSignal): Promise<Task | null> {
  try {
    return (await (await call(`/api/tasks/${id}`, {}, signal)).json()) as Task;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export async function updateTask(id: number, changes: TaskChanges): Promise<Task> {
  return (await (await call(`/api/tasks/${id}`, sendJson("PATCH", changes))).json()) as Task;
}

export async function deleteTask(id: number): Promise<void> {
  await call(`/api/tasks/${id}`, { method: "DELETE" });
}

/** How many tasks there are, done and open: over all tasks, not only those loaded. */
export async function getSummary(signal?: AbortSignal): Promise<Summary> {
  return (await (await call("/api/tasks/summary", {}, signal)).json()) as Summary;
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
export async function getStorage(signal?: AbortSignal): Promise<Storage> {
  const body = (await (await call("/api/health/ready", {}, signal)).json()) as Schemas["Readiness"];
  return body.storage;
}
