import { type FormEvent, type RefObject, useId, useState } from "react";
import { titleProblem, trimTitle } from "../title";

type Props = {
  onAdd: (title: string) => Promise<boolean>;
  /** The field, for the app to give it the focus when the focused task went away. */
  field?: RefObject<HTMLInputElement | null>;
};

/** The "What needs to be done?" field: Enter or the button adds the task. */
export function NewTaskForm({ onAdd, field }: Props) {
  const [title, setTitle] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const inputId = useId();
  const problemId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = trimTitle(title);
    const problem = titleProblem(trimmed);
    if (problem) {
      setProblem(problem);
      return;
    }
    setProblem(null);
    setSending(true);
    // The text stays in the field until the server has the task: nothing typed is lost.
    if (await onAdd(trimmed)) setTitle("");
    setSending(false);
  }

  return (
    <form className="new-task" onSubmit={submit} noValidate>
      <label htmlFor={inputId} className="visually-hidden">
        New task
      </label>
      <input
        ref={field}
        id={inputId}
        value={title}
        onChange={(event) => {
          setTitle(event.target.value);
          if (problem) setProblem(null);
        }}
        placeholder="What needs to be done?"
        autoComplete="off"
        aria-invalid={problem !== null}
        aria-describedby={problem ? problemId : undefined}
      />
      <button type="submit" disabled={sending}>
        Add
      </button>
      {problem && (
        <p id={problemId} className="field-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
