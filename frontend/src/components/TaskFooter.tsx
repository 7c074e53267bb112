type Props = { left: number; doneCount: number; onClearDone: () => void };

/** "N tasks left" over all tasks, and "Clear done". */
export function TaskFooter({ left, doneCount, onClearDone }: Props) {
  return (
    <footer className="task-footer">
      <span>
        {left} {left === 1 ? "task" : "tasks"} left
      </span>
      <button type="button" onClick={onClearDone} disabled={doneCount === 0}>
        Clear done
      </button>
    </footer>
  );
}
