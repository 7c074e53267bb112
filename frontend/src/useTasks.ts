import {
  type QueryClient,
  useInfiniteQuery,
  useIsMutating,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import {
  ApiError,
  createTask,
  deleteDoneTasks,
  deleteTask,
  newIdempotencyKey,
  setAllDone,
  type Task,
  type TaskChanges,
  updateTask,
  worthRetrying,
} from "./api";
import type { NoticeContent } from "./components/Notice";
import { addedQuery, listQuery, STORAGE, storageQuery, summaryQuery, TASKS } from "./queries";
import {
  addTask,
  changeTask,
  deleteDone,
  keepSaved,
  markAll,
  putBack,
  removeTasks,
  tasksToShow,
  unchangeTask,
  undoDeleteDone,
  unmarkAll,
} from "./taskCache";

export type LoadState =
  | { status: "loading" }
  | { status: "failed"; message: string }
  | { status: "ready" };

/** A notice about a change that did not go through; `subject` names what it was about (a
 * task, the new-task form, every task), so that a later change to it that succeeds clears it. */
export type Notice = NoticeContent & { subject: string };

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Retry in a moment.";
}

const isGone = (error: unknown) => error instanceof ApiError && error.status === 404;

/**
 * One kind of change, as a mutation. `show` is applied to the cache at once and returns
 * what `undo` needs; `confirm` applies the server's answer; `failure` is the notice.
 */
type Change<Vars, Answer, Shown> = {
  send: (vars: Vars) => Promise<Answer>;
  subject: (vars: Vars) => string;
  failure: (vars: Vars, error: unknown) => NoticeContent;
  show?: (client: QueryClient, vars: Vars) => Shown;
  confirm?: (client: QueryClient, answer: Answer, vars: Vars) => void;
  undo?: (client: QueryClient, shown: Shown, vars: Vars, error: unknown) => void;
  retry?: (failures: number, error: unknown) => boolean;
  retryDelay?: (failures: number) => number;
};

/** The one rule for every change (TanStack Query's optimistic update): cancel the reads it
 * races, so that none lands over it; show it; send it; on failure undo it and say so; once
 * the last change on its way has settled, refetch what it made stale. */
function useChange<Vars, Answer, Shown>(
  change: Change<Vars, Answer, Shown>,
  notices: { show: (notice: Notice) => void; settled: (subject: string) => void },
) {
  const client = useQueryClient();
  return useMutation({
    mutationKey: TASKS,
    mutationFn: change.send,
    retry: change.retry ?? false,
    retryDelay: change.retryDelay,
    onMutate: async (vars) => {
      await client.cancelQueries({ queryKey: TASKS });
      return change.show?.(client, vars);
    },
    onSuccess: async (answer, vars) => {
      // A read started while the change was on its way may hold the tasks without it.
      await client.cancelQueries({ queryKey: TASKS });
      change.confirm?.(client, answer, vars);
      notices.settled(change.subject(vars));
    },
    onError: (error, vars, shown) => {
      change.undo?.(client, shown as Shown, vars, error);
      notices.show({ ...change.failure(vars, error), subject: change.subject(vars) });
    },
    onSettled: () => {
      // Another change still on its way refetches when it settles: a refetch now could
      // show the tasks without it. Not awaited: the change is done (the form that sent it
      // is free again) while the refetch runs.
      if (client.isMutating({ mutationKey: TASKS }) > 1) return;
      void client.invalidateQueries({ queryKey: TASKS });
    },
  });
}

// A create that failed for want of an answer is sent again, with the same Idempotency-Key.
const CREATE_RETRY_DELAYS_MS = [300, 1_000];

/**
 * The task list, its totals over all tasks, where they are stored, and every change to
 * them, through TanStack Query. Changes show at once (optimistic) and are rolled back, with
 * a notice saying so, when the server refuses them or cannot be reached; a rename or tick
 * of a task deleted meanwhile (404) removes it. Reads are fetched again, quietly, when the
 * window gets the focus back, the tab becomes visible or the network returns; a first load
 * that fails is retried with backoff.
 */
