/**
 * The native recurrences (rnnForward, rnnBackward) against the reference kernels: every mode,
 * both directions, the LSTM projection, batch sizes that leave a partial micro-kernel sliver,
 * hidden sizes that leave partial panels, one size large enough for the pool to split the step
 * GEMMs, float32 and float64, every instruction set, 1 and 2 threads. Also the argument checks
 * that make a bad call throw instead of touching memory.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import type { RnnPlan } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { rnnGradLayout, rnnLayout } from '../../src/backend/ref/rnn.js';
import { FLOATS, addon, close, forEachIsa, nat, rand, skip, withThreads, type Ctor } from './parity-helpers.js';

/** [T, N, H, P]: tiny, partial slivers and panels, a projection, one that runs on the pool. */
const SHAPES: [number, number, number, number][] = [[5, 7, 3, 3], [4, 13, 20, 20], [3, 6, 33, 17], [2, 33, 70, 70], [3, 32, 128, 128]];
const MODES = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'] as const;

interface Case {
  readonly what: string;
  readonly plan: RnnPlan;
  readonly C: Ctor;
  readonly inputs: TypedArray[];
  readonly dout: TypedArray;
  readonly ref: { out: TypedArray; ws: TypedArray; grads: TypedArray };
}

/** Inputs and the reference kernels' results, computed once and compared on every ISA and thread count. */
function makeCase(C: Ctor, plan: RnnPlan): Case {
  const { steps: T, batch: N, hidden: H, proj: P, mode } = plan;
  const { gates, outWidth: S, wsWidth: W } = rnnLayout(plan);
  const GH = gates * H;
  const inputs = [rand(C, T * N * GH), rand(C, GH * P, -0.5, 0.5), rand(C, GH), rand(C, N * P), rand(C, mode === 'lstm' ? N * H : 0), rand(C, P !== H ? P * H : 0, -0.5, 0.5)];
  const [xp, whh, bhh, h0, c0, whr] = inputs as [TypedArray, TypedArray, TypedArray, TypedArray, TypedArray, TypedArray];
  const out = new C(T * N * S), ws = new C(T * N * W);
  refKernels.rnnForward(out, ws, xp, whh, bhh, h0, c0, whr, plan);
  const dout = rand(C, T * N * S);
  const grads = new C(rnnGradLayout(plan).total);
  refKernels.rnnBackward(grads, dout, out, ws, whh, h0, c0, whr, plan);
  return { what: `${C.name} ${JSON.stringify(plan)}`, plan, C, inputs, dout, ref: { out, ws, grads } };
}

function check({ what, plan, C, inputs, dout, ref }: Case): void {
  const [xp, whh, bhh, h0, c0, whr] = inputs as [TypedArray, TypedArray, TypedArray, TypedArray, TypedArray, TypedArray];
  const [rtol, atol] = C === Float32Array ? [2e-5, 2e-5] : [1e-12, 1e-12];
  const out = new C(ref.out.length), ws = new C(ref.ws.length), grads = new C(ref.grads.length);
  nat.rnnForward(out, ws, xp, whh, bhh, h0, c0, whr, plan);
  close(out, ref.out, rtol, atol, `${what} out`);
  close(ws, ref.ws, rtol, atol, `${what} ws`);
  // From the reference forward's arrays, so only the backward kernels are compared.
  nat.rnnBackward(grads, dout, ref.out, ref.ws, whh, h0, c0, whr, plan);
  close(grads, ref.grads, rtol * 5, atol * 5, `${what} grads`);
}

describe('native rnn kernels vs ref', { skip }, () => {
  for (const [name, C] of FLOATS) {
    test(`${name}: every mode, direction and shape, every ISA, 1 and 2 threads`, () => {
      const cases: Case[] = [];
      for (const mode of MODES) {
        for (const [T, N, H, P] of SHAPES) {
          if (mode !== 'lstm' && P !== H) continue;
          for (const reverse of [false, true]) cases.push(makeCase(C, { mode, steps: T, batch: N, hidden: H, proj: P, reverse }));
        }
      }
      forEachIsa(() => {
        for (const threads of [1, 2]) withThreads(threads, () => cases.forEach(check));
      });
    });
  }

  test('empty sequences and batches', () => {
    for (const [T, N] of [[0, 3], [3, 0]]) check(makeCase(Float32Array, { mode: 'lstm', steps: T, batch: N, hidden: 4, proj: 4, reverse: false }));
  });

  test('a call whose arrays do not match the plan throws instead of reading past them', () => {
    const plan = Int32Array.from([2, 3, 2, 4, 4, 0]);
    const f = (n: number) => new Float32Array(n);
    // out should be 3 * 2 * 8 long.
    assert.throws(() => addon!.rnn(0, f(47), f(3 * 2 * 20), f(3 * 2 * 16), f(64), f(16), f(8), f(8), f(0), plan), /lengths do not match/);
    assert.throws(() => addon!.rnn(0, f(48), f(3 * 2 * 20), f(3 * 2 * 16), f(64), f(16), f(8), f(8), f(0), Int32Array.from([7, 3, 2, 4, 4, 0])), /unknown kind or mode/);
    assert.throws(() => addon!.rnn(0, f(48), f(3 * 2 * 20), f(3 * 2 * 16), f(64), f(16), f(8), new Float64Array(8), f(0), plan), /dtypes differ/);
    // A projection is an LSTM option: P must equal H for the others.
    assert.throws(() => addon!.rnn(0, f(24), f(0), f(24), f(16), f(4), f(6), f(0), f(0), Int32Array.from([3, 3, 2, 4, 3, 0])), /bad plan/);
    assert.equal(addon!.rnn(0, new Int32Array(48), new Int32Array(120), new Int32Array(96), new Int32Array(64), new Int32Array(16), new Int32Array(8), new Int32Array(8), new Int32Array(0), plan), false);
  });
});
