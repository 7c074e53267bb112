// The app gets back on its feet: a notice about a failed change goes once a later change to
// the same task succeeds; a first load that failed turns into the list once the server
// answers again, with no click and no focus event; a change to a task deleted meanwhile
// (404) removes it and says so.
import { render, screen, waitFor } from "@testing-library/react";
import { App } from "./App";
import { MockApi } from "./test/mockApi";
import { renderApp, titles } from "./test/render";

const DOCKER = 'Mark "Apprendre Docker" as done';

describe("a notice about a failed change", () => {
  it("goes when a later change to the same task succeeds, not to another task", async () => {
    // Given a tick that the server could not take: a notice says so
    const api = new MockApi();
    const user = await renderApp();
    api.failNext("PATCH", 503);
    await user.click(screen.getByRole("checkbox", { name: DOCKER }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      'Could not complete "Apprendre Docker"',
    );

    // When another task changes, the notice stays; when the same task's tick succeeds...
    await user.click(screen.getByRole("checkbox", { name: 'Mark "Configurer CI/CD" as done' }));
    await waitFor(() => expect(api.tasks[1]?.done).toBe(true));
    expect(screen.getByRole("alert")).toHaveTextContent('Could not complete "Apprendre Docker"');
    await user.click(screen.getByRole("checkbox", { name: DOCKER }));

    // Then the notice goes
    await waitFor(() => expect(api.tasks[0]?.done).toBe(true));
    await waitFor(() => expect(screen.queryByRole("alert")).not.toBeInTheDocument());
  });
});

describe("a first load that failed", () => {
  it("turns into the list by itself once the server answers again", async () => {
    // Given the server away when the page loads: the error banner
    const api = new MockApi();
    api.down = true;
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load the tasks");

    // When the server answers again, with no click and no focus event
    api.down = false;

    // Then the list comes, within the first retries' backoff (1 s, then 2 s)
    await screen.findByRole("list", { name: "Tasks" }, { timeout: 4_000 });
    expect(titles()).toEqual(["Apprendre Docker", "Configurer CI/CD"]);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("waits while the network is down and loads once it is back", async () => {
    // Given the server unreachable when the page loads, then the network gone
    const api = new MockApi();
    api.down = true;
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load the tasks");
    window.dispatchEvent(new Event("offline"));
    api.down = false;

    // When the network comes back
    window.dispatchEvent(new Event("online"));

    // Then the list comes
    await screen.findByRole("list", { name: "Tasks" }, { timeout: 4_000 });
    expect(titles()).toEqual(["Apprendre Docker", "Configurer CI/CD"]);
  });
});

describe("a change to a task deleted meanwhile (404)", () => {
  it.each([
    ["a rename", "rename"],
    ["a tick", "complete"],
  ])("%s removes it from the list and says so", async (_, what) => {
    // Given a task that another tab deleted
    const api = new MockApi();
    const user = await renderApp();
    api.tasks.splice(0, 1);

    // When the user changes it
    if (what === "rename") {
      await user.click(screen.getByRole("button", { name: 'Edit "Apprendre Docker"' }));
      await user.keyboard("{Control>}a{/Control}Renommée{Enter}");
    } else {
      await user.click(screen.getByRole("checkbox", { name: DOCKER }));
    }

    // Then it leaves the list, the notice says why, and the counter follows
    expect(await screen.findByRole("alert")).toHaveTextContent(
      `Could not ${what} "Apprendre Docker": it was deleted elsewhere, and is removed from the list.`,
    );
    await waitFor(() => expect(titles()).toEqual(["Configurer CI/CD"]));
    await waitFor(() => expect(screen.getByText("1 task left")).toBeInTheDocument());
  });
});
