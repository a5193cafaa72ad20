/**
 * The native GEMM's bias epilogue (matmulBias, what fullyConnected runs): the first k-block adds
 * its products to the bias row instead of to C, so the result must be bitwise what the old two
 * passes gave (the bias copied into every row of C, then the product accumulated onto it), for
 * every split, kernel (wide, narrow, the AVX-512 GEMV, which takes the two passes itself) and
 * thread count, in float32 and float64, and match the reference backend.
 */
import { describe, test } from 'node:test';
import type { MatmulPlan } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, close, forEachIsa, nat, rand, same, skip, withThreads } from './parity-helpers.js';

type Case = MatmulPlan & { what: string };

const plan = (what: string, m: number, n: number, k: number, transA = false, transB = true, batch = 1): Case => ({
  what, batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n,
});

const CASES: Case[] = [
  plan('the MLP step 784 -> 256 (column split, A in place)', 256, 256, 784),
  plan('the MLP step 256 -> 10 (narrow kernel)', 256, 10, 256),
  plan('row split, partial slivers and panels, k over two blocks', 301, 203, 1100, true, true),
  plan('few rows, B read in place', 7, 300, 257, false, false),
  plan('one row (the AVX-512 GEMV path)', 1, 1001, 600),
  plan('one row, few columns', 1, 5, 33),
  plan('no products (k = 0): the bias alone', 5, 9, 0),
  plan('below the parallel threshold', 20, 37, 40),
  plan('a batch of 3', 50, 70, 90, false, true, 3),
];

describe('native GEMM: products added to a bias row', { skip }, () => {
  for (const [dtype, C] of FLOATS) {
    for (const c of CASES) {
      test(`${dtype} ${c.what}: ${c.batch} x ${c.m}x${c.n}x${c.k}`, () => {
        const a = rand(C, c.batch * c.m * c.k);
        const b = rand(C, c.batch * c.k * c.n);
        const bias = rand(C, c.n);
        const twoPasses = () => {
          const out = new C(c.batch * c.m * c.n);
          for (let r = 0; r < c.batch * c.m; r++) out.set(bias, r * c.n);
          nat.matmul(out, a, b, { ...c, accumulate: true });
          return out;
        };
        const fused = () => {
          const out = new C(c.batch * c.m * c.n).fill(Number.NaN);
          nat.matmulBias(out, a, b, bias, c);
          return out;
        };
        const want = new C(c.batch * c.m * c.n);
        refKernels.matmulBias(want, a, b, bias, c);
        forEachIsa((isa) => {
          const one = withThreads(1, fused);
          close(one, want, 1e-4, 1e-4, `${isa} ${c.what}`);
          same(one, withThreads(1, twoPasses), `${isa} ${c.what}: fused vs two passes`);
          same(withThreads(2, fused), one, `${isa} ${c.what}: 2 threads vs 1`);
          same(withThreads(3, fused), one, `${isa} ${c.what}: 3 threads vs 1`);
        });
      });
    }
  }
});
