/**
 * Binary kernels over long rows: a same-shape operation merges into one row, which the native
 * backend cuts into column pieces so that every thread takes part. Checked against the reference
 * backend and bitwise across 1, 2 and 3 threads, for a single long row, long rows under an outer
 * broadcast, a scalar operand and a strided (transposed) operand.
 */
import { test } from 'node:test';
import { refKernels } from '../../src/backend/ref/index.js';
import { close, nat, rand, same, skip, withSpecials, withThreads } from './parity-helpers.js';

const N = 600001; // more than two grains of 2^18 elements, and odd
const cases = [
  { name: 'one long row', a: N, b: N, plan: { shape: [N], aStrides: [1], bStrides: [1] } },
  { name: 'long rows, b broadcast over rows', a: 3 * N, b: N, plan: { shape: [3, N], aStrides: [N, 1], bStrides: [0, 1] } },
  { name: 'a scalar b', a: N, b: 1, plan: { shape: [N], aStrides: [1], bStrides: [0] } },
  { name: 'strided b', a: 2 * N, b: 2 * N, plan: { shape: [N, 2], aStrides: [2, 1], bStrides: [1, N] } },
];

test('binary ops over long rows match ref and do not depend on the thread count', { skip }, () => {
  for (const c of cases) {
    const a = withSpecials(rand(Float32Array, c.a));
    const b = rand(Float32Array, c.b);
    for (const op of ['add', 'mul', 'reluGrad', 'pow'] as const) {
      const want = new Float32Array(c.a);
      refKernels.binary[op](want, a, b, c.plan);
      const runs = [1, 2, 3].map((t) =>
        withThreads(t, () => {
          const out = new Float32Array(c.a);
          nat.binary[op](out, a, b, c.plan);
          return out;
        }),
      );
      close(runs[0]!, want, 1e-6, 1e-6, `${c.name} ${op}`);
      same(runs[1]!, runs[0]!, `${c.name} ${op}, 2 vs 1 threads`);
      same(runs[2]!, runs[0]!, `${c.name} ${op}, 3 vs 1 threads`);
    }
  }
});
