import { QueryClientProvider } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import type { Task } from "./api";
import { ErrorBanner } from "./components/ErrorBanner";
import { NewTaskForm } from "./components/NewTaskForm";
import { Notice } from "./components/Notice";
import { StorageNote } from "./components/StorageNote";
import { TaskFilters } from "./components/TaskFilters";
import { TaskFooter } from "./components/TaskFooter";
import { TaskList } from "./components/TaskList";
import { ToggleAll } from "./components/ToggleAll";
import { FILTER_LABELS, matches, useFilter } from "./filter";
import { useFocusKeeper } from "./focusKeeper";
import { createQueryClient } from "./queries";
import { useTasks } from "./useTasks";

/** The app, with its own TanStack Query client: one per page (and per test). */
export function App() {
  const [client] = useState(createQueryClient);
  return (
    <QueryClientProvider client={client}>
      <TaskApp />
    </QueryClientProvider>
  );
}

function TaskApp() {
  const filter = useFilter();
  const list = useTasks();
  const { summary } = list;
  const visible = list.tasks.filter((task) => matches(filter, task));
  const newTaskField = useRef<HTMLInputElement>(null);
  // What the last action did, for screen readers: the page's one polite live region.
  const [announcement, setAnnouncement] = useState("");
  useFocusKeeper(
    visible.map((task) => task.id),
    newTaskField,
  );

  function clearDone() {
    // Done tasks further down the list, not loaded yet, are deleted too: say so first.
    const unseen = summary.done - list.tasks.filter((task) => task.done).length;
    if (unseen > 0) {
      const question = `Delete all ${summary.done} done tasks? ${unseen} of them are not shown here.`;
      if (!window.confirm(question)) return;
    }
    setAnnouncement(`Deleted ${summary.done} done ${summary.done === 1 ? "task" : "tasks"}.`);
    list.clearDone();
  }

  // Stable, so that a render of the app re-renders no task that did not change.
  const { toggle: toggleOnServer, remove: removeOnServer } = list;
  const toggle = useCallback(
    (task: Task) => {
      const done = !task.done;
      if (!matches(filter, { ...task, done })) {
        setAnnouncement(
          `"${task.title}" marked ${done ? "done" : "not done"}: not shown under ${FILTER_LABELS[filter]}.`,
        );
      }
      toggleOnServer(task);
    },
    [filter, toggleOnServer],
  );
  const remove = useCallback(
    (task: Task) => {
      setAnnouncement(`Deleted "${task.title}".`);
      removeOnServer(task);
    },
    [removeOnServer],
  );

  return (
    <main className="app">
      <header>
        <h1>Tasks</h1>
        <StorageNote storage={list.storage} />
      </header>

      <NewTaskForm onAdd={list.add} field={newTaskField} />
      {list.notice && <Notice notice={list.notice} onDismiss={list.dismissNotice} />}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>

      {list.load.status === "loading" && (
        <p className="loading" role="status">
          Loading tasks…
        </p>
      )}
      {list.load.status === "failed" && (
        <ErrorBanner message={list.load.message} onRetry={() => void list.reload()} />
      )}
      {list.load.status === "ready" && summary.total === 0 && list.tasks.length === 0 && (
        // No list and no footer when there is no task at all: a counter at 0 says nothing.
        <p className="empty">No tasks yet. Add one above.</p>
      )}
      {list.load.status === "ready" && (summary.total > 0 || list.tasks.length > 0) && (
        <section aria-label="Task list">
          <div className="list-controls">
            <ToggleAll allDone={summary.open === 0} onChange={list.setAll} />
            <TaskFilters current={filter} />
          </div>
          <TaskList
            tasks={visible}
            filter={filter}
            onToggle={toggle}
            onRename={list.rename}
            onDelete={remove}
          />
          {list.hasMore && (
            <button
              type="button"
              className="load-more"
              data-control="load-more"
              onClick={list.loadMore}
            >
              {list.loadingMore ? "Loading…" : "Load more"}
            </button>
          )}
          <TaskFooter left={summary.open} doneCount={summary.done} onClearDone={clearDone} />
        </section>
      )}
    </main>
  );
}
