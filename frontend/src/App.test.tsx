import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "./App";
import { TITLE_MAX_LENGTH } from "./generated/api";
import { MockApi } from "./test/mockApi";
import { newTaskField, renderApp, titles } from "./test/render";

describe("first visit", () => {
  it("shows loading, then the demo tasks, the counter and where data lives", async () => {
    const api = new MockApi();
    api.storage = "postgresql";
    render(<App />);

    expect(screen.getByRole("status")).toHaveTextContent("Loading tasks");
    await screen.findByRole("list", { name: "Tasks" });

    expect(titles()).toEqual(["Apprendre Docker", "Configurer CI/CD"]);
    expect(screen.getByText("2 tasks left")).toBeInTheDocument();
    expect(screen.getByText("PostgreSQL:").parentElement).toHaveTextContent(
      "PostgreSQL: saved across restarts",
    );
  });

  it("says when tasks are only in memory", async () => {
    new MockApi();
    await renderApp();

    expect(screen.getByText("In memory:").parentElement).toHaveTextContent(
      "In memory: lost when the backend restarts",
    );
  });

  it("shows an empty list as such", async () => {
    const api = new MockApi();
    api.tasks = [];
    render(<App />);

    expect(await screen.findByText("No tasks yet. Add one above.")).toBeInTheDocument();
    expect(screen.queryByText(/tasks? left/)).not.toBeInTheDocument();
  });
});

describe("adding a task", () => {
  it("adds with Enter, trims the title and clears the field", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.type(newTaskField(), "  Écrire le Dockerfile  {Enter}");

    await waitFor(() => expect(titles()).toContain("Écrire le Dockerfile"));
    expect(api.requests.filter((request) => request.method === "POST")).toMatchObject([
      { body: { title: "Écrire le Dockerfile" } },
    ]);
    expect(newTaskField()).toHaveValue("");
    expect(screen.getByText("3 tasks left")).toBeInTheDocument();
  });

  it("adds with the button", async () => {
    new MockApi();
    const user = await renderApp();

    await user.type(newTaskField(), "Lancer docker compose");
    await user.click(screen.getByRole("button", { name: "Add" }));

    await waitFor(() => expect(titles()).toContain("Lancer docker compose"));
  });

  it("refuses an empty title with a visible message and sends nothing", async () => {
    const api = new MockApi();
    const user = await renderApp();
    const before = api.requests.length;

    await user.type(newTaskField(), "   {Enter}");

    expect(screen.getByRole("alert")).toHaveTextContent("cannot be empty");
    expect(newTaskField()).toHaveAttribute("aria-invalid", "true");
    expect(api.requests).toHaveLength(before);
  });

  it("keeps the text and says so when the server cannot be reached, after retrying", async () => {
    const api = new MockApi();
    const user = await renderApp();
    for (let n = 0; n < 3; n++) api.failNext("POST", "network");

    await user.type(newTaskField(), "Perdue ?{Enter}");

    expect(await screen.findByRole("alert", {}, { timeout: 3000 })).toHaveTextContent(
      'Could not add "Perdue ?"',
    );
    expect(newTaskField()).toHaveValue("Perdue ?");
    expect(titles()).not.toContain("Perdue ?");
    expect(api.requests.filter((request) => request.method === "POST")).toHaveLength(3);
  });

  it("says so at once when the server refuses the task", async () => {
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("POST", 422);

    await user.type(newTaskField(), "Refusée{Enter}");

    expect(await screen.findByRole("alert")).toHaveTextContent('Could not add "Refusée"');
    expect(api.requests.filter((request) => request.method === "POST")).toHaveLength(1);
  });

  it("retries a create whose answer was lost with the same key: the task exists once", async () => {
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("POST", "lost answer");

    await user.type(newTaskField(), "Une seule fois{Enter}");

    await waitFor(() => expect(titles()).toContain("Une seule fois"));
    const posts = api.requests.filter((request) => request.method === "POST");
    expect(posts).toHaveLength(2);
    expect(posts[0]?.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-/);
    expect(posts[1]?.key).toBe(posts[0]?.key);
    expect(api.tasks.map((task) => task.title)).toEqual([
      "Apprendre Docker",
      "Configurer CI/CD",
      "Une seule fois",
    ]);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("sends a new key with each new task", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.type(newTaskField(), "Une{Enter}");
    await waitFor(() => expect(titles()).toContain("Une"));
    await user.type(newTaskField(), "Deux{Enter}");
    await waitFor(() => expect(titles()).toContain("Deux"));

    const keys = api.requests.filter((r) => r.method === "POST").map((r) => r.key);
    expect(new Set(keys).size).toBe(2);
  });
});

