import { type KeyboardEvent, useEffect, useRef, useState } from "react";
import type { Task } from "../api";
import { TITLE_MAX_LENGTH } from "../generated/api";

type Props = {
  task: Task;
  onToggle: (task: Task) => void;
  onRename: (task: Task, title: string) => void;
  onDelete: (task: Task) => void;
};

/** One task: a checkbox, its title (double-click or Edit to change it), and Delete. */
export function TaskItem({ task, onToggle, onRename, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(task.title);
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
    setEditing(true);
  }

  function cancelEditing() {
    editOpen.current = false;
    setEditing(false);
  }

  function finishEditing() {
    if (!editOpen.current) return;
    editOpen.current = false;
    const title = draft.trim();
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
      <li className="task editing">
        <input
          ref={input}
          className="edit"
          value={draft}
          maxLength={TITLE_MAX_LENGTH}
          aria-label={`Edit title of "${task.title}"`}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
          onBlur={finishEditing}
        />
      </li>
    );
  }

  return (
    <li className={task.done ? "task done" : "task"}>
      <input
        type="checkbox"
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
        onClick={startEditing}
        aria-label={`Edit "${task.title}"`}
        title="Edit"
      >
        ✎
      </button>
      <button
        type="button"
        className="icon danger"
        onClick={() => onDelete(task)}
        aria-label={`Delete "${task.title}"`}
        title="Delete"
      >
        ✕
      </button>
    </li>
  );
}
