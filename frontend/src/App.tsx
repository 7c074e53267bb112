import { QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorBanner } from "./components/ErrorBanner";
import { NewTaskForm } from "./components/NewTaskForm";
import { Notice } from "./components/Notice";
import { StorageNote } from "./components/StorageNote";
import { TaskFilters } from "./components/TaskFilters";
import { TaskFooter } from "./components/TaskFooter";
import { TaskList } from "./components/TaskList";
import { ToggleAll } from "./components/ToggleAll";
import { matches, useFilter } from "./filter";
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

  function clearDone() {
    // Done tasks further down the list, not loaded yet, are deleted too: say so first.
    const unseen = summary.done - list.tasks.filter((task) => task.done).length;
    if (unseen > 0) {
      const question = `Delete all ${summary.done} done tasks? ${unseen} of them are not shown here.`;
      if (!window.confirm(question)) return;
    }
    list.clearDone();
  }

  return (
    <main className="app">
      <header>
        <h1>Tasks</h1>
        <StorageNote storage={list.storage} />
      </header>

      <NewTaskForm onAdd={list.add} />
      {list.notice && <Notice notice={list.notice} onDismiss={list.dismissNotice} />}

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
            onToggle={list.toggle}
            onRename={list.rename}
            onDelete={list.remove}
          />
          {list.hasMore && (
            <button
              type="button"
              className="load-more"
              onClick={list.loadMore}
              disabled={list.loadingMore}
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
