import { useCallback, useEffect, useRef, useState } from "react";
import {
  ApiError,
  createTask,
  deleteDoneTasks,
  deleteTask,
  FIRST_PAGE,
  getStorage,
  getSummary,
  listTasks,
  PAGE_SIZE,
  type Storage,
  type Summary,
  setAllDone,
  type Task,
  type TaskChanges,
  updateTask,
} from "./api";

export type LoadState =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "ready" };

const NO_TASKS: Summary = { total: 0, done: 0, open: 0 };
// The API's largest page: a refresh brings back at most this many of the tasks loaded.
const MAX_PAGE = 1000;

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

/** The summary once `delta` tasks (done or not) are added, or removed when negative. */
function counted(summary: Summary, delta: number, done: boolean): Summary {
  return {
    total: summary.total + delta,
    done: summary.done + (done ? delta : 0),
    open: summary.open + (done ? 0 : delta),
  };
}

/**
 * The task list, its totals over all tasks, and every change to them. Changes show at once
 * (optimistic) and are rolled back, with a notice saying so, when the server refuses them
 * or cannot be reached. When the window gets the focus back, or the tab becomes visible,
 * the list is fetched again, quietly: another tab's changes show up, without polling.
 */
export function useTasks() {
  const [tasks, setTasks] = useState<Task[]>([]);
  const [summary, setSummary] = useState<Summary>(NO_TASKS);
  const [next, setNext] = useState<string | null>(null);
  const [load, setLoad] = useState<LoadState>({ status: "loading" });
  const [loadingMore, setLoadingMore] = useState(false);
  const [storage, setStorage] = useState<Storage | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const latestLoad = useRef(0);
  const loaded = useRef(0);
  loaded.current = tasks.length;

  /** The first page (or, quietly, as many tasks as are loaded), the totals and the storage. */
  const fetchAll = useCallback(async (quietly: boolean) => {
    const thisLoad = ++latestLoad.current;
    if (!quietly) setLoad({ status: "loading" });
    const limit = Math.min(Math.max(loaded.current, PAGE_SIZE), MAX_PAGE);
    try {
      const [page, totals, where] = await Promise.all([
        listTasks(quietly ? `/api/tasks?limit=${limit}` : FIRST_PAGE),
        getSummary(),
        getStorage(),
      ]);
      if (thisLoad !== latestLoad.current) return; // a newer load has started
      setTasks(page.tasks);
      setNext(page.next);
      setSummary(totals);
      setStorage(where);
      setLoad({ status: "ready" });
    } catch (error) {
      // A quiet refresh that fails keeps what is on screen; the next action will tell.
      if (!quietly && thisLoad === latestLoad.current) {
        setLoad({ status: "failed", message: messageOf(error) });
      }
    }
  }, []);

  const reload = useCallback(() => fetchAll(false), [fetchAll]);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    const refresh = () => {
      if (document.visibilityState === "visible") void fetchAll(true);
    };
    window.addEventListener("focus", refresh);
    document.addEventListener("visibilitychange", refresh);
    return () => {
      window.removeEventListener("focus", refresh);
      document.removeEventListener("visibilitychange", refresh);
    };
  }, [fetchAll]);

  /** The exact totals, after a change: the optimistic ones may miss another tab's work. */
  const refreshSummary = useCallback(async () => {
    try {
      setSummary(await getSummary());
    } catch {
      // Keep the optimistic totals; the next refresh corrects them.
    }
  }, []);

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
  const add = useCallback(
    async (title: string): Promise<boolean> => {
      try {
        const task = await createTask(title);
        setTasks((current) => mergeById(current, [task]));
        setSummary((current) => counted(current, 1, task.done));
        setNotice(null);
        void refreshSummary();
        return true;
      } catch (error) {
        setNotice(`Could not add "${title}": ${messageOf(error)}`);
        return false;
      }
    },
    [refreshSummary],
  );

  const change = useCallback(
    async (task: Task, changes: TaskChanges, what: string) => {
      const before = { title: task.title, done: task.done };
      const flips = changes.done !== undefined && changes.done !== task.done;
      setTasks((current) => replace(current, task.id, changes));
      if (flips) setSummary((current) => counted(counted(current, -1, task.done), 1, !task.done));
      try {
        const saved = await updateTask(task.id, changes);
        setTasks((current) => replace(current, task.id, saved));
      } catch (error) {
        setTasks((current) => replace(current, task.id, before));
        if (flips) setSummary((current) => counted(counted(current, -1, !task.done), 1, task.done));
        setNotice(`Could not ${what} "${task.title}", it is back as it was: ${messageOf(error)}`);
      }
      void refreshSummary();
    },
    [refreshSummary],
  );

  const toggle = useCallback(
    (task: Task) => change(task, { done: !task.done }, task.done ? "reopen" : "complete"),
    [change],
  );

  const rename = useCallback(
    (task: Task, title: string) => change(task, { title }, "rename"),
    [change],
  );

  const remove = useCallback(
    async (task: Task) => {
      setTasks((current) => current.filter((other) => other.id !== task.id));
      setSummary((current) => counted(current, -1, task.done));
      try {
        await deleteTask(task.id).catch((error: unknown) => {
          // Already gone is what was wanted.
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        });
      } catch (error) {
        setTasks((current) => mergeById(current, [task]));
        setSummary((current) => counted(current, 1, task.done));
        setNotice(`Could not delete "${task.title}", kept: ${messageOf(error)}`);
      }
      void refreshSummary();
    },
    [refreshSummary],
  );

  /** Every done task, loaded or not, in one request. */
  const clearDone = useCallback(async () => {
    const removed = tasks.filter((task) => task.done);
    setTasks((current) => current.filter((task) => !task.done));
    setSummary((current) => ({ ...current, total: current.open, done: 0 }));
    try {
      await deleteDoneTasks();
    } catch (error) {
      setTasks((current) => mergeById(current, removed));
      setNotice(`Could not clear the done tasks, they are kept: ${messageOf(error)}`);
    }
    void refreshSummary();
  }, [tasks, refreshSummary]);

  /** Every task done, or every task open again, in one request. */
  const setAll = useCallback(
    async (done: boolean) => {
      const before = tasks;
      setTasks((current) => current.map((task) => ({ ...task, done })));
      setSummary((current) => ({
        total: current.total,
        done: done ? current.total : 0,
        open: done ? 0 : current.total,
      }));
      try {
        await setAllDone(done);
      } catch (error) {
        setTasks(before);
        setNotice(
          `Could not mark every task ${done ? "done" : "not done"}, they are back as they were: ${messageOf(error)}`,
        );
      }
      void refreshSummary();
    },
    [tasks, refreshSummary],
  );

  return {
    tasks,
    summary,
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
    setAll,
  };
}
