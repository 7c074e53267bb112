import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterAll, afterEach, beforeAll } from "vitest";
import { server } from "./mockApi";

// How long findBy and waitFor wait for the page to get there: a hang guard too (see
// vite.config.ts), not the 1 s default, which a busy CI machine's renders outlasted.
configure({ asyncUtilTimeout: 20_000 });

// A request no handler answers is a test bug: fail loudly rather than reach the network.
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  window.location.hash = "";
});
afterAll(() => server.close());
