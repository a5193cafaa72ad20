// Times each GEMM of the MLP training step (784-256-10, batch 256) on its own, through the
// backend's matmul kernel into a preallocated output: GFLOP/s per shape, the median and the best
// of blocks of 10 calls (on a loaded machine the best is the steadier figure).
// `npx tsx bench/gemm-shapes.ts`. Options: --threads 1  --budget 0.5  --only <name prefix>
import { parseArgs } from 'node:util';
import { backend, nd } from 'tsgluon';

const { values: args } = parseArgs({ options: { threads: { type: 'string', default: '1' }, budget: { type: 'string', default: '0.5' }, only: { type: 'string', default: '' } } });
const budget = Number(args.budget);
const b = backend.getBackend();
b.setNumThreads?.(Number(args.threads));
const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const shapes = [
  { name: 'fwd X·W1ᵀ', m: 256, n: 256, k: 784, transA: false, transB: true },
  { name: 'dW1 = dHᵀ·X', m: 256, n: 784, k: 256, transA: true, transB: false },
  { name: 'fwd H·W2ᵀ', m: 256, n: 10, k: 256, transA: false, transB: true },
  { name: 'dH = dY·W2', m: 256, n: 256, k: 10, transA: false, transB: false },
  { name: 'dW2 = dYᵀ·H', m: 10, n: 256, k: 256, transA: true, transB: false },
  { name: 'square 1024', m: 1024, n: 1024, k: 1024, transA: false, transB: false },
];
for (const s of shapes) {
  if (args.only !== '' && !s.name.startsWith(args.only)) continue;
  nd.random.seed(1);
  const a = nd.random.uniform({ shape: [s.m * s.k] }).storage;
  const bb = nd.random.uniform({ shape: [s.k * s.n] }).storage;
  const out = new Float32Array(s.m * s.n);
  const plan = { batch: 1, m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, aBatchStride: 0, bBatchStride: 0 };
  const fn = (): void => b.kernels.matmul(out, a, bb, plan);
  for (let i = 0; i < 10; i++) fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < 20 || spent < budget) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) fn();
    const dt = (performance.now() - t0) / 10;
    times.push(dt);
    spent += dt * 10 / 1000;
  }
  const t = median(times);
  const gflops = (ms: number): string => ((2 * s.m * s.n * s.k) / ms / 1e6).toFixed(1);
  const dims = `${String(s.m).padStart(5)}x${String(s.n).padEnd(5)} k=${String(s.k).padEnd(5)}`;
  console.log(`${s.name.padEnd(14)} ${dims} ${(t * 1000).toFixed(1).padStart(8)} us ${gflops(t).padStart(6)} GFLOP/s (best ${gflops(Math.min(...times))})`);
}
