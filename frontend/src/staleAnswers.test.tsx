// Answers that arrive out of order: a read (a refresh, a further page, the totals) starts,
// the server answers it, the answer is slow to arrive; meanwhile the user changes a task.
// When the old answer arrives, it must not put back what the change did: the read is made
// again once the server has the change, and the screen ends as the server is. Every change
// against every read.
import { fireEvent, screen, waitFor } from "@testing-library/react";
import type userEvent from "@testing-library/user-event";
import { type HeldAnswer, MockApi } from "./test/mockApi";
import { newTaskField, renderApp, shownTasks, titles } from "./test/render";

type User = ReturnType<typeof userEvent.setup>;

// The user's own task, added first: the one each change is made to. On the second page
// when there is one, so that a further page can bring an old copy of it.
const MINE = "Ma tâche";
const SUMMARY = "/api/tasks/summary";

type Read = {
  name: string;
  /** Extra tasks on the server, so that there is a second page to load. */
  extraTasks?: number;
  /** Holds the read's answer (before MINE is added for the totals, which follow an add). */
  hold: (api: MockApi) => HeldAnswer;
  holdBeforeAdding?: boolean;
  /** Starts the read (nothing for the totals: adding MINE started them). */
  start: (user: User) => Promise<void>;
};

const READS: Read[] = [
  {
    name: "the refresh on window focus",
    hold: (api) => api.hold("GET", "/api/tasks?limit=100"),
    start: async () => {
      fireEvent.focus(window);
    },
  },
  {
    name: "the refresh when the tab becomes visible",
    hold: (api) => api.hold("GET", "/api/tasks?limit=100"),
    start: async () => {
      fireEvent(document, new Event("visibilitychange"));
    },
  },
  {
    name: "Load more",
    extraTasks: 99, // 101 tasks: a second page with task 101 and MINE
    hold: (api) => api.hold("GET", "/api/tasks?limit=100&after_id=100"),
    start: async (user) => {
      await user.click(screen.getByRole("button", { name: "Load more" }));
    },
  },
  {
    name: "the totals",
    hold: (api) => api.hold("GET", SUMMARY),
    holdBeforeAdding: true,
    start: async () => {},
  },
];

type Change = {
  name: string;
  /** MINE is done before the read starts (so that there is a done task to clear). */
  mineDone?: boolean;
  make: (user: User) => Promise<void>;
};

const CHANGES: Change[] = [
  {
    name: "add",
    make: async (user) => {
      await user.type(newTaskField(), "Ajoutée pendant la lecture{Enter}");
    },
  },
  {
    name: "toggle",
    make: async (user) => {
      await user.click(screen.getByRole("checkbox", { name: `Mark "${MINE}" as done` }));
    },
  },
  {
    name: "rename",
    make: async (user) => {
      await user.click(screen.getByRole("button", { name: `Edit "${MINE}"` }));
      await user.keyboard("{Control>}a{/Control}Renommée{Enter}");
    },
  },
  {
    name: "delete",
    make: async (user) => {
      await user.click(screen.getByRole("button", { name: `Delete "${MINE}"` }));
    },
  },
  {
    name: "clear done",
    mineDone: true,
    make: async (user) => {
      await user.click(screen.getByRole("button", { name: "Clear done" }));
    },
  },
  {
    name: "toggle-all",
    make: async (user) => {
      await user.click(screen.getByRole("checkbox", { name: "Mark all as done" }));
    },
  },
];

/** The screen shows every task the server has, as the server has it, and its totals. */
function expectScreenToMatch(api: MockApi): void {
  expect(shownTasks()).toEqual(api.tasks.map(({ title, done }) => ({ title, done })));
  const open = api.tasks.filter((task) => !task.done).length;
  expect(screen.getByText(/^\d+ tasks? left$/)).toHaveTextContent(
    `${open} ${open === 1 ? "task" : "tasks"} left`,
  );
}

/** Waits until the app has the server's answer to the change: it then asks for the totals. */
async function waitForTheChangeToEnd(api: MockApi, since: number): Promise<void> {
  await waitFor(() => {
    const after = api.requests.slice(since);
    const change = after.findIndex((request) => request.method !== "GET");
    expect(change).toBeGreaterThanOrEqual(0);
    expect(after.slice(change).some((request) => request.url === SUMMARY)).toBe(true);
  });
}

describe.each(READS)("a change during $name", (read) => {
  it.each(CHANGES)(
    "$name: the late answer does not undo it, the read is made again",
    async (change) => {
      // Given the app loaded, with a task of the user's own on screen
      const api = new MockApi();
      api.addTasks(read.extraTasks ?? 0);
      const user = await renderApp();
      const held = read.holdBeforeAdding ? read.hold(api) : undefined;
      await user.type(newTaskField(), `${MINE}{Enter}`);
      await waitFor(() => expect(titles()).toContain(MINE));
      if (change.mineDone) {
        await user.click(screen.getByRole("checkbox", { name: `Mark "${MINE}" as done` }));
        await waitFor(() => expect(api.tasks.at(-1)?.done).toBe(true));
      }

      // and a read the server has answered, its answer slow to arrive
      const late = held ?? read.hold(api);
      await read.start(user);
      await late.arrived;

      // When the user makes the change, the server takes it, then the old answer arrives
      const since = api.requests.length;
      await change.make(user);
      await waitForTheChangeToEnd(api, since);
      late.release();
      await late.answered;

      // Then the read is made again, after the server took the change, and the screen ends
      // as the server is
      await waitFor(() => {
        expectScreenToMatch(api);
        const after = api.requests.slice(since);
        const taken = after.findIndex((request) => request.method !== "GET");
        expect(after.slice(taken + 1).map((request) => request.url)).toContain(late.url);
      });
    },
  );
});

// Two changes to one task whose answers cross: the answer to the first (a rename) is slow,
// the second (a tick) is answered at once. Each answer confirms only the field its change
// sent: the rename's answer, computed before the tick, must not take the tick back.
it("a late answer to a rename keeps the tick made after it", async () => {
  // Given the app loaded, and the answer to a rename of the first task slow to arrive
  const api = new MockApi();
  const user = await renderApp();
  const late = api.hold("PATCH", "/api/tasks/1");
  await user.click(screen.getByRole("button", { name: 'Edit "Apprendre Docker"' }));
  await user.keyboard("{Control>}a{/Control}Renommée{Enter}");
  await late.arrived;

  // When the user ticks it, the server takes the tick, then the rename's answer arrives
  await user.click(screen.getByRole("checkbox", { name: 'Mark "Renommée" as done' }));
  await waitFor(() => expect(api.tasks[0]).toMatchObject({ title: "Renommée", done: true }));
  const released = api.requests.length;
  late.release();
  // (the app asks for the totals once it has applied an answer)
  await waitFor(() =>
    expect(api.requests.slice(released).map((request) => request.url)).toContain(SUMMARY),
  );

  // Then the task shows both changes, as the server has it
  expectScreenToMatch(api);
  expect(shownTasks()[0]).toEqual({ title: "Renommée", done: true });
});
