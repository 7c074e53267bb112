import { useEffect, useState } from "react";
import type { Task } from "./api";

// The filter lives in the URL's hash (#/active, #/done), so a reload or a shared link keeps it.
export const FILTERS = ["all", "active", "done"] as const;
export type Filter = (typeof FILTERS)[number];

export const FILTER_LABELS: Record<Filter, string> = { all: "All", active: "Active", done: "Done" };

export function filterFromHash(hash: string): Filter {
  const name = hash.replace(/^#\/?/, "");
  return (FILTERS as readonly string[]).includes(name) ? (name as Filter) : "all";
}

export function hashOf(filter: Filter): string {
  return filter === "all" ? "#/" : `#/${filter}`;
}

export function matches(filter: Filter, task: Task): boolean {
  return filter === "all" || (filter === "done") === task.done;
}

/** The filter named by the URL, kept in step with the back and forward buttons. */
export function useFilter(): Filter {
  const [filter, setFilter] = useState(() => filterFromHash(window.location.hash));
  useEffect(() => {
    const follow = () => setFilter(filterFromHash(window.location.hash));
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return filter;
}
