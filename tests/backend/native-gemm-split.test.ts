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
