// Keyboard focus that never falls to the page's body. When an action removes the element
// that had the focus (a task deleted, ticked out of the filtered view, cleared, removed by
// a rollback) or disables it ("Clear done" with nothing left to clear), browsers move the
// focus to <body>: no focus ring, and a screen reader loses its place.
import { type RefObject, useEffect, useLayoutEffect, useRef } from "react";

/** The element that had the focus, and what it was: a task's control, or another one. */
type Focused = { element: HTMLElement; taskId: number | null; control: string | null };

function controlOf(taskId: number, control: string): HTMLElement | null {
  return document.querySelector(`[data-task-id="${taskId}"] [data-control="${control}"]`);
}

/** Where the focus goes once `lost` is gone: the same control of the same task if it is
 * still shown (an edit that closed), else of the next task shown, else of the previous
 * one; after "Load more", the first task it loaded; else `fallback`. */
function nextFocus(
  lost: Focused,
  before: number[],
  shown: number[],
  fallback: HTMLElement | null,
): HTMLElement | null {
  const still = new Set(shown);
  const { taskId, control } = lost;
  const at = taskId === null ? -1 : before.indexOf(taskId);
  if (at >= 0 && control !== null) {
    const next = before.slice(at).find((id) => still.has(id));
    const previous = before
      .slice(0, at)
      .reverse()
      .find((id) => still.has(id));
    for (const id of [next, previous]) {
      const target = id === undefined ? null : controlOf(id, control);
      if (target) return target;
    }
  }
  if (control === "load-more") {
    const seen = new Set(before);
    const first = shown.find((id) => !seen.has(id));
    const target = first === undefined ? null : controlOf(first, "toggle");
    if (target) return target;
  }
  return fallback;
}

/**
 * Keeps the focus on the page: after each render, if the element that had it was removed
 * or disabled and nothing else took it, it goes where `nextFocus` says. `shown` is the ids
 * of the tasks on screen, in order; controls carry `data-control`, tasks `data-task-id`.
 */
export function useFocusKeeper(shown: number[], fallback: RefObject<HTMLElement | null>): void {
  const focused = useRef<Focused | null>(null);
  const shownBefore = useRef(shown);

  useEffect(() => {
    const record = (event: FocusEvent) => {
      if (!(event.target instanceof HTMLElement)) return;
      const task = event.target.closest<HTMLElement>("[data-task-id]");
      focused.current = {
        element: event.target,
        taskId: task ? Number(task.dataset.taskId) : null,
        control: event.target.dataset.control ?? null,
      };
    };
    document.addEventListener("focusin", record);
    return () => document.removeEventListener("focusin", record);
  }, []);

  useLayoutEffect(() => {
    const before = shownBefore.current;
    shownBefore.current = shown;
    const lost = focused.current;
    if (!lost) return;
    const { element } = lost;
    const gone = !element.isConnected || (element as HTMLButtonElement).disabled === true;
    const active = document.activeElement;
    if (!gone || (active && active !== document.body && active !== element)) return;
    nextFocus(lost, before, shown, fallback.current)?.focus();
  });
}
