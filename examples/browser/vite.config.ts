// The dev server of examples/browser (`npm run example:browser`), also used by tests/browser/ and
// `npm run bench:browser`. It serves the page cross-origin isolated (the two headers below), so
// SharedArrayBuffer exists and the wasm backend runs threads; it resolves 'tsgluon' to the
// repository's browser entry (src/browser.ts), so no build step is needed; and it may serve the
// whole repository (the .wasm builds in wasm/, the digits in data/digits/).
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The headers that make a page cross-origin isolated. */
export const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The configuration, for a server rooted at `root`. */
export function browserConfig(root: string): UserConfig {
  const browserEntry = `${REPO}src/browser.ts`;
  return {
    root,
    // Vite's own file watcher would follow the whole repository (node_modules included).
    server: { headers: ISOLATION, fs: { allow: [REPO] }, watch: { ignored: ['**/node_modules/**', '**/build/**', '**/dist/**'] } },
    preview: { headers: ISOLATION },
    resolve: {
      alias: [
        { find: /^tsgluon$/, replacement: browserEntry },
        // The op-table cases (tests/ops/cases) import the library as src/index.js: give them the browser entry.
        { find: /^(\.\.\/)+src\/index\.js$/, replacement: browserEntry },
      ],
    },
    logLevel: 'warn',
    clearScreen: false,
  };
}

export default defineConfig(browserConfig(fileURLToPath(new URL('.', import.meta.url))));
