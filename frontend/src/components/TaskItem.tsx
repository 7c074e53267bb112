import { type KeyboardEvent, memo, useEffect, useId, useRef, useState } from "react";
import type { Task } from "../api";
import { titleProblem, trimTitle } from "../title";

type Props = {
  task: Task;
  onToggle: (task: Task) => void;
  onRename: (task: Task, title: string) => void;
  onDelete: (task: Task) => void;
};

/** One task: a checkbox, its title (double-click or Edit to change it), and Delete. Drawn
 * again only when the task or an action changes, not on every render of a long list. */
export const TaskItem = memo(function TaskItem({ task, onToggle, onRename, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(task.title);
  const [problem, setProblem] = useState<string | null>(null);
  const problemId = useId();
  const input = useRef<HTMLInputElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  // Whether an edit is still open: Enter, Escape and the blur that follows must act once.
  const editOpen = useRef(false);

  useEffect(() => {
    if (editing) {
      input.current?.focus();
      input.current?.select();
    } else if (wasEditing.current) editButton.current?.focus(); // back where the user was
    wasEditing.current = editing;
  }, [editing]);

  function startEditing() {
    editOpen.current = true;
    setDraft(task.title);
    setProblem(null);
    setEditing(true);
  }

  function cancelEditing() {
    editOpen.current = false;
    setEditing(false);
  }

  function finishEditing() {
    if (!editOpen.current) return;
    const title = trimTitle(draft);
    // Too long: the edit stays open, nothing typed is lost. Empty: asks to delete, below.
    const tooLong = title ? titleProblem(title) : null;
    if (tooLong) {
      setProblem(tooLong);
      return;
    }
    editOpen.current = false;
    if (!title) {
      if (window.confirm(`Delete "${task.title}"? Its title is now empty.`)) {
        onDelete(task);
        return;
      }
      setEditing(false);
      return;
    }
    setEditing(false);
    if (title !== task.title) onRename(task, title);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter") {
      event.preventDefault();
      finishEditing();
    } else if (event.key === "Escape") {
      event.preventDefault();
      cancelEditing();
    }
  }

  if (editing) {
    return (
      <li className="task editing" data-task-id={task.id}>
        <input
          ref={input}
          className="edit"
          data-control="edit"
          value={draft}
          aria-label={`Edit title of "${task.title}"`}
          aria-invalid={problem !== null}
          aria-describedby={problem ? problemId : undefined}
          onChange={(event) => {
            setDraft(event.target.value);
            if (problem) setProblem(null);
          }}
          onKeyDown={onKeyDown}
          onBlur={finishEditing}
        />
        {problem && (
          <p id={problemId} className="field-problem" role="alert">
            {problem}
          </p>
        )}
      </li>
    );
  }

  return (
    <li className={task.done ? "task done" : "task"} data-task-id={task.id}>
      <input
        type="checkbox"
        data-control="toggle"
        checked={task.done}
        onChange={() => onToggle(task)}
        aria-label={task.done ? `Mark "${task.title}" as not done` : `Mark "${task.title}" as done`}
      />
      {/* Double-click is a shortcut for pointer users; the Edit button is the keyboard way. */}
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the Edit button offers the same action */}
      <span className="title" onDoubleClick={startEditing}>
        {task.title}
      </span>
      <button
        ref={editButton}
        type="button"
        className="icon"
        data-control="edit"
        onClick={startEditing}
        aria-label={`Edit "${task.title}"`}
        title="Edit"
      >
        ✎
      </button>
      <button
        type="button"
        className="icon danger"
        data-control="delete"
        onClick={() => onDelete(task)}
        aria-label={`Delete "${task.title}"`}
        title="Delete"
      >
        ✕
      </button>
    </li>
  );
});