describe("title rule: trimmed first, then 1 to TITLE_MAX_LENGTH code points, as the API", () => {
  const whale = "🐳"; // one code point, two UTF-16 units
  // A long title is pasted, as people enter one: typed, each of its 200 characters is a
  // render of the app, seconds of a busy machine's time for what the rule does not need.
  const enter = async (
    user: Awaited<ReturnType<typeof renderApp>>,
    field: HTMLElement,
    text: string,
  ) => {
    await user.click(field);
    await user.paste(text);
    await user.keyboard("{Enter}");
  };

  it(`adds a title of ${TITLE_MAX_LENGTH} emoji`, async () => {
    const api = new MockApi();
    const user = await renderApp();

    await enter(user, newTaskField(), whale.repeat(TITLE_MAX_LENGTH));

    await waitFor(() => expect(titles()).toContain(whale.repeat(TITLE_MAX_LENGTH)));
    expect(api.tasks.at(-1)?.title).toBe(whale.repeat(TITLE_MAX_LENGTH));
  });

  it(`adds ${TITLE_MAX_LENGTH} characters between spaces: trimmed, then counted`, async () => {
    const api = new MockApi();
    const user = await renderApp();
    const title = "b".repeat(TITLE_MAX_LENGTH);

    await enter(user, newTaskField(), `  ${title}\u00a0\u3000`);

    await waitFor(() => expect(titles()).toContain(title));
    expect(api.requests.filter((r) => r.method === "POST")).toMatchObject([{ body: { title } }]);
  });

  it("trims Unicode's White_Space, not JavaScript's: U+0085 goes, U+FEFF stays", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.type(newTaskField(), "\u0085\ufeffcafé\u0085{Enter}");

    await waitFor(() => expect(api.tasks).toHaveLength(3));
    expect(api.requests.filter((r) => r.method === "POST")).toMatchObject([
      { body: { title: "\ufeffcafé" } },
    ]);
  });

  it("refuses a title over the limit, says so, and sends nothing", async () => {
    const api = new MockApi();
    const user = await renderApp();
    const before = api.requests.length;

    await enter(user, newTaskField(), whale.repeat(TITLE_MAX_LENGTH + 1));

    expect(screen.getByRole("alert")).toHaveTextContent(
      `A title has at most ${TITLE_MAX_LENGTH} characters; this one has ${TITLE_MAX_LENGTH + 1}.`,
    );
    expect(newTaskField()).toHaveValue(whale.repeat(TITLE_MAX_LENGTH + 1));
    expect(api.requests).toHaveLength(before);
  });

  it(`renames to ${TITLE_MAX_LENGTH} emoji`, async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: 'Edit "Configurer CI/CD"' }));
    await user.keyboard("{Control>}a{/Control}");
    await user.paste(whale.repeat(TITLE_MAX_LENGTH));
    await user.keyboard("{Enter}");

    await waitFor(() => expect(api.tasks[1]?.title).toBe(whale.repeat(TITLE_MAX_LENGTH)));
  });

  it("keeps a rename over the limit open, says why, and sends nothing", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: 'Edit "Configurer CI/CD"' }));
    await user.keyboard("{Control>}a{/Control}");
    await user.paste("b".repeat(TITLE_MAX_LENGTH + 1));
    await user.keyboard("{Enter}");

    const field = screen.getByRole("textbox", { name: 'Edit title of "Configurer CI/CD"' });
    expect(field).toHaveValue("b".repeat(TITLE_MAX_LENGTH + 1));
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("alert")).toHaveTextContent(`at most ${TITLE_MAX_LENGTH} characters`);
    expect(api.requests.some((request) => request.method === "PATCH")).toBe(false);
  });
});

