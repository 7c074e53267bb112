// Rendering the app and reading it back as a user sees it, for the component tests.
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../App";

/** The app, once its list has loaded, and a user to act on it. */
export async function renderApp() {
  const user = userEvent.setup();
  render(<App />);
  await screen.findByRole("list", { name: "Tasks" });
  return user;
}

/** The list's items. The list is found as a user finds it (by role and name), its items by
 * the DOM: `within(list).queryAllByRole("listitem")` works out the role of every element
 * inside, some 90 ms with 100 tasks in jsdom (a selector: 5 ms), and waitFor runs its
 * check on every change to the page; on a busy machine a few such checks filled
 * waitFor's whole second, and tests of a second page failed while the app was right. */
function listItems(): HTMLElement[] {
  const list = screen.queryByRole("list", { name: "Tasks" });
  return list ? Array.from(list.querySelectorAll<HTMLElement>(":scope > li")) : [];
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
