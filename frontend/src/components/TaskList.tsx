import type { Task } from "../api";
import type { Filter } from "../filter";
import { TaskItem } from "./TaskItem";

type Props = {
  tasks: Task[];
  filter: Filter;
  onToggle: (task: Task) => void;
  onRename: (task: Task, title: string) => void;
  onDelete: (task: Task) => void;
};

const EMPTY: Record<Filter, string> = {
  all: "No tasks yet. Add one above.",
  active: "Nothing left to do.",
  done: "No task is done yet.",
};

export function TaskList({ tasks, filter, ...actions }: Props) {
  if (tasks.length === 0) return <p className="empty">{EMPTY[filter]}</p>;
  return (
    <ul className="tasks" aria-label="Tasks">
      {tasks.map((task) => (
        <TaskItem key={task.id} task={task} {...actions} />
      ))}
    </ul>
  );
}
