// What each change does to the tasks as TanStack Query holds them (the loaded pages, the
// tasks added here, the totals): shown at once, before the server answers, and put back
// if it refuses. Edits of the query cache only; useTasks' mutations send the requests.
import type { QueryClient } from "@tanstack/react-query";
import type { Summary, Task, TaskChanges } from "./api";
import { ADDED, LIST, listedTasks, SUMMARY, type TaskPages } from "./queries";

/** Tasks taken out of the cache, by where they were held: for `putBack`. */
export type Removed = { listed: Task[]; added: Task[] };

/** The tasks to show: the loaded pages' and those added here, by id (the list's order), each
 * once. A loaded page's copy wins: it is the server's. */
export function tasksToShow(pages: TaskPages | undefined, added: Task[]): Task[] {
  const byId = new Map(added.map((task) => [task.id, task]));
  for (const task of listedTasks(pages)) byId.set(task.id, task);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** Every copy held (each loaded page, the tasks added here) edited by `edit`. */
function editTasks(client: QueryClient, edit: (tasks: Task[]) => Task[]): void {
  client.setQueryData<TaskPages>(
    LIST,
    (pages) =>
      pages && {
        ...pages,
        pages: pages.pages.map((page) => ({ ...page, tasks: edit(page.tasks) })),
      },
  );
  client.setQueryData<Task[]>(ADDED, (added) => added && edit(added));
}

function editSummary(client: QueryClient, edit: (summary: Summary) => Summary): void {
  client.setQueryData<Summary>(SUMMARY, (summary) => summary && edit(summary));
}

/** The summary once `delta` tasks (done or not) are added, or removed when negative. */
function counted(summary: Summary, delta: number, done: boolean): Summary {
  return {
    total: summary.total + delta,
    done: summary.done + (done ? delta : 0),
    open: summary.open + (done ? 0 : delta),
  };
}

/** `task`'s own values of the fields `changes` names. */
function fieldsOf(task: Task, changes: TaskChanges): TaskChanges {
  const fields: TaskChanges = {};
  if (changes.title !== undefined) fields.title = task.title;
  if (changes.done !== undefined) fields.done = task.done;
  return fields;
}

function setFields(client: QueryClient, id: number, fields: TaskChanges): void {
  editTasks(client, (tasks) =>
    tasks.map((task) => (task.id === id ? { ...task, ...fields } : task)),
  );
}

/** A new task, as the server created it, and counted. */
export function addTask(client: QueryClient, task: Task): void {
  client.setQueryData<Task[]>(ADDED, (added = []) => [
    ...added.filter((other) => other.id !== task.id),
    task,
  ]);
  editSummary(client, (summary) => counted(summary, 1, task.done));
}

/** `task` (as it was shown) changed by `changes`, its counts moved if `done` flips. */
export function changeTask(client: QueryClient, task: Task, changes: TaskChanges): void {
  setFields(client, task.id, changes);
  const { done } = changes;
  if (done !== undefined && done !== task.done) {
    editSummary(client, (summary) => counted(counted(summary, -1, task.done), 1, done));
  }
}

/** What `changeTask(client, task, changes)` did, undone. */
export function unchangeTask(client: QueryClient, task: Task, changes: TaskChanges): void {
  changeTask(client, { ...task, ...changes }, fieldsOf(task, changes));
}

/** The server's version of the fields one change sent, in place of those shown. Only those:
 * the answer to an earlier change (a rename) that arrives after a later one was shown (a
 * tick) must not take the later one back. */
export function keepSaved(client: QueryClient, saved: Task, sent: TaskChanges): void {
  setFields(client, saved.id, fieldsOf(saved, sent));
}

/** The tasks that match `which` taken out, and no longer counted. */
export function removeTasks(client: QueryClient, which: (task: Task) => boolean): Removed {
  const removed: Removed = {
    listed: listedTasks(client.getQueryData(LIST)).filter(which),
    added: (client.getQueryData<Task[]>(ADDED) ?? []).filter(which),
  };
  editTasks(client, (tasks) => tasks.filter((task) => !which(task)));
  countEach(client, removed, -1);
  return removed;
}

/** `removed`'s tasks, each once (one can be in a page and among the added), added to the
 * totals (`sign` 1) or taken from them (-1). */
function countEach(client: QueryClient, removed: Removed, sign: 1 | -1): void {
  const each = new Map([...removed.added, ...removed.listed].map((task) => [task.id, task]));
  editSummary(client, (summary) =>
    [...each.values()].reduce((sum, task) => counted(sum, sign, task.done), summary),
  );
}

/** What `removeTasks` took out, put back where it was held, and counted again. */
export function putBack(client: QueryClient, removed: Removed): void {
  const back = (tasks: Task[], returning: Task[]) => [
    ...tasks,
    ...returning.filter((task) => !tasks.some((other) => other.id === task.id)),
  ];
  client.setQueryData<TaskPages>(LIST, (pages) => {
    const last = pages?.pages.at(-1);
    if (!pages || !last) return pages;
    return {
      ...pages,
      pages: [...pages.pages.slice(0, -1), { ...last, tasks: back(last.tasks, removed.listed) }],
    };
  });
  client.setQueryData<Task[]>(ADDED, (added = []) => back(added, removed.added));
  countEach(client, removed, 1);
}

/** Every done task deleted, loaded or not: none is counted as done any more. Returns those
 * that were loaded and how many were done, for `undoDeleteDone`. */
export function deleteDone(client: QueryClient): { removed: Removed; done: number } {
  const done = client.getQueryData<Summary>(SUMMARY)?.done ?? 0;
  const removed = removeTasks(client, (task) => task.done);
  editSummary(client, (summary) => ({ total: summary.open, done: 0, open: summary.open }));
  return { removed, done };
}

/** What `deleteDone` did, undone. */
export function undoDeleteDone(
  client: QueryClient,
  { removed, done }: ReturnType<typeof deleteDone>,
): void {
  // putBack counts the loaded ones again; the rest were never loaded.
  putBack(client, removed);
  const loaded = new Set([...removed.listed, ...removed.added].map((task) => task.id)).size;
  editSummary(client, (summary) => counted(summary, done - loaded, true));
}

/** Every task done, or every task open, loaded or not. Returns each loaded task's `done` as
 * it was, and the totals, for `unmarkAll`. */
export function markAll(client: QueryClient, done: boolean) {
  const held = [
    ...listedTasks(client.getQueryData(LIST)),
    ...(client.getQueryData<Task[]>(ADDED) ?? []),
  ];
  const before = {
    marks: new Map(held.map((task) => [task.id, task.done])),
    summary: client.getQueryData<Summary>(SUMMARY),
  };
  editTasks(client, (tasks) => tasks.map((task) => ({ ...task, done })));
  editSummary(client, ({ total }) => ({ total, done: done ? total : 0, open: done ? 0 : total }));
  return before;
}

/** What `markAll` did, undone. */
export function unmarkAll(client: QueryClient, before: ReturnType<typeof markAll>): void {
  editTasks(client, (tasks) =>
    tasks.map((task) => ({ ...task, done: before.marks.get(task.id) ?? task.done })),
  );
  if (before.summary) client.setQueryData(SUMMARY, before.summary);
}