describe("changing a task", () => {
  it("toggles done and updates the counter", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.click(screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as done' }));

    expect(
      screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as not done' }),
    ).toBeChecked();
    expect(screen.getByText("1 task left")).toBeInTheDocument();
    await waitFor(() => expect(api.tasks[0]?.done).toBe(true));
  });

  it("rolls a failed toggle back and says so", async () => {
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("PATCH", 503);

    await user.click(screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as done' }));

    expect(await screen.findByRole("alert")).toHaveTextContent(
      'Could not complete "Apprendre Docker", it is back as it was',
    );
    expect(
      screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as done' }),
    ).not.toBeChecked();
    expect(screen.getByText("2 tasks left")).toBeInTheDocument();
  });

  it("edits a title in place: double-click, type, Enter saves", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.dblClick(screen.getByText("Apprendre Docker"));
    const field = screen.getByRole("textbox", { name: 'Edit title of "Apprendre Docker"' });
    await user.clear(field);
    await user.type(field, "Apprendre Kubernetes{Enter}");

    expect(titles()[0]).toBe("Apprendre Kubernetes");
    await waitFor(() => expect(api.tasks[0]?.title).toBe("Apprendre Kubernetes"));
  });

  it("Escape cancels an edit", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: 'Edit "Configurer CI/CD"' }));
    await user.keyboard("{Control>}a{/Control}Autre chose{Escape}");

    expect(titles()[1]).toBe("Configurer CI/CD");
    expect(api.requests.some((request) => request.method === "PATCH")).toBe(false);
    expect(screen.getByRole("button", { name: 'Edit "Configurer CI/CD"' })).toHaveFocus();
  });

  it("rolls a failed rename back and says so", async () => {
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("PATCH", 422);

    await user.click(screen.getByRole("button", { name: 'Edit "Configurer CI/CD"' }));
    await user.keyboard("{Control>}a{/Control}Nouveau titre{Enter}");

    expect(await screen.findByRole("alert")).toHaveTextContent("Refused by the test");
    expect(titles()[1]).toBe("Configurer CI/CD");
  });

  it("asks before deleting a task whose title was emptied", async () => {
    const api = new MockApi();
    const confirm = vi
      .spyOn(window, "confirm")
      .mockReturnValueOnce(false)
      .mockReturnValueOnce(true);
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: 'Edit "Apprendre Docker"' }));
    await user.keyboard("{Control>}a{/Control}{Backspace}{Enter}");
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(titles()).toContain("Apprendre Docker");

    await user.click(screen.getByRole("button", { name: 'Edit "Apprendre Docker"' }));
    await user.keyboard("{Control>}a{/Control}{Backspace}{Enter}");
    await waitFor(() => expect(titles()).not.toContain("Apprendre Docker"));
    expect(api.tasks.map((task) => task.id)).toEqual([2]);
  });
});

describe("deleting", () => {
  it("deletes a task", async () => {
    const api = new MockApi();
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: 'Delete "Apprendre Docker"' }));

    expect(titles()).toEqual(["Configurer CI/CD"]);
    await waitFor(() => expect(api.tasks).toHaveLength(1));
  });

  it("puts a task back when its deletion fails, and says so", async () => {
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("DELETE", 500);

    await user.click(screen.getByRole("button", { name: 'Delete "Apprendre Docker"' }));

    expect(await screen.findByRole("alert")).toHaveTextContent(
      'Could not delete "Apprendre Docker"',
    );
    expect(titles()).toEqual(["Apprendre Docker", "Configurer CI/CD"]);
  });

  it("clears the done tasks", async () => {
    const api = new MockApi();
    api.tasks[1] = { id: 2, title: "Configurer CI/CD", done: true };
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: "Clear done" }));

    expect(titles()).toEqual(["Apprendre Docker"]);
    await waitFor(() => expect(api.tasks.map((task) => task.id)).toEqual([1]));
    expect(screen.getByRole("button", { name: "Clear done" })).toBeDisabled();
  });
});

