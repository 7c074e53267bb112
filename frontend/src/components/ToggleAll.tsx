type Props = { allDone: boolean; onChange: (done: boolean) => void };

/** One checkbox for every task, loaded or not: checked when all of them are done. */
export function ToggleAll({ allDone, onChange }: Props) {
  return (
    <label className="toggle-all">
      <input type="checkbox" checked={allDone} onChange={() => onChange(!allDone)} />
      {allDone ? "Mark all as not done" : "Mark all as done"}
    </label>
  );
}
