// The backend's API for component tests, behind Mock Service Worker: the app's real
// `fetch` calls go out and are answered here, at the network level, following the API's
// documented contract. A test can make any call fail on purpose. The real backend is
// exercised end to end by the nginx and browser tests.
import { HttpResponse, http, type JsonBodyType } from "msw";
import { setupServer } from "msw/node";
import type { Task } from "../api";
import { TITLE_PATTERN } from "../generated/api";
import { trimTitle } from "../title";

// "lost answer": the server does the work, then the connection drops before the answer.
type Failure = { method: string; status: number | "network" | "lost answer" };
type Body = { title?: string; done?: boolean };

/** An answer held on its way to the app (see MockApi.hold). */
export type HeldAnswer = {
  /** The request's path and query, as the app sent it. */
  url: string;
  /** Settles once the request has reached the server and its answer is computed. */
  arrived: Promise<void>;
  /** Lets the answer go on to the app. */
  release: () => void;
  /** Settles once the answer, released, has left the server. */
  answered: Promise<void>;
};

/** Started once for the whole test run (src/test/setup.ts). */
export const server = setupServer();

export class MockApi {
  tasks: Task[] = [
    { id: 1, title: "Apprendre Docker", done: false },
    { id: 2, title: "Configurer CI/CD", done: false },
  ];
  storage: "memory" | "postgresql" = "memory";
  /** When true, every request fails as if the server could not be reached. */
  down = false;
  requests: { method: string; url: string; body: unknown; key: string | null }[] = [];
  private lastId = 2;
  private failures: Failure[] = [];
  private holds: {
    method: string;
    url: string;
    arrive: () => void;
    released: Promise<void>;
    answer: () => void;
  }[] = [];
  /** Idempotency-Key -> the task it created, as the server replays it. */
  private createdByKey = new Map<string, Task>();

  constructor() {
    server.use(http.all("/api/*", ({ request }) => this.answer(request)));
  }

  addTasks(count: number): void {
    for (let n = 0; n < count; n++)
      this.tasks.push({ id: ++this.lastId, title: `Task ${n + 1}`, done: false });
  }

  /** The next `method` request to `url` (path and query) is answered when it arrives, from
   * the tasks as they are then, but the answer is held until `release()`: a slow network. */
  hold(method: string, url: string): HeldAnswer {
    let arrive = () => {};
    let release = () => {};
    let answer = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    this.holds.push({ method, url, arrive, released, answer });
    return { url, arrived, release, answered };
  }

  /** The next request with this method fails with `status`, or cannot reach the server. */
  failNext(method: string, status: Failure["status"]): void {
    this.failures.push({ method, status });
  }

  private async answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const response = await this.answerNow(request, url);
    const held = this.holds.findIndex(
      (hold) => hold.method === request.method && hold.url === url.pathname + url.search,
    );
    if (held >= 0) {
      const [hold] = this.holds.splice(held, 1);
      hold?.arrive();
      await hold?.released;
      hold?.answer();
    }
    return response;
  }

  private async answerNow(request: Request, url: URL): Promise<Response> {
    const text = await request.text();
    const body: Body | undefined = text ? JSON.parse(text) : undefined;
    const key = request.headers.get("Idempotency-Key");
    this.requests.push({ method: request.method, url: url.pathname + url.search, body, key });
    if (this.down) return HttpResponse.error();
    const failure = this.failures.findIndex((candidate) => candidate.method === request.method);
    if (failure >= 0) {
      const [{ status }] = this.failures.splice(failure, 1) as [Failure];
      if (status === "network") return HttpResponse.error();
      if (status === "lost answer") {
        this.route(request.method, url, body ?? {}, key);
        return HttpResponse.error();
      }
      return json({ detail: "Refused by the test" }, status);
    }
    return this.route(request.method, url, body ?? {}, key);
  }

  private route(method: string, url: URL, body: Body, key: string | null): Response {
    if (url.pathname === "/api/health/ready") return json({ status: "ok", storage: this.storage });
    if (url.pathname === "/api/tasks" && method === "GET") {
      const limit = Number(url.searchParams.get("limit") ?? 100);
      const after = Number(url.searchParams.get("after_id") ?? 0);
      const rest = this.tasks.filter((task) => task.id > after);
      const page = rest.slice(0, limit);
      const last = page.at(-1);
      const headers: Record<string, string> =
        rest.length > limit && last
          ? { Link: `</api/tasks?limit=${limit}&after_id=${last.id}>; rel="next"` }
          : {};
      return json(page, 200, headers);
    }
    if (url.pathname === "/api/tasks/summary") {
      const done = this.tasks.filter((task) => task.done).length;
      return json({ total: this.tasks.length, done, open: this.tasks.length - done });
    }
    if (url.pathname === "/api/tasks" && method === "DELETE") {
      const before = this.tasks.length;
      this.tasks = this.tasks.filter((task) => !task.done);
      return json({ deleted: before - this.tasks.length });
    }
    if (url.pathname === "/api/tasks" && method === "PATCH") {
      const changing = this.tasks.filter((task) => task.done !== body.done);
      this.tasks = this.tasks.map((task) => ({ ...task, done: Boolean(body.done) }));
      return json({ updated: changing.length });
    }
    if (body.title !== undefined && !TITLE_PATTERN.test(String(body.title))) {
      return json({ detail: [{ msg: "String should match the title's pattern" }] }, 422);
    }
    const title = body.title === undefined ? undefined : trimTitle(String(body.title));
    if (url.pathname === "/api/tasks" && method === "POST") {
      const replayed = key ? this.createdByKey.get(key) : undefined;
      if (replayed) return json(replayed, 201, { "Idempotent-Replayed": "true" });
      const task = { id: ++this.lastId, title: title ?? "", done: false };
      this.tasks.push(task);
      if (key) this.createdByKey.set(key, task);
      return json(task, 201);
    }
    const id = Number(url.pathname.split("/").at(-1));
    const index = this.tasks.findIndex((task) => task.id === id);
    const task = this.tasks[index];
    if (!task) return json({ detail: `Task ${id} not found` }, 404);
    if (method === "GET") return json(task);
    if (method === "PATCH") {
      const updated = { ...task, ...body, ...(title === undefined ? {} : { title }) };
      this.tasks[index] = updated;
      return json(updated);
    }
    if (method === "DELETE") {
      this.tasks.splice(index, 1);
      return new HttpResponse(null, { status: 204 });
    }
    return json({ detail: "Method Not Allowed" }, 405);
  }
}

function json(body: JsonBodyType, status = 200, headers: Record<string, string> = {}): Response {
  return HttpResponse.json(body, { status, headers });
}
