import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// The control plane serves Connect, gRPC-Web and gRPC on one port; during development Vite
// forwards every RPC path there so the browser still talks to a single origin.
const apiTarget = process.env.ORCH_UI_API_TARGET ?? "http://localhost:8080";
const rpcProxy = { target: apiTarget, changeOrigin: false, ws: false };

export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: {
    // One copy of each runtime library in the bundle, whatever the workspace layout hoists.
    dedupe: ["@connectrpc/connect", "@bufbuild/protobuf", "react", "react-dom"],
  },
  server: {
    port: 3000,
    strictPort: true,
    proxy: {
      "^/flightcontrol\\.v1\\.": rpcProxy,
      "^/grpc\\.": rpcProxy,
      "/healthz": rpcProxy,
      // Identity-provider sign-in and sign-out (the session cookies are the control plane's).
      "^/auth/": rpcProxy,
    },
  },
  preview: { port: 3000 },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Source maps publish the dashboard's sources to anyone who loads it: built only when asked
    // (ORCH_UI_SOURCEMAPS=1 npm run build), and the server serves them only with the same setting.
    sourcemap: process.env.ORCH_UI_SOURCEMAPS === "1",
    chunkSizeWarningLimit: 1200,
  },
});
