/**
 * The fused convolution kernel (hybridize's epilogue fusion): on the backend under test, convFused
 * gives the same bits as conv then fused with that backend's own kernels, for every forward path
 * of the convolution (direct, Winograd, flat, unfold and GEMM over row chunks, several samples per
 * GEMM, one sample shared by all tasks, 1x1, a 1x1 output map), every instruction set, float32
 * and float64, on 1, 2 and 3 threads; and it agrees with the reference kernel within the
 * convolution's rounding. Also the checks that make a malformed call throw.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import type { ConvPlan, FusedPlan, FusedStep } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, forEachIsa, nat, rand, same, skip, withThreads, type Ctor } from './parity-helpers.js';

/** [name, N, C, H, O, kernel, stride, pad]. */
const GEOMETRIES: [string, number, number, number, number, number, number, number][] = [
  ['direct (one channel, 5x5)', 2, 1, 12, 6, 5, 1, 2],
  ['winograd (3x3 on 24x24)', 1, 8, 24, 16, 3, 1, 1],
  ['flat, one sample in ranges', 1, 4, 10, 16, 3, 1, 1],
  ['flat, a sample per task', 5, 4, 10, 16, 3, 1, 1],
  ['unfold and GEMM over row chunks (stride 2)', 1, 3, 99, 8, 3, 2, 1],
  ['unfold and GEMM, two samples per GEMM on one thread', 2, 3, 15, 8, 3, 2, 1],
  ['flat stride 2, a 7x7 stem in ranges', 1, 3, 45, 16, 7, 2, 3],
  ['flat stride 2 in channel blocks, the epilogue every 256 KiB of a range', 1, 20, 90, 200, 3, 2, 1],
  ['flat stride 2, a sample per task', 5, 6, 13, 20, 3, 2, 1],
  ['flat 1x1 stride 2', 1, 8, 11, 16, 1, 2, 0],
  ['one sample shared by the tasks', 1, 16, 4, 32, 3, 2, 1],
  ['several samples per GEMM', 6, 4, 6, 8, 3, 2, 1],
  ['1x1', 1, 8, 5, 8, 1, 1, 0],
  ['a 1x1 output map', 3, 4, 3, 5, 3, 1, 0],
];

function convPlan(N: number, C: number, H: number, O: number, k: number, s: number, p: number): ConvPlan {
  const out = Math.floor((H + 2 * p - k) / s) + 1;
  return { batch: N, channels: C, filters: O, in: [1, H, H], out: [1, out, out], kernel: [1, k, k], stride: [1, s, s], pad: [0, p, p], dilation: [1, 1, 1] };
}

interface Chain {
  name: string;
  /** Layouts of the chain's inputs; `self` is the convolution's output. */
  layouts: number[];
  self: number;
  steps: FusedStep[];
}

const CHAINS: Chain[] = [
  { name: 'batchNorm, relu', layouts: [0, 2, 2, 2, 2], self: 0, steps: [{ op: 'batchNorm', args: [0, 1, 2, 3, 4], eps: 1e-5, scale: true, center: true }, { op: 'relu', args: [5] }] },
  {
    name: 'batchNorm, a residual, relu',
    layouts: [2, 2, 0, 2, 2, 0],
    self: 2,
    steps: [{ op: 'batchNorm', args: [2, 0, 1, 3, 4], eps: 1e-3, scale: true, center: true }, { op: 'add', args: [6, 5] }, { op: 'relu', args: [7] }],
  },
  { name: 'relu alone (in place)', layouts: [0], self: 0, steps: [{ op: 'relu', args: [0] }] },
  { name: 'scale per filter, then a scalar, read twice', layouts: [2, 0, 1], self: 1, steps: [{ op: 'mul', args: [1, 0] }, { op: 'sub', args: [3, 2] }, { op: 'mul', args: [4, 4] }] },
];

/** The chain's inputs other than `self`, and the plan over an output of N x O x L. */
function chainInputs(C: Ctor, ch: Chain, N: number, O: number, L: number): { others: TypedArray[]; plan: FusedPlan } {
  const others = ch.layouts.flatMap((l, k) => (k === ch.self ? [] : [l === 0 ? rand(C, N * O * L, -3, 3) : l === 1 ? rand(C, 1, 0.1, 1) : rand(C, O, 0.2, 2)]));
  return { others, plan: { size: N * O * L, inner: L, channels: O, layouts: ch.layouts, steps: ch.steps } };
}

const withSelf = (others: readonly TypedArray[], y: TypedArray, self: number): TypedArray[] => [...others.slice(0, self), y, ...others.slice(self)];

describe('fused convolution', { skip }, () => {
  for (const [name, N, Ci, H, O, k, s, p] of GEOMETRIES) {
    test(`${name}: the same bits as conv then fused on 1, 2 and 3 threads, near ref`, () => {
      const plan = convPlan(N, Ci, H, O, k, s, p);
      const L = plan.out[1] * plan.out[2];
      for (const [dtype, C] of FLOATS) {
        const x = rand(C, N * Ci * H * H);
        const w = rand(C, O * Ci * k * k, -0.5, 0.5);
        const bias = rand(C, O);
        for (const ch of CHAINS) {
          const { others, plan: fp } = chainInputs(C, ch, N, O, L);
          const b = ch.self === 0 ? bias : null;
          const expected = new C(N * O * L);
          refKernels.convFused(expected, x, w, b, plan, others, fp, ch.self);
          forEachIsa((isa) => {
            const y = new C(N * O * L);
            nat.conv(y, x, w, b, plan);
            const unfused = new C(N * O * L);
            nat.fused(unfused, withSelf(others, y, ch.self), fp);
            for (const threads of [1, 2, 3]) {
              const out = new C(N * O * L);
              withThreads(threads, () => nat.convFused(out, x, w, b, plan, others, fp, ch.self));
              same(out, unfused, `${ch.name}, ${isa} ${dtype}, ${threads} threads`);
            }
            close(unfused, expected, dtype === 'float32' ? 1e-4 : 1e-10, 1e-4, `${ch.name}, ${isa} ${dtype} vs ref`);
          });
        }
      }
    });
  }

  test('malformed calls throw instead of touching memory', () => {
    const plan = convPlan(1, 2, 4, 3, 3, 1, 1);
    const P = Int32Array.from([1, 2, 3, 1, 4, 4, 1, 4, 4, 1, 3, 3, 1, 1, 1, 0, 1, 1, 1, 1, 1]);
    const y = new Float32Array(48);
    const x = new Float32Array(32);
    const w = new Float32Array(54);
    const code = Int32Array.from([1, addon!.binaryOps.indexOf('add'), 0, 1, 0, 0, 0, 0]);
    const eps = new Float64Array(1);
    assert.ok(plan.out[1] === 4);
    assert.throws(() => addon!.convFused(y, x, w, null, P, [new Float32Array(3)], Int32Array.from([0, 2]), code, eps, 1, 3, 0), /per filter/);
    assert.throws(() => addon!.convFused(y, x, w, null, P, [y.subarray(8)], Int32Array.from([0, 1]), code, eps, 1, 1, 0), /shares memory with the output/);
    assert.throws(() => addon!.convFused(y, x, w, null, P, [new Float32Array(48)], Int32Array.from([0, 0]), code, eps, 1, 1, 2), /register is not an input/);
  });
});
