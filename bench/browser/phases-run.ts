// Runs bench/browser/phases.html (the phases of one wasm GEMM call, see phases.ts) in headless
// Chromium and prints its figures. Run it under the CPU lock like any timing.
// Usage: tsx bench/browser/phases-run.ts ['n=256&reps=100' | 'seq=2' | '...&wasmBase=/build/wasm-exp/x/']
import { startHarness, waitFor } from '../../tests/browser/harness.js';

const harness = await startHarness();
try {
  const { page, errors } = await harness.open(`bench/browser/phases.html?${process.argv[2] ?? ''}`);
  const res = await waitFor(page, () => (window as unknown as { phases: unknown }).phases, 150, 'the phases page').catch((e: unknown) => {
    throw new Error(`${String(e)}\n${errors.join('\n')}`);
  });
  console.log(res);
} finally {
  await harness.close();
}