describe("clearing fails", () => {
  it("puts the done tasks back, with their count, and says so", async () => {
    const api = new MockApi();
    api.tasks[1] = { id: 2, title: "Configurer CI/CD", done: true };
    const user = await renderApp();
    api.failNext("DELETE", 503);

    await user.click(screen.getByRole("button", { name: "Clear done" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Could not clear the done tasks, they are kept",
    );
    expect(titles()).toEqual(["Apprendre Docker", "Configurer CI/CD"]);
    expect(screen.getByText("1 task left")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Clear done" })).toBeEnabled();
  });
});

describe("filters", () => {
  it("shows active or done tasks and keeps the choice in the URL", async () => {
    const api = new MockApi();
    api.tasks[1] = { id: 2, title: "Configurer CI/CD", done: true };
    const user = await renderApp();

    await user.click(screen.getByRole("link", { name: "Active" }));
    await waitFor(() => expect(titles()).toEqual(["Apprendre Docker"]));
    expect(window.location.hash).toBe("#/active");
    expect(screen.getByRole("link", { name: "Active" })).toHaveAttribute("aria-current", "page");

    await user.click(screen.getByRole("link", { name: "Done" }));
    await waitFor(() => expect(titles()).toEqual(["Configurer CI/CD"]));
  });

  it("starts on the filter named in the URL", async () => {
    const api = new MockApi();
    api.tasks[0] = { id: 1, title: "Apprendre Docker", done: true };
    window.location.hash = "#/done";
    await renderApp();

    expect(titles()).toEqual(["Apprendre Docker"]);
  });
});

describe("long lists", () => {
  it("loads more pages following the API's Link header, in order, without duplicates", async () => {
    const api = new MockApi();
    api.addTasks(248);
    const user = await renderApp();
    expect(titles()).toHaveLength(100);
    // Counted over all tasks, not only the first page.
    expect(screen.getByText("250 tasks left")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(titles()).toHaveLength(200));
    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(titles()).toHaveLength(250));

    expect(titles()).toEqual(api.tasks.map((task) => task.title));
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(screen.getByText("250 tasks left")).toBeInTheDocument();
  });

  it("does not duplicate a task added before loading the page that holds it", async () => {
    const api = new MockApi();
    api.addTasks(120);
    const user = await renderApp();

    await user.type(newTaskField(), "Ajoutée entre deux pages{Enter}");
    await waitFor(() => expect(titles()).toContain("Ajoutée entre deux pages"));
    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(titles()).toHaveLength(123));

    expect(new Set(titles()).size).toBe(123);
  });
});

describe("when the API is down", () => {
  it("shows an error banner, and Retry recovers without reloading the page", async () => {
    const api = new MockApi();
    api.down = true;
    const user = userEvent.setup();
    render(<App />);

    const banner = await screen.findByRole("alert");
    expect(banner).toHaveTextContent("Could not load the tasks");
    expect(screen.queryByRole("status")).not.toBeInTheDocument();

    api.down = false;
    await user.click(within(banner).getByRole("button", { name: "Retry" }));

    await screen.findByRole("list", { name: "Tasks" });
    expect(titles()).toEqual(["Apprendre Docker", "Configurer CI/CD"]);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

it("shows a title as text, never as HTML", async () => {
  const api = new MockApi();
  api.tasks.push({ id: 3, title: "<img src=x onerror=alert(1)>", done: false });
  await renderApp();

  expect(screen.getByText("<img src=x onerror=alert(1)>")).toBeInTheDocument();
  expect(document.querySelector("img")).toBeNull();
});

it("can be used with the keyboard alone", async () => {
  const api = new MockApi();
  const user = await renderApp();

  newTaskField().focus();
  await user.keyboard("Au clavier{Enter}");
  await waitFor(() => expect(titles()).toContain("Au clavier"));
  await user.tab(); // Add button
  await user.tab(); // "Mark all as done"
  await user.tab(); // "All" filter
  await user.tab(); // "Active"
  await user.tab(); // "Done"
  await user.tab(); // first task's checkbox
  expect(screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as done' })).toHaveFocus();
  await user.keyboard(" ");

  await waitFor(() => expect(api.tasks[0]?.done).toBe(true));
});

describe("all tasks at once", () => {
  it("counts over all tasks, with proper plurals", async () => {
    const api = new MockApi();
    api.addTasks(248);
    api.tasks[0] = { id: 1, title: "Apprendre Docker", done: true };
    const user = await renderApp();

    expect(screen.getByText("249 tasks left")).toBeInTheDocument();
    await user.click(screen.getByRole("checkbox", { name: "Mark all as done" }));
    await waitFor(() => expect(screen.getByText("0 tasks left")).toBeInTheDocument());
    await user.click(screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as not done' }));

    await waitFor(() => expect(screen.getByText("1 task left")).toBeInTheDocument());
  });

  it("toggle-all marks every task, loaded or not, in one request, and back", async () => {
    const api = new MockApi();
    api.addTasks(148);
    const user = await renderApp();

    await user.click(screen.getByRole("checkbox", { name: "Mark all as done" }));
    await waitFor(() => expect(api.tasks.every((task) => task.done)).toBe(true));
    const toggleAll = screen.getByRole("checkbox", { name: "Mark all as not done" });
    expect(toggleAll).toBeChecked();
    await user.click(toggleAll);

    await waitFor(() => expect(api.tasks.some((task) => task.done)).toBe(false));
    const bulk = api.requests.filter((r) => r.method === "PATCH" && r.url === "/api/tasks");
    expect(bulk.map((request) => request.body)).toEqual([{ done: true }, { done: false }]);
  });

  it("rolls a failed toggle-all back and says so", async () => {
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("PATCH", 503);

    await user.click(screen.getByRole("checkbox", { name: "Mark all as done" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Could not mark every task done");
    expect(
      screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as done' }),
    ).not.toBeChecked();
    expect(screen.getByText("2 tasks left")).toBeInTheDocument();
  });

  it("clear done deletes done tasks not loaded too, after asking", async () => {
    const api = new MockApi();
    api.addTasks(148);
    for (const task of api.tasks) task.done = task.id % 2 === 0; // 75 done, some past page 1
    const confirm = vi
      .spyOn(window, "confirm")
      .mockReturnValueOnce(false)
      .mockReturnValueOnce(true);
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: "Clear done" }));
    expect(confirm).toHaveBeenLastCalledWith(
      "Delete all 75 done tasks? 25 of them are not shown here.",
    );
    expect(api.tasks).toHaveLength(150);
    await user.click(screen.getByRole("button", { name: "Clear done" }));

    await waitFor(() => expect(api.tasks).toHaveLength(75));
    expect(api.tasks.some((task) => task.done)).toBe(false);
    const deletes = api.requests.filter((request) => request.method === "DELETE");
    expect(deletes.map((request) => request.url)).toEqual(["/api/tasks?done=true"]);
  });

  it("clear done asks nothing when every done task is on screen", async () => {
    const api = new MockApi();
    api.tasks[1] = { id: 2, title: "Configurer CI/CD", done: true };
    const confirm = vi.spyOn(window, "confirm");
    const user = await renderApp();

    await user.click(screen.getByRole("button", { name: "Clear done" }));

    await waitFor(() => expect(titles()).toEqual(["Apprendre Docker"]));
    expect(confirm).not.toHaveBeenCalled();
  });

  it("shows no list, no filters and no footer when there is no task", async () => {
    const api = new MockApi();
    api.tasks = [];
    render(<App />);

    expect(await screen.findByText("No tasks yet. Add one above.")).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Tasks" })).not.toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Filter tasks" })).not.toBeInTheDocument();
    expect(screen.queryByRole("checkbox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Clear done" })).not.toBeInTheDocument();
  });
});

describe("two tabs", () => {
  it("shows another tab's changes when the window gets the focus back", async () => {
    const api = new MockApi();
    await renderApp();

    api.tasks.push({ id: 9, title: "Ajoutée dans l'autre onglet", done: false });
    api.tasks[0] = { id: 1, title: "Apprendre Docker", done: true };
    window.dispatchEvent(new Event("focus"));

    await waitFor(() => expect(titles()).toContain("Ajoutée dans l'autre onglet"));
    expect(
      screen.getByRole("checkbox", { name: 'Mark "Apprendre Docker" as not done' }),
    ).toBeChecked();
    expect(screen.getByText("2 tasks left")).toBeInTheDocument();
    expect(screen.queryByRole("status")).not.toBeInTheDocument(); // quietly: no spinner
  });
});
