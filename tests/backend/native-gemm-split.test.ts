/**
 * The native GEMM's ways of splitting one product across threads: a column split (A read in
 * place, or packed in every task), a row split whose op(B) is packed once, shared, in a first
 * parallel pass, the same per matrix of an unsplit batch, and the narrow kernel's row split; also
 * the ways of reading an operand in place (A by the narrow kernel, B when there are few rows).
 * The split shapes are above the parallel threshold and, on AVX2, pick the split their name says
 * (gemm-impl.h, gemmWith; other instruction sets have other panel sizes and may pick another); on
 * every instruction set the result at 2 and 3 threads is bitwise the one at 1 thread, and the
 * 1-thread result matches the reference backend.
 */
import { describe, test } from 'node:test';
import type { MatmulPlan } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { close, forEachIsa, nat, rand, same, skip, withThreads } from './parity-helpers.js';

type Case = MatmulPlan & { what: string };

const plan = (what: string, m: number, n: number, k: number, transA: boolean, transB: boolean, batch = 1, bShared = false, accumulate = false): Case => ({
  what, batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: bShared ? 0 : k * n, accumulate,
});

const CASES: Case[] = [
  plan('column split, A read in place (Dense forward x Wᵀ)', 256, 256, 784, false, true),
  plan('column split, A read in place, not transposed', 1000, 700, 100, false, false),
  plan('column split, Aᵀ packed in every task (dW = dYᵀ X of the MLP step: the row split reads B packed by another thread)', 256, 784, 256, true, false),
  plan('row split, shared packed B, many rows', 900, 300, 256, true, false),
  plan('row split, shared packed Bᵀ', 300, 200, 517, true, true),
  plan('unsplit batch of 3, shared packed B per matrix, accumulating', 256, 300, 256, true, false, 3, false, true),
  plan('unsplit batch of 3, one B for all', 256, 300, 256, true, false, 3, true),
  plan('few columns (the narrow kernel on AVX-512), row split', 3000, 20, 300, true, false),
  plan('few columns, A read in place by the narrow kernel, partial last sliver (Dense 256 -> 10 forward)', 3001, 10, 300, false, true),
  plan('Aᵀ packed from rows in blocks, partial sliver and partial block of k', 301, 250, 203, true, false),
  plan('the MLP step 256 -> 10 forward, narrow kernel, split since the threshold is 2^19 multiply-adds', 256, 10, 256, false, true),
  plan('the MLP step dH = dZ W2 (k = 10), split since the threshold is 2^19 multiply-adds', 256, 256, 10, false, false),
  plan('below the parallel threshold', 64, 10, 256, false, true),
  plan('few rows, B read in place but its partial last panel packed, column split', 10, 1000, 500, true, false),
  plan('few rows, B read in place, A in place, accumulating', 7, 300, 257, false, false, 1, false, true),
  plan('few rows, B read in place, batch of 3 (dW = dYᵀ H of a 10-class layer)', 10, 256, 256, true, false, 3),
  plan('one row times Bᵀ (ResNet classifier at batch 1: the AVX-512 GEMV), split', 1, 1000, 512, false, true),
  plan('one row times Bᵀ, two KC blocks, partial blocks of k and of outputs, accumulating', 1, 1001, 1100, false, true, 1, false, true),
  plan('one row times Bᵀ, Aᵀ (a column), below the GEMV\'s parallel threshold', 1, 37, 21, true, true),
];

describe('native GEMM: every way of splitting across threads', { skip }, () => {
  for (const c of CASES) {
    test(`${c.what}: ${c.batch} x ${c.m}x${c.n}x${c.k} tA=${c.transA} tB=${c.transB}`, () => {
      const a = rand(Float32Array, c.batch * c.m * c.k);
      const b = rand(Float32Array, (c.bBatchStride === 0 ? 1 : c.batch) * c.k * c.n);
      const start = rand(Float32Array, c.batch * c.m * c.n);
      const run = () => {
        const out = c.accumulate ? start.slice() : new Float32Array(c.batch * c.m * c.n);
        nat.matmul(out, a, b, c);
        return out;
      };
      const want = start.slice();
      if (!c.accumulate) want.fill(0);
      refKernels.matmul(want, a, b, c);
      forEachIsa((isa) => {
        const one = withThreads(1, run);
        close(one, want, 1e-4, 1e-4, `${isa} ${c.what}`);
        same(withThreads(2, run), one, `${isa} ${c.what}: 2 threads vs 1`);
        same(withThreads(3, run), one, `${isa} ${c.what}: 3 threads vs 1`);
      });
    });
  }
});

// The AVX-512 GEMV sums each output like the micro-kernel, so one row alone is bitwise the same
// row of a larger product (a batch-1 forward equals that sample's row of a batched forward).
describe('native GEMM: one row times Bᵀ equals that row of a many-row product', { skip }, () => {
  for (const [n, k, accumulate] of [[16, 16, false], [17, 5, false], [100, 37, true], [1000, 512, false], [70, 1030, true]] as const) {
    test(`n=${n} k=${k} accumulate=${accumulate}`, () => {
      const m = 7;
      const a = rand(Float32Array, m * k);
      const b = rand(Float32Array, n * k);
      const start = rand(Float32Array, m * n);
      const product = (rows: number) => {
        const out = accumulate ? start.slice(0, rows * n) : new Float32Array(rows * n);
        nat.matmul(out, a.subarray(0, rows * k), b, plan('', rows, n, k, false, true, 1, false, accumulate));
        return out;
      };
      forEachIsa((isa) => {
        for (const threads of [1, 2]) {
          const many = withThreads(threads, () => product(m));
          same(withThreads(threads, () => product(1)), many.subarray(0, n), `${isa} ${threads} threads: row 0 alone vs in ${m} rows`);
        }
      });
    });
  }
});
