import { ErrorBanner } from "./components/ErrorBanner";
import { NewTaskForm } from "./components/NewTaskForm";
import { Notice } from "./components/Notice";
import { StorageNote } from "./components/StorageNote";
import { TaskFilters } from "./components/TaskFilters";
import { TaskFooter } from "./components/TaskFooter";
import { TaskList } from "./components/TaskList";
import { matches, useFilter } from "./filter";
import { useTasks } from "./useTasks";

export function App() {
  const filter = useFilter();
  const list = useTasks();
  const visible = list.tasks.filter((task) => matches(filter, task));
  const doneCount = list.tasks.filter((task) => task.done).length;

  return (
    <main className="app">
      <header>
        <h1>Tasks</h1>
        <StorageNote storage={list.storage} />
      </header>

      <NewTaskForm onAdd={list.add} />
      {list.notice && <Notice message={list.notice} onDismiss={list.dismissNotice} />}

      {list.load.status === "loading" && (
        <p className="loading" role="status">
          Loading tasks…
        </p>
      )}
      {list.load.status === "failed" && (
        <ErrorBanner message={list.load.message} onRetry={() => void list.reload()} />
      )}
      {list.load.status === "ready" && (
        <section aria-label="Task list">
          <TaskFilters current={filter} />
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
              onClick={() => void list.loadMore()}
              disabled={list.loadingMore}
            >
              {list.loadingMore ? "Loading…" : "Load more"}
            </button>
          )}
          {/* With no task at all, a counter at 0 and a disabled button say nothing. */}
          {list.tasks.length > 0 && (
            <TaskFooter
              left={list.tasks.length - doneCount}
              complete={!list.hasMore}
              doneCount={doneCount}
              onClearDone={() => void list.clearDone()}
            />
          )}
        </section>
      )}
    </main>
  );
}
