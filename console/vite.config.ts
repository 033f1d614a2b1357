// The console is built into dist/ and served by the embedded process at `/` (crm/console.py).
// `npm run dev` proxies the API prefixes to a running `make run`.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: { "/registration": api, "/pipeline": api, "/forecast": api },
  },
});
