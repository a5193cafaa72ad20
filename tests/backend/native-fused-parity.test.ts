/**
 * The fused element-wise kernel (hybridize's fusion): on each backend, a fused chain gives the
 * same bits as its steps run one by one with that backend's own kernels (unary, binary with
 * broadcasting, batchNormForward); and the native kernel agrees with the reference one within
 * float rounding. Chains of unary ops, binary ops with scalar and per-channel operands (channels
 * inside the array and on the last axis), BatchNorm with and without gamma/beta, then ReLU;
 * float32 and float64, sizes around the segment length, every instruction set, 1 and 2 threads.
 * Also the checks that make a malformed call throw instead of touching memory.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import type { FusedPlan, FusedStep, KernelTable } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, forEachIsa, nat, rand, same, skip, withSpecials, withThreads, type Ctor } from './parity-helpers.js';

interface Chain {
  name: string;
  /** [outer, channels, inner] of the output. */
  dims: readonly [number, number, number];
  layouts: number[];
  steps: FusedStep[];
}

const chains = (o: number, c: number, i: number): Chain[] => [
  { name: 'exp, tanh, relu, sigmoid', dims: [o, c, i], layouts: [0], steps: [{ op: 'exp', args: [0] }, { op: 'tanh', args: [1] }, { op: 'relu', args: [2] }, { op: 'sigmoid', args: [3] }] },
  {
    name: 'per-channel scale and shift, scalar, relu',
    dims: [o, c, i],
    layouts: [0, 2, 2, 1],
    steps: [{ op: 'mul', args: [0, 1] }, { op: 'add', args: [4, 2] }, { op: 'maximum', args: [5, 3] }, { op: 'relu', args: [6] }],
  },
  {
    name: 'batchNorm then relu',
    dims: [o, c, i],
    layouts: [0, 2, 2, 2, 2],
    steps: [{ op: 'batchNorm', args: [0, 1, 2, 3, 4], eps: 1e-5, scale: true, center: true }, { op: 'relu', args: [5] }],
  },
  {
    name: 'batchNorm without gamma and beta, plus a residual, then relu',
    dims: [o, c, i],
    layouts: [0, 2, 2, 2, 2, 0],
    steps: [{ op: 'batchNorm', args: [0, 1, 2, 3, 4], eps: 1e-3, scale: false, center: false }, { op: 'add', args: [6, 5] }, { op: 'relu', args: [7] }],
  },
  { name: 'a scalar minus x, then x times that (a register read twice)', dims: [o, c, i], layouts: [0, 1], steps: [{ op: 'sub', args: [1, 0] }, { op: 'mul', args: [2, 2] }] },
];

function inputs(C: Ctor, ch: Chain): TypedArray[] {
  const size = ch.dims[0] * ch.dims[1] * ch.dims[2];
  return ch.layouts.map((l, k) => {
    if (l === 0) return withSpecials(rand(C, size, -3, 3));
    if (l === 1) return rand(C, 1, 0.1, 1);
    // Per-channel values; a variance (input 2 of a batchNorm chain) stays positive.
    return rand(C, ch.dims[1], k === 2 ? 0.2 : -1, 2);
  });
}

const planOf = (ch: Chain): FusedPlan => ({ size: ch.dims[0] * ch.dims[1] * ch.dims[2], inner: ch.dims[2], channels: ch.dims[1], layouts: ch.layouts, steps: ch.steps });

