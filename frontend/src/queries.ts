// What the app reads from the API, as TanStack Query queries: their keys, how each is
// fetched, and the client's rules for retrying and refetching them.
import {
  focusManager,
  type InfiniteData,
  infiniteQueryOptions,
  QueryClient,
  queryOptions,
} from "@tanstack/react-query";
import {
  FIRST_PAGE,
  getStorage,
  getSummary,
  getTask,
  listTasks,
  type Task,
  type TaskPage,
  worthRetrying,
} from "./api";

/** Every read that a change to the tasks can make stale: changes cancel and refetch these. */
export const TASKS = ["tasks"] as const;
export const LIST = ["tasks", "list"] as const;
export const ADDED = ["tasks", "added"] as const;
export const SUMMARY = ["tasks", "summary"] as const;
export const STORAGE = ["storage"] as const;

export type TaskPages = InfiniteData<TaskPage>;

/** The list, a page at a time ("Load more" fetches the next one, from the Link header). A
 * refetch fetches as many pages as are loaded, from the first. */
export const listQuery = infiniteQueryOptions({
  queryKey: LIST,
  queryFn: ({ pageParam, signal }) => listTasks(pageParam, signal),
  initialPageParam: FIRST_PAGE,
  getNextPageParam: (page) => page.next ?? undefined,
});

/** The tasks in the loaded pages. */
export function listedTasks(pages: TaskPages | undefined): Task[] {
  return pages?.pages.flatMap((page) => page.tasks) ?? [];
}

/**
 * Tasks added here that no loaded page holds yet: new tasks come last (the list is ordered
 * by id), often past the pages loaded, and a refetch of those pages would drop them. Each
 * is fetched again on its own until a loaded page holds it; one deleted meanwhile goes.
 */
export const addedQuery = queryOptions({
  queryKey: ADDED,
  queryFn: async ({ client, signal }): Promise<Task[]> => {
    const listed = new Set(listedTasks(client.getQueryData(LIST)).map((task) => task.id));
    const held = client.getQueryData<Task[]>(ADDED) ?? [];
    const fresh = await Promise.all(
      held.filter((task) => !listed.has(task.id)).map((task) => getTask(task.id, signal)),
    );
    return fresh.filter((task) => task !== null);
  },
  initialData: [],
});

/** How many tasks there are, done and open, over all tasks. */
export const summaryQuery = queryOptions({
  queryKey: SUMMARY,
  queryFn: ({ signal }) => getSummary(signal),
});

/** Where the backend keeps the tasks. */
export const storageQuery = queryOptions({
  queryKey: STORAGE,
  queryFn: ({ signal }) => getStorage(signal),
});

/** Reads that fail for want of a server are tried again this many times, waiting 1, 2, 4,
 * 8, 16 then 30 s (TanStack Query's backoff): about a minute. Then the Retry button, the
 * network coming back, or the window's focus try again. */
export const READ_RETRIES = 6;

/** The app's one client: reads retried with backoff when the server is away, refetched
 * when the window gets the focus back, the tab becomes visible, or the network returns. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, error) => failures < READ_RETRIES && worthRetrying(error),
      },
    },
  });
}

// TanStack Query listens to `visibilitychange` only; a window that gets the focus back
// (another window was in front, the tab stayed visible) shows another tab's changes too.
focusManager.setEventListener((refocused) => {
  const listener = () => refocused();
  document.addEventListener("visibilitychange", listener);
  window.addEventListener("focus", listener);
  return () => {
    document.removeEventListener("visibilitychange", listener);
    window.removeEventListener("focus", listener);
  };
});