export function useTasks() {
  const client = useQueryClient();
  const list = useInfiniteQuery(listQuery);
  const added = useQuery(addedQuery);
  const summary = useQuery(summaryQuery);
  const storage = useQuery(storageQuery);
  const changing = useIsMutating({ mutationKey: TASKS });
  const [notice, setNotice] = useState<Notice | null>(null);
  // Pages the user asked for: a change cancels a "Load more" on its way, which is sent
  // again once no change is.
  const [pagesWanted, setPagesWanted] = useState(1);

  const notices = {
    show: setNotice,
    settled: (subject: string) => setNotice((shown) => (shown?.subject === subject ? null : shown)),
  };

  const pagesLoaded = list.data?.pages.length ?? 0;
  const { hasNextPage, isFetching, fetchNextPage } = list;
  useEffect(() => {
    if (pagesLoaded === 0 || pagesLoaded >= pagesWanted || !hasNextPage) return;
    if (isFetching || changing > 0) return;
    void fetchNextPage().then((result) => {
      if (!result.isFetchNextPageError) return;
      setPagesWanted(result.data?.pages.length ?? 1);
      setNotice({
        subject: "more",
        before: `Could not load more tasks: ${messageOf(result.error)}`,
      });
    });
  }, [pagesLoaded, pagesWanted, hasNextPage, isFetching, changing, fetchNextPage]);

  const loadMore = useCallback(() => {
    setPagesWanted(pagesLoaded + 1);
    setNotice((shown) => (shown?.subject === "more" ? null : shown));
  }, [pagesLoaded]);

  const create = useChange(
    {
      send: ({ title, key }: { title: string; key: string }) => createTask(title, key),
      subject: () => "new",
      retry: (failures, error) =>
        failures < CREATE_RETRY_DELAYS_MS.length && worthRetrying(error, { creating: true }),
      retryDelay: (failures) => CREATE_RETRY_DELAYS_MS[failures] ?? 0,
      confirm: (client, task) => addTask(client, task),
      failure: ({ title }, error) => ({
        before: "Could not add ",
        title,
        after: `: ${messageOf(error)}`,
      }),
    },
    notices,
  );

  const change = useChange(
    {
      send: ({ task, changes }: { task: Task; changes: TaskChanges; what: string }) =>
        updateTask(task.id, changes),
      subject: ({ task }) => `task ${task.id}`,
      show: (client, { task, changes }) => changeTask(client, task, changes),
      confirm: (client, saved, { changes }) => keepSaved(client, saved, changes),
      undo: (client, _, { task, changes }, error) => {
        // Deleted meanwhile (another tab): it goes, as it did there.
        if (isGone(error)) removeTasks(client, (other) => other.id === task.id);
        else unchangeTask(client, task, changes);
      },
      failure: ({ task, what }, error) =>
        isGone(error)
          ? {
              before: `Could not ${what} `,
              title: task.title,
              after: ": it was deleted elsewhere, and is removed from the list.",
            }
          : {
              before: `Could not ${what} `,
              title: task.title,
              after: `, it is back as it was: ${messageOf(error)}`,
            },
    },
    notices,
  );

  const remove = useChange(
    {
      send: (task: Task) =>
        deleteTask(task.id).catch((error: unknown) => {
          if (!isGone(error)) throw error; // already gone is what was wanted
        }),
      subject: (task) => `task ${task.id}`,
      show: (client, task) => removeTasks(client, (other) => other.id === task.id),
      undo: (client, removed) => putBack(client, removed),
      failure: (task, error) => ({
        before: "Could not delete ",
        title: task.title,
        after: `, kept: ${messageOf(error)}`,
      }),
    },
    notices,
  );

  const clearDone = useChange(
    {
      send: () => deleteDoneTasks(),
      subject: () => "all",
      show: (client) => deleteDone(client),
      undo: (client, deleted) => undoDeleteDone(client, deleted),
      failure: (_, error) => ({
        before: `Could not clear the done tasks, they are kept: ${messageOf(error)}`,
      }),
    },
    notices,
  );

  const setAll = useChange(
    {
      send: (done: boolean) => setAllDone(done),
      subject: () => "all",
      show: (client, done) => markAll(client, done),
      undo: (client, before) => unmarkAll(client, before),
      failure: (done, error) => ({
        before: `Could not mark every task ${done ? "done" : "not done"}, they are back as they were: ${messageOf(error)}`,
      }),
    },
    notices,
  );

  const { mutate: changeTaskOnServer } = change;
  const toggle = useCallback(
    (task: Task) =>
      changeTaskOnServer({
        task,
        changes: { done: !task.done },
        what: task.done ? "reopen" : "complete",
      }),
    [changeTaskOnServer],
  );
  const rename = useCallback(
    (task: Task, title: string) => changeTaskOnServer({ task, changes: { title }, what: "rename" }),
    [changeTaskOnServer],
  );

  /** Returns whether the task was added, so that the form keeps the text when it was not. */
  const add = useCallback(
    async (title: string): Promise<boolean> => {
      try {
        await create.mutateAsync({ title, key: newIdempotencyKey() });
        return true;
      } catch {
        return false;
      }
    },
    [create.mutateAsync],
  );

  /** Start again from nothing: the reads of a first load that failed, at once. */
  const reload = useCallback(
    () =>
      Promise.all([
        client.resetQueries({ queryKey: TASKS }),
        client.resetQueries({ queryKey: STORAGE }),
      ]),
    [client],
  );

  const reads = [list, summary, storage];
  const failed = reads.find((read) => read.data === undefined && read.failureCount > 0);
  const load: LoadState = failed
    ? { status: "failed", message: messageOf(failed.failureReason) }
    : reads.some((read) => read.data === undefined)
      ? { status: "loading" }
      : { status: "ready" };

  return {
    tasks: tasksToShow(list.data, added.data),
    summary: summary.data ?? { total: 0, done: 0, open: 0 },
    hasMore: hasNextPage,
    load,
    loadingMore: pagesWanted > pagesLoaded && hasNextPage,
    storage: storage.data ?? null,
    notice,
    dismissNotice: () => setNotice(null),
    reload,
    loadMore,
    add,
    toggle,
    rename,
    remove: remove.mutate,
    clearDone: clearDone.mutate,
    setAll: setAll.mutate,
  };
}
