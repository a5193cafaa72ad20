/**
 * Serves the repository with the browser example's Vite configuration (cross-origin isolated,
 * 'tsgluon' resolved to src/browser.ts) and drives Debian's Chromium headless through
 * playwright-core, which never downloads a browser. Used by tests/browser/ and
 * `npm run bench:browser`. TSGLUON_CHROMIUM names another Chromium binary.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { REPO, browserConfig } from '../../examples/browser/vite.config.js';

export const CHROMIUM = process.env['TSGLUON_CHROMIUM'] ?? '/usr/bin/chromium';

/** Flags that keep a headless Chromium quiet and self-contained on a CI machine. */
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface Harness {
  /** The server's address, e.g. http://localhost:5173/ (pages are repository paths below it). */
  url: string;
  context: BrowserContext;
  /** A new page whose console errors and uncaught exceptions are collected in `errors`. */
  open(path: string): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Starts the server and the browser. Throws, saying how to install it, when Chromium is missing. */
export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Chromium (apt-get install chromium, or set TSGLUON_CHROMIUM)`);
  }
  const config = browserConfig(REPO);
  const server: ViteDevServer = await createServer({ ...config, server: { ...config.server, port: 0, strictPort: false } });
  await server.listen();
  const url = server.resolvedUrls!.local[0]!;
  const profile = mkdtempSync(join(tmpdir(), 'tsgluon-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 1000 } });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    url,
    context,
    async open(path) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      await page.goto(new URL(path, url).href);
      return { page, errors };
    },
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` in the page every half second until it returns a value, or fails after `seconds`. */
export async function waitFor<T>(page: Page, probe: () => T | undefined | null, seconds: number, what: string): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = (await page.evaluate(probe)) as T | undefined | null;
    if (v !== undefined && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
