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
  },
});
