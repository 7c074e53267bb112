// Rendering the app and reading it back as a user sees it, for the component tests.
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../App";

/** The app, once its list has loaded, and a user to act on it. */
export async function renderApp() {
  const user = userEvent.setup();
  render(<App />);
  await screen.findByRole("list", { name: "Tasks" });
  return user;
}

function listItems(): HTMLElement[] {
  const list = screen.queryByRole("list", { name: "Tasks" });
  return list ? within(list).queryAllByRole("listitem") : [];
}

/** The titles on screen, in order. */
export function titles(): string[] {
  return listItems().map((item) => item.textContent?.replace(/[✎✕]/g, "").trim() ?? "");
}

/** The tasks on screen, in order, as title and done (the checkbox). */
export function shownTasks(): { title: string; done: boolean }[] {
  return listItems().map((item) => ({
    title: item.textContent?.replace(/[✎✕]/g, "").trim() ?? "",
    done: item.querySelector<HTMLInputElement>('input[type="checkbox"]')?.checked ?? false,
  }));
}

export const newTaskField = () => screen.getByRole("textbox", { name: "New task" });
