/**
 * Checks one WebAssembly build against the reference kernels (GEMM in every transpose variant
 * with awkward sizes, softmax, exp, a broadcast add, a whole-array sum) and, for the threaded
 * builds, 1 against 3 threads bit for bit, and that the pool's per-thread task counts (what
 * bench:browser reports) move only when work was split. tests/backend/wasm-variants.test.ts runs it for the
 * SIMD128 builds here and for the relaxed-SIMD builds in a Node started with
 * --experimental-wasm-relaxed-simd (Node 20 has relaxed SIMD only behind that flag).
 */
import { refKernels } from '../../src/backend/ref/index.js';
import { loadWasmBackendSync } from '../../src/backend/wasm/node.js';
import type { WasmVariant } from '../../src/backend/wasm/backend.js';
import { Generator } from '../../src/core/rng.js';


/** What went wrong with the build (empty when it matches), and which ISA it reported. */
export async function checkVariant(variant: WasmVariant): Promise<{ isa: string; problems: string[] }> {
  const load = loadWasmBackendSync({ variant, threads: variant.threads ? 3 : 1 });
  if (load.backend === null) return { isa: '', problems: [load.error] };
  const b = load.backend;
  const k = b.kernels;
  const problems: string[] = [];
  const close = (got: Float32Array, want: Float32Array, tol: number, what: string) => {
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)))) {
        problems.push(`${what}[${i}]: wasm ${got[i]}, ref ${want[i]}`);
        return;
      }
    }
  };
  // Each run draws the same inputs.
  const run = () => {
    const g = new Generator(7);
    const rand = (n: number) => Float32Array.from({ length: n }, () => g.nextFloat() * 4 - 2);
    const out: Float32Array[] = [];
    // The last is large enough (27M multiply-adds) to be split across threads.
    for (const [m, n, kk] of [[37, 300, 129], [300, 17, 255], [64, 784, 40], [300, 301, 299]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = rand(m! * kk!), bb = rand(kk! * n!);
          const plan = { batch: 1, m: m!, n: n!, k: kk!, transA, transB, aBatchStride: 0, bBatchStride: 0 };
          const want = new Float32Array(m! * n!), got = new Float32Array(m! * n!);
          refKernels.matmul(want, a, bb, plan);
          k.matmul(got, a, bb, plan);
          close(got, want, 4e-6 * Math.sqrt(kk!) * 4, `matmul ${m}x${n}x${kk} tA=${transA} tB=${transB}`);
          out.push(got);
        }
      }
    }
    const x = rand(300 * 1000);
    const plan = { outer: 3000, axisLen: 100, inner: 1 };
    const sw = new Float32Array(x.length), sg = new Float32Array(x.length);
    refKernels.softmax(sw, x, plan);
    k.softmax(sg, x, plan);
    close(sg, sw, 1e-6, 'softmax');
    const ew = new Float32Array(x.length), eg = new Float32Array(x.length);
    refKernels.unary.exp(ew, x);
    k.unary.exp(eg, x);
    close(eg, ew, 2e-7, 'exp');
    const row = rand(1000), bw = new Float32Array(x.length), bg = new Float32Array(x.length);
    const bplan = { shape: [300, 1000], aStrides: [1000, 1], bStrides: [0, 1] };
    refKernels.binary.add(bw, x, row, bplan);
    k.binary.add(bg, x, row, bplan);
    close(bg, bw, 0, 'broadcast add');
    const s = new Float32Array(1), sr = new Float32Array(1);
    refKernels.reduce.sum(sr, x, { outer: 1, reduce: x.length, inner: 1 });
    k.reduce.sum(s, x, { outer: 1, reduce: x.length, inner: 1 });
    close(s, sr, 1e-6, 'sum');
    return [...out, sg, eg, bg, s];
  };
  const tasksRun = (before: number[]) => b.poolTasks().reduce((sum, t, i) => sum + t - (before[i] ?? 0), 0);
  if (!variant.threads) {
    run();
    if (b.poolTasks().length !== 0) problems.push(`poolTasks() on a single-thread build: ${String(b.poolTasks())}`);
    try {
      b.setNumThreads(2);
      problems.push('setNumThreads(2) on a single-thread build did not throw');
    } catch (e) {
      if (!/cross-origin isolation/.test((e as Error).message)) problems.push(`setNumThreads(2): ${(e as Error).message}`);
    }
    return { isa: b.addon.isa(), problems };
  }
  await b.threadsReady();
  b.setNumThreads(1);
  let before = b.poolTasks();
  const one = run();
  if (tasksRun(before) !== 0) problems.push(`at 1 thread the pool ran ${tasksRun(before)} tasks`);
  b.setNumThreads(3);
  before = b.poolTasks();
  const three = run();
  if (b.poolTasks().length !== 3) problems.push(`poolTasks() at 3 threads has ${b.poolTasks().length} entries`);
  // The 300x301x299 GEMMs (4 of them) split into at least 2 tasks each.
  if (tasksRun(before) < 8) problems.push(`at 3 threads the pool ran ${tasksRun(before)} tasks, expected at least 8`);
  one.forEach((r, i) => {
    if (r.length !== three[i]!.length || r.some((v, j) => !Object.is(v, three[i]![j]))) problems.push(`result ${i} differs between 1 and 3 threads`);
  });
  // Once idle the workers sleep in memory.atomic.wait32; woken by the next job they must still
  // take their share and give the same bits.
  await new Promise((done) => setTimeout(done, 50));
  before = b.poolTasks();
  const again = run();
  if (tasksRun(before) < 8) problems.push(`after the workers slept the pool ran ${tasksRun(before)} tasks, expected at least 8`);
  one.forEach((r, i) => {
    if (r.some((v, j) => !Object.is(v, again[i]![j]))) problems.push(`result ${i} differs at 3 threads after the workers slept`);
  });
  return { isa: b.addon.isa(), problems };
}

/** Child-process entry: checks the variants named in $WASM_VARIANTS (comma-separated) and prints one JSON line. */
export async function main(): Promise<void> {
  const out: Record<string, { isa: string; problems: string[] }> = {};
  for (const name of (process.env['WASM_VARIANTS'] ?? '').split(',')) out[name] = await checkVariant({ relaxed: name.startsWith('relaxed'), threads: name.endsWith('threads') });
  console.log(JSON.stringify(out));
}
