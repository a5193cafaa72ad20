/**
 * The browser example in headless Chromium (Debian's, driven by playwright-core), served by Vite
 * cross-origin isolated: the page builds the MLP without input sizes (its first weight pending),
 * trains it on the bundled digits on the WebAssembly backend to at least 95% on the 2,000
 * held-out digits, reads a "1" and a "0" drawn on its canvas with the mouse, and logs no error;
 * a screenshot goes to build/browser-test/demo.png. The op table's parity rows then run in the
 * same browser, wasm against ref. Needs Chromium (CI installs it) and the wasm build.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO } from '../../examples/browser/vite.config.js';
import { startHarness, waitFor, type Harness } from './harness.js';

// The page loads the wasm backend itself, whatever TSGLUON_BACKEND says: CI's passes with
// TSGLUON_BACKEND=ref and =wasm would repeat the same minute in Chromium, so it runs in the pass
// without it.
const skip = process.env['TSGLUON_BACKEND'] ? `the page picks its own backend; it runs in the test pass without TSGLUON_BACKEND` : false;

let harness: Harness;
before(async () => {
  if (!skip) harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

/** Draws a stroke through `points` (fractions of the canvas) with the mouse. */
async function stroke(page: Page, points: [number, number][]): Promise<void> {
  const box = (await page.locator('#draw').boundingBox())!;
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 2 });
  await page.mouse.up();
}

test('the example page trains the MLP to 95% in Chromium and reads digits drawn on its canvas', { timeout: 900_000, skip }, async (t) => {
  const { page, errors } = await harness.open('examples/browser/index.html');
  const phase = await waitFor(page, () => (['ready', 'failed'].includes(window.tsgluonDemo?.phase) ? window.tsgluonDemo.phase : null), 840, 'training to finish');
  const demo = await page.evaluate(() => window.tsgluonDemo);
  assert.equal(phase, 'ready', `the page failed: ${demo.error}`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.match(demo.backend, /^wasm \((relaxed SIMD|SIMD128), [2-8] threads\)$/);
  // Declared without input sizes: right after initialize() the first weight was (256, 0), pending.
  assert.deepEqual(demo.pendingParams.map((p) => `${p.path} ${p.shape} ${p.state}`), [
    '0.weight (256, 0) pending', '0.bias (256,) initialized', '1.weight (10, 0) pending', '1.bias (10,) initialized',
  ]);
  assert.equal(demo.epochs.length, 10);
  assert.ok(demo.testAccuracy! >= 0.95, `test accuracy ${demo.testAccuracy}`);
  t.diagnostic(`test accuracy ${demo.testAccuracy}; epochs took ${demo.epochs.map((e) => e.seconds.toFixed(1)).join(', ')} s; ${demo.backend}`);

  await stroke(page, Array.from({ length: 9 }, (_, i) => [0.5, 0.2 + 0.075 * i]));
  assert.equal(await page.locator('#prediction').textContent(), '1');
  const one = await page.evaluate(() => window.tsgluonDemo.predictCanvas()!);
  assert.ok(one.probabilities[1]! > 0.5, `P(1) = ${one.probabilities[1]}`);
  await page.click('#clear');
  assert.equal(await page.locator('#prediction').textContent(), '?');
  await stroke(page, Array.from({ length: 41 }, (_, i) => [0.5 + 0.2 * Math.sin((2 * Math.PI * i) / 40), 0.5 - 0.3 * Math.cos((2 * Math.PI * i) / 40)]));
  assert.equal(await page.locator('#prediction').textContent(), '0');

  const dir = join(REPO, 'build', 'browser-test');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'demo.png'), fullPage: true });
  t.diagnostic(`screenshot: ${join(dir, 'demo.png')}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the op table's parity rows: wasm matches ref in Chromium", { timeout: 600_000, skip }, async (t) => {
  const { page, errors } = await harness.open('tests/browser/op-table.html');
  const result = await waitFor(page, () => (window.opTable?.done ? window.opTable : null), 540, 'the op table');
  t.diagnostic(`${result.rows} rows on wasm (${result.variant}, ${result.threads} threads)`);
  assert.ok(result.rows > 300, `only ${result.rows} rows ran`);
  assert.match(result.variant, /shared memory/);
  assert.deepEqual(result.failures, []);
  assert.deepEqual(errors, []);
  await page.close();
});
