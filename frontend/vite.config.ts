import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The API the dev server forwards /api to, as nginx does in production.
const apiTarget = process.env.API_URL ?? "http://localhost:8000";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { "/api": { target: apiTarget, changeOrigin: false } },
  },
  build: {
    // Hashed file names under /assets/: nginx caches them for a year.
    assetsDir: "assets",
    reportCompressedSize: true,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    restoreMocks: true,
    // A hang guard, not a speed check (speed is the benchmark's business), and the only
    // one: no test sets its own. In CI the suite shares 2 cores with the other parts,
    // where a test that takes 1 s alone took 10, and one rendering 250 tasks outlasted
    // 20 s; Vitest's 5 s default failed tests whose behaviour was right.
    testTimeout: 120_000,
  },
});
