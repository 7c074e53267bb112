import { useCallback, useEffect, useRef, useState } from "react";
import {
  ApiError,
  createTask,
  deleteTask,
  getStorage,
  listTasks,
  type Storage,
  type Task,
  type TaskChanges,
  updateTask,
} from "./api";

export type LoadState =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "ready" };

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Retry in a moment.";
}

/** `tasks` with `added` merged in, by id, without duplicates: pages and local adds can overlap. */
function mergeById(tasks: Task[], added: Task[]): Task[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  for (const task of added) byId.set(task.id, task);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function replace(tasks: Task[], id: number, changes: Partial<Task>): Task[] {
  return tasks.map((task) => (task.id === id ? { ...task, ...changes } : task));
}

/**
 * The task list and every change to it. Changes show at once (optimistic) and are
 * rolled back, with a notice saying so, when the server refuses them or cannot be reached.
 */
export function useTasks() {
  const [tasks, setTasks] = useState<Task[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [load, setLoad] = useState<LoadState>({ status: "loading" });
  const [loadingMore, setLoadingMore] = useState(false);
  const [storage, setStorage] = useState<Storage | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const latestLoad = useRef(0);

  const reload = useCallback(async () => {
    const thisLoad = ++latestLoad.current;
    setLoad({ status: "loading" });
    try {
      const [page, where] = await Promise.all([listTasks(), getStorage()]);
      if (thisLoad !== latestLoad.current) return; // a newer load has started
      setTasks(page.tasks);
      setNext(page.next);
      setStorage(where);
      setLoad({ status: "ready" });
    } catch (error) {
      if (thisLoad === latestLoad.current) setLoad({ status: "failed", message: messageOf(error) });
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const loadMore = useCallback(async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await listTasks(next);
      setTasks((current) => mergeById(current, page.tasks));
      setNext(page.next);
    } catch (error) {
      setNotice(`Could not load more tasks: ${messageOf(error)}`);
    } finally {
      setLoadingMore(false);
    }
  }, [next]);

  /** Returns whether the task was added, so that the form keeps the text when it was not. */
  const add = useCallback(async (title: string): Promise<boolean> => {
    try {
      const task = await createTask(title);
      setTasks((current) => mergeById(current, [task]));
      setNotice(null);
      return true;
    } catch (error) {
      setNotice(`Could not add "${title}": ${messageOf(error)}`);
      return false;
    }
  }, []);

  const change = useCallback(async (task: Task, changes: TaskChanges, what: string) => {
    setTasks((current) => replace(current, task.id, changes));
    try {
      const saved = await updateTask(task.id, changes);
      setTasks((current) => replace(current, task.id, saved));
    } catch (error) {
      const before = { title: task.title, done: task.done };
      setTasks((current) => replace(current, task.id, before));
      setNotice(`Could not ${what} "${task.title}", it is back as it was: ${messageOf(error)}`);
    }
  }, []);

  const toggle = useCallback(
    (task: Task) => change(task, { done: !task.done }, task.done ? "reopen" : "complete"),
    [change],
  );

  const rename = useCallback(
    (task: Task, title: string) => change(task, { title }, "rename"),
    [change],
  );

  const removeAll = useCallback(async (doomed: Task[]) => {
    const ids = new Set(doomed.map((task) => task.id));
    setTasks((current) => current.filter((task) => !ids.has(task.id)));
    const results = await Promise.allSettled(
      doomed.map((task) =>
        deleteTask(task.id).catch((error: unknown) => {
          // Already gone is what was wanted.
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        }),
      ),
    );
    const failed = doomed.filter((_, index) => results[index]?.status === "rejected");
    const firstFailure = results.find((result) => result.status === "rejected");
    if (failed.length > 0 && firstFailure?.status === "rejected") {
      setTasks((current) => mergeById(current, failed));
      const what = failed.length === 1 ? `"${failed[0]?.title}"` : `${failed.length} tasks`;
      setNotice(`Could not delete ${what}, kept: ${messageOf(firstFailure.reason)}`);
    }
  }, []);

  const remove = useCallback((task: Task) => removeAll([task]), [removeAll]);
  const clearDone = useCallback(
    () => removeAll(tasks.filter((task) => task.done)),
    [removeAll, tasks],
  );

  return {
    tasks,
    hasMore: next !== null,
    load,
    loadingMore,
    storage,
    notice,
    dismissNotice: () => setNotice(null),
    reload,
    loadMore,
    add,
    toggle,
    rename,
    remove,
    clearDone,
  };
}
