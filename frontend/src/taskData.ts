// The list as the app holds it, and what each change does to it: pure functions, no
// requests (useTasks sends those, and applies these before, after or instead).
import type { Summary, Task, TaskChanges, TaskPage } from "./api";

/** What the list shows: the tasks loaded, the totals over all tasks, the next page's URL. */
export type TaskData = { tasks: Task[]; summary: Summary; next: string | null };

export const NO_TASKS: TaskData = {
  tasks: [],
  summary: { total: 0, done: 0, open: 0 },
  next: null,
};

/** `tasks` with `added` merged in, by id, without duplicates: pages and local adds can overlap. */
function mergeById(tasks: Task[], added: Task[]): Task[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  for (const task of added) byId.set(task.id, task);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The summary once `delta` tasks (done or not) are added, or removed when negative. */
function counted(summary: Summary, delta: number, done: boolean): Summary {
  return {
    total: summary.total + delta,
    done: summary.done + (done ? delta : 0),
    open: summary.open + (done ? 0 : delta),
  };
}

/** A further page, merged into the tasks loaded. */
export function withPage(data: TaskData, page: TaskPage): TaskData {
  return { ...data, tasks: mergeById(data.tasks, page.tasks), next: page.next };
}

/** A task added (a new one), or put back (a deletion undone), and counted. */
export function withTask(data: TaskData, task: Task): TaskData {
  return {
    ...data,
    tasks: mergeById(data.tasks, [task]),
    summary: counted(data.summary, 1, task.done),
  };
}

/** A task deleted, and no longer counted. */
export function withoutTask(data: TaskData, task: Task): TaskData {
  return {
    ...data,
    tasks: data.tasks.filter((other) => other.id !== task.id),
    summary: counted(data.summary, -1, task.done),
  };
}

/** `task` (as it was shown) changed by `changes`, its counts moved if `done` flips. */
export function withChanges(data: TaskData, task: Task, changes: TaskChanges): TaskData {
  const flips = changes.done !== undefined && changes.done !== task.done;
  return {
    ...data,
    tasks: data.tasks.map((shown) => (shown.id === task.id ? { ...shown, ...changes } : shown)),
    summary: flips ? counted(counted(data.summary, -1, task.done), 1, !task.done) : data.summary,
  };
}

/** The server's version of the fields one change sent, in place of those shown. Only those:
 * the answer to an earlier change (a rename) that arrives after a later one was shown (a
 * tick) must not take the later one back. */
export function withSaved(data: TaskData, saved: Task, sent: TaskChanges): TaskData {
  const fields: Partial<Task> = {};
  if (sent.title !== undefined) fields.title = saved.title;
  if (sent.done !== undefined) fields.done = saved.done;
  return {
    ...data,
    tasks: data.tasks.map((shown) => (shown.id === saved.id ? { ...shown, ...fields } : shown)),
  };
}

/** Every done task deleted, loaded or not: none is counted as done any more. */
export function withoutDone(data: TaskData): TaskData {
  return {
    ...data,
    tasks: data.tasks.filter((task) => !task.done),
    summary: { ...data.summary, total: data.summary.open, done: 0 },
  };
}

/** What `withoutDone` removed from `before`, put back. */
export function withDoneBack(data: TaskData, before: TaskData): TaskData {
  return {
    ...data,
    tasks: mergeById(
      data.tasks,
      before.tasks.filter((task) => task.done),
    ),
    summary: counted(data.summary, before.summary.done, true),
  };
}

/** Every task done, or every task open, loaded or not. */
export function withAllMarked(data: TaskData, done: boolean): TaskData {
  const { total } = data.summary;
  return {
    ...data,
    tasks: data.tasks.map((task) => ({ ...task, done })),
    summary: { total, done: done ? total : 0, open: done ? 0 : total },
  };
}

/** Each task's `done` as it was in `before`, and its totals. */
export function withMarksBack(data: TaskData, before: TaskData): TaskData {
  const wasDone = new Map(before.tasks.map((task) => [task.id, task.done]));
  return {
    ...data,
    tasks: data.tasks.map((task) => ({ ...task, done: wasDone.get(task.id) ?? task.done })),
    summary: before.summary,
  };
}
