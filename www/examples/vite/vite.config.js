//! Vite build settings for the example: relative asset URLs, so `dist/` can be served from any path.
// A plain object (no `defineConfig` import), so the config loads wherever Vite itself is installed.
export default {
  base: "./",
  // No inlining: the package's wasm and stylesheet stay files (a data: stylesheet fails a strict style-src).
  build: { outDir: "dist", target: "es2022", assetsInlineLimit: 0 },
  // Keeps `new URL("…wasm", import.meta.url)` inside the package working under `vite` (dev server).
  optimizeDeps: { exclude: ["wallet-checkout"] },
};