/** The chain step by step with `k`'s separate kernels, each result stored in the output dtype. */
function unfused(k: KernelTable, C: Ctor, ch: Chain, xs: TypedArray[]): TypedArray {
  const [o, c, i] = ch.dims;
  const shape = [o, c, i];
  const strides = (l: number): number[] => (l === 0 ? [c * i, i, 1] : l === 1 ? [0, 0, 0] : [0, 1, 0]);
  const regs: { data: TypedArray; layout: number }[] = xs.map((data, n) => ({ data, layout: ch.layouts[n]! }));
  for (const st of ch.steps) {
    const out = new C(o * c * i);
    if (st.op === 'batchNorm') {
      const [x, mean, variance, gamma, beta] = st.args.map((a) => regs[a]!.data);
      k.batchNormForward(out, x!, mean!, variance!, st.scale ? gamma! : null, st.center ? beta! : null, { outer: o, channels: c, inner: i, eps: st.eps });
    } else if (st.args.length === 2) {
      const [a, b] = [regs[st.args[0]]!, regs[st.args[1]!]!];
      k.binary[st.op as 'add'](out, a.data, b.data, { shape, aStrides: strides(a.layout), bStrides: strides(b.layout) });
    } else {
      k.unary[st.op as 'exp'](out, regs[st.args[0]]!.data);
    }
    regs.push({ data: out, layout: 0 });
  }
  return regs[regs.length - 1]!.data;
}

const SHAPES: (readonly [number, number, number])[] = [[2, 3, 5], [3, 4, 700], [1, 2, 2049], [5, 6, 1], [2, 1500, 1], [1, 1, 1]];

describe('fused element-wise chains', { skip }, () => {
  for (const [o, c, i] of SHAPES) {
    for (const ch of chains(o, c, i)) {
      test(`${ch.name}, (${o}, ${c}, ${i}): the same bits as unfused, on each backend and instruction set`, () => {
        for (const [dtype, C] of FLOATS) {
          const xs = inputs(C, ch);
          const plan = planOf(ch);
          const refOut = new C(plan.size);
          refKernels.fused(refOut, xs, plan);
          same(refOut, unfused(refKernels, C, ch, xs), `ref ${dtype}`);
          forEachIsa((isa) => {
            const out = new C(plan.size);
            nat.fused(out, xs, plan);
            same(out, unfused(nat, C, ch, xs), `native ${isa} ${dtype}`);
            close(out, refOut, dtype === 'float32' ? 2e-6 : 1e-12, 1e-7, `native ${isa} vs ref ${dtype}`);
          });
        }
      });
    }
  }

  test('a chain large enough for the pool gives the same bits on 1 and 2 threads', () => {
    const ch = chains(8, 64, 3000)[2]!;
    const xs = inputs(Float32Array, ch);
    const plan = planOf(ch);
    const one = withThreads(1, () => {
      const out = new Float32Array(plan.size);
      nat.fused(out, xs, plan);
      return out;
    });
    const two = withThreads(2, () => {
      const out = new Float32Array(plan.size);
      nat.fused(out, xs, plan);
      return out;
    });
    same(two, one, 'threads');
  });

  test('malformed calls throw instead of touching memory', () => {
    const out = new Float32Array(6);
    const x = new Float32Array(6);
    const eps = new Float64Array(1);
    const code = (args: number[]) => Int32Array.from([0, 0, ...args, 0, 0, 0, 0, 0, 0].slice(0, 8));
    assert.throws(() => addon!.fused(out, [x], Int32Array.from([0]), code([1]), eps, 6, 1, 1), /reads a register not yet written/);
    assert.throws(() => addon!.fused(out, [x.subarray(0, 3)], Int32Array.from([0]), code([0]), eps, 6, 1, 1), /shorter than its layout needs/);
    assert.throws(() => addon!.fused(out, [x], Int32Array.from([0]), Int32Array.from([7, 0, 0, 0, 0, 0, 0, 0]), eps, 6, 1, 1), /unknown step kind/);
    assert.throws(() => addon!.fused(out, [x], Int32Array.from([0]), code([0]), eps, 5, 1, 1), /sizes do not match/);
    assert.throws(() => addon!.fused(out, [x, new Float32Array(4)], Int32Array.from([0, 2]), Int32Array.from([1, 0, 0, 1, 0, 0, 0, 0]), eps, 6, 1, 4), /whole number of channel runs/);
  });
});
