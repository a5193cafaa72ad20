// The phases of one float32 GEMM call (n x n) on tsgluon's wasm backend in a browser page, run by
// bench/browser/phases-run.ts: where a call's time goes besides the kernel. Query: n (256),
// threads (the counts compared in the same page, 1,2), reps (200), wasmBase (a folder of other
// .wasm files), seq (a thread count: instead, 3 s of back-to-back nd.dot calls, the median per
// 250 ms window, which shows the start-up). Each rep times, per thread count:
//   dot       nd.dot(a, b): the op layer, a fresh output array, staging, the kernel, the copy back
//   staged    the addon's gemm on JavaScript arrays, the output reused (staging copies, kernel)
//   fresh     the same into a freshly allocated output (its pages fault in during the copy back)
//   resident  the addon's gemm on arrays that live in linear memory: the kernel alone
//   alloc     allocating and filling an n x n Float32Array
//   copies    the staging copies alone (two operands in, the result out)
// Results go to `window.phases` (medians and minima in microseconds; pool tasks per thread).
import { backend, nd } from 'tsgluon';

const q = new URLSearchParams(location.search);
const n = Number(q.get('n') ?? '256');
const threads = (q.get('threads') ?? '1,2').split(',').map(Number);
const reps = Number(q.get('reps') ?? '200');
const wasmBase = q.get('wasmBase');
const seq = q.get('seq');
const page = window as unknown as { phases: Record<string, string> | null };
page.phases = null;

const wasm = await backend.loadWasm({ threads: Math.max(...threads, Number(seq ?? 1)), ...(wasmBase !== null ? { baseUrl: wasmBase } : {}) });
const addon = wasm.addon as unknown as { gemm(o: Float32Array, a: Float32Array, b: Float32Array, p: Int32Array): boolean };
nd.random.seed(1);
const a = nd.random.uniform({ shape: [n, n] });
const b = nd.random.uniform({ shape: [n, n] });
const ja = a.storage as Float32Array, jb = b.storage as Float32Array;
const jc = new Float32Array(n * n);
const mem = wasm.linear.memory;
const [pa, pb, pc] = [0, 1, 2].map(() => wasm.linear.alloc(4 * n * n));
const P = new Int32Array([1, n, n, n, 0, 0, 0, 0, 0]);
// Views are made per call: a growing shared memory keeps its buffer, but a fresh view is cheap.
const inWasm = (ptr: number) => new Float32Array(mem.buffer, ptr, n * n);
inWasm(pa!).set(ja);
inWasm(pb!).set(jb);
const us = (ms: number) => `${(1000 * ms).toFixed(0)} us`;
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
const res: Record<string, string> = {};

if (seq !== null) {
  wasm.setNumThreads(Number(seq));
  const start = performance.now();
  const windows: number[][] = [];
  while (performance.now() - start < 3000) {
    const t0 = performance.now();
    nd.dot(a, b);
    (windows[Math.floor((t0 - start) / 250)] ??= []).push(performance.now() - t0);
  }
  windows.forEach((w, i) => (res[`dot ${seq}T from ${i * 250} ms`] = `${w.length} calls, median ${us(median(w))}`));
} else {
  const fns: Record<string, () => void> = {
    dot: () => void nd.dot(a, b),
    staged: () => void addon.gemm(jc, ja, jb, P),
    fresh: () => void addon.gemm(new Float32Array(n * n), ja, jb, P),
    resident: () => void addon.gemm(inWasm(pc!), inWasm(pa!), inWasm(pb!), P),
    alloc: () => void new Float32Array(n * n).fill(1),
    copies: () => {
      inWasm(pa!).set(ja);
      inWasm(pb!).set(jb);
      jc.set(inWasm(pc!));
    },
  };
  const times: Record<string, number[]> = {};
  for (let r = 0; r < reps; r++) {
    for (const t of threads) {
      wasm.setNumThreads(t);
      for (const [k, f] of Object.entries(fns)) {
        f();
        const t0 = performance.now();
        f();
        (times[`${k} ${t}T`] ??= []).push(performance.now() - t0);
      }
    }
  }
  for (const [k, xs] of Object.entries(times)) res[k] = `median ${us(median(xs))}, min ${us(Math.min(...xs))}`;
}
res['pool tasks per thread'] = wasm.poolTasks().join('/');
page.phases = res;
document.getElementById('out')!.textContent = JSON.stringify(res, null, 2);
