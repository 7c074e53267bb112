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
  type Storage,
  setAllDone,
  type Task,
  type TaskChanges,
  updateTask,
} from "./api";
import { FreshReads } from "./freshReads";
import { MAX_PAGE_SIZE, PAGE_SIZE } from "./generated/api";
import {
  NO_TASKS,
  type TaskData,
  withAllMarked,
  withChanges,
  withDoneBack,
  withMarksBack,
  withoutDone,
  withoutTask,
  withPage,
  withSaved,
  withTask,
} from "./taskData";

export type LoadState =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "ready" };

/**
 * One change to the tasks. `show` is applied at once; `send` makes the request; `confirm`
 * applies the server's answer; if the request fails, `undo` puts things back and a notice
 * says `failure` and why.
 */
type Change<Answer> = {
  send: () => Promise<Answer>;
  failure: string;
  show?: (data: TaskData) => TaskData;
  confirm?: (data: TaskData, answer: Answer) => TaskData;
  undo?: (data: TaskData) => TaskData;
};

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Retry in a moment.";
}

/**
 * The task list, its totals over all tasks, and every change to them. Changes show at once
 * (optimistic) and are rolled back, with a notice saying so, when the server refuses them
 * or cannot be reached. When the window gets the focus back, or the tab becomes visible,
 * the list is fetched again, quietly: another tab's changes show up, without polling. No
 * read undoes a change: one that overlapped a change is made again (see FreshReads).
 */
export function useTasks() {
  const [data, setData] = useState<TaskData>(NO_TASKS);
  const [load, setLoad] = useState<LoadState>({ status: "loading" });
  const [loadingMore, setLoadingMore] = useState(false);
  const [storage, setStorage] = useState<Storage | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reads] = useState(() => new FreshReads());
  const latestLoad = useRef(0);
  // The data as last rendered, for actions that need it outside a state update.
  const current = useRef(data);
  current.current = data;

  /** The first page (or, quietly, as many tasks as are loaded), the totals and the storage. */
  const fetchAll = useCallback(
    async (quietly: boolean) => {
      const thisLoad = ++latestLoad.current;
      if (!quietly) setLoad({ status: "loading" });
      try {
        const [page, summary, where] = await reads.read(() => {
          const limit = Math.min(Math.max(current.current.tasks.length, PAGE_SIZE), MAX_PAGE_SIZE);
          return Promise.all([
            listTasks(quietly ? `/api/tasks?limit=${limit}` : FIRST_PAGE),
            getSummary(),
            getStorage(),
          ]);
        });
        if (thisLoad !== latestLoad.current) return; // a newer load has started
        setData({ tasks: page.tasks, summary, next: page.next });
        setStorage(where);
        setLoad({ status: "ready" });
      } catch (error) {
        // A quiet refresh that fails keeps what is on screen; the next action will tell.
        if (!quietly && thisLoad === latestLoad.current) {
          setLoad({ status: "failed", message: messageOf(error) });
        }
      }
    },
    [reads],
  );

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
      const summary = await reads.read(getSummary);
      setData((shown) => ({ ...shown, summary }));
    } catch {
      // Keep the optimistic totals; the next refresh corrects them.
    }
  }, [reads]);

  const loadMore = useCallback(async () => {
    const next = current.current.next;
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await reads.read(() => listTasks(next));
      setData((shown) => withPage(shown, page));
    } catch (error) {
      setNotice(`Could not load more tasks: ${messageOf(error)}`);
    } finally {
      setLoadingMore(false);
    }
  }, [reads]);

  /** The one rule for every change: show it now, send it, roll it back with a notice if it
   * fails, then fetch the exact totals. Returns whether the server took it. */
  const apply = useCallback(
    async <Answer>(change: Change<Answer>): Promise<boolean> => {
      const ended = reads.begin();
      if (change.show) setData(change.show);
      try {
        const answer = await change.send();
        const { confirm } = change;
        if (confirm) setData((shown) => confirm(shown, answer));
        return true;
      } catch (error) {
        if (change.undo) setData(change.undo);
        setNotice(`${change.failure}: ${messageOf(error)}`);
        return false;
      } finally {
        ended();
        void refreshSummary();
      }
    },
    [reads, refreshSummary],
  );

  /** Returns whether the task was added, so that the form keeps the text when it was not. */
  const add = useCallback(
    async (title: string): Promise<boolean> => {
      const added = await apply({
        send: () => createTask(title),
        confirm: withTask,
        failure: `Could not add "${title}"`,
      });
      if (added) setNotice(null);
      return added;
    },
    [apply],
  );

  const change = useCallback(
    (task: Task, changes: TaskChanges, what: string) =>
      apply({
        show: (shown) => withChanges(shown, task, changes),
        send: () => updateTask(task.id, changes),
        confirm: (shown, saved) => withSaved(shown, saved, changes),
        undo: (shown) =>
          withChanges(shown, { ...task, ...changes }, { title: task.title, done: task.done }),
        failure: `Could not ${what} "${task.title}", it is back as it was`,
      }),
    [apply],
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
    (task: Task) =>
      apply({
        show: (shown) => withoutTask(shown, task),
        send: () =>
          deleteTask(task.id).catch((error: unknown) => {
            // Already gone is what was wanted.
            if (!(error instanceof ApiError && error.status === 404)) throw error;
          }),
        undo: (shown) => withTask(shown, task),
        failure: `Could not delete "${task.title}", kept`,
      }),
    [apply],
  );

  /** Every done task, loaded or not, in one request. */
  const clearDone = useCallback(() => {
    const before = current.current;
    return apply({
      show: withoutDone,
      send: deleteDoneTasks,
      undo: (shown) => withDoneBack(shown, before),
      failure: "Could not clear the done tasks, they are kept",
    });
  }, [apply]);

  /** Every task done, or every task open again, in one request. */
  const setAll = useCallback(
    (done: boolean) => {
      const before = current.current;
      return apply({
        show: (shown) => withAllMarked(shown, done),
        send: () => setAllDone(done),
        undo: (shown) => withMarksBack(shown, before),
        failure: `Could not mark every task ${done ? "done" : "not done"}, they are back as they were`,
      });
    },
    [apply],
  );

  return {
    tasks: data.tasks,
    summary: data.summary,
    hasMore: data.next !== null,
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
