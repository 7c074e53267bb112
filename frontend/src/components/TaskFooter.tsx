type Props = { left: number; complete: boolean; doneCount: number; onClearDone: () => void };

/** "N tasks left" and "Clear done". */
export function TaskFooter({ left, complete, doneCount, onClearDone }: Props) {
  const count = `${left} ${left === 1 ? "task" : "tasks"} left`;
  return (
    <footer className="task-footer">
      <span aria-live="polite">{complete ? count : `${count} among those loaded`}</span>
      <button type="button" onClick={onClearDone} disabled={doneCount === 0}>
        Clear done
      </button>
    </footer>
  );
}
