/**
 * The native batch-normalization kernels against the reference backend's: ResNet-like and odd
 * (outer, channels, inner) layouts, runs shorter than a vector (BatchNorm after a Dense layer),
 * with and without gamma, beta and the training sums. The element-wise kernels (forward, data
 * gradient) must give the reference's bits; the per-channel sums are accumulated in a different
 * order, so they are compared within double-precision rounding. No result may depend on the
 * thread count.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import type { BatchNormPlan } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, forEachIsa, nat, rand, same, skip, withSpecials, withThreads, type Ctor } from './parity-helpers.js';

const LAYOUTS: [number, number, number][] = [
  [8, 16, 144], // a ResNet stage: (N, C, H·W)
  [3, 5, 7], // runs shorter than a vector
  [64, 40, 1], // BatchNorm after a Dense layer: (N, C)
  [1, 24, 49], // inference-sized, one sample
  [2, 3, 1000],
  [0, 4, 9], // an empty batch
];

/** Every kernel's output given fixed statistics, so the element-wise ones can be compared bitwise. */
function runAll(k: typeof nat, C: Ctor, p: BatchNormPlan, x: TypedArray, g: TypedArray, gamma: TypedArray, beta: TypedArray, stats: TypedArray[]) {
  const total = p.outer * p.channels * p.inner;
  const [mean, variance, sums] = stats as [TypedArray, TypedArray, TypedArray];
  const fresh = (n: number) => new C(n).fill(9);
  const m = fresh(p.channels);
  k.batchNormMean(m, x, p);
  const v = fresh(p.channels);
  k.batchNormVariance(v, x, mean, p);
  const s = fresh(2 * p.channels);
  k.batchNormGradStats(s, g, x, mean, variance, p);
  const outs = [m, v, s];
  for (const [ga, be] of [[gamma, beta], [null, null]] as const) {
    const y = fresh(total);
    k.batchNormForward(y, x, mean, variance, ga, be, p);
    const gx = fresh(total);
    k.batchNormGradData(gx, g, x, mean, variance, ga, sums, p);
    const gf = fresh(total);
    k.batchNormGradData(gf, g, x, mean, variance, ga, null, p);
    outs.push(y, gx, gf);
  }
  return outs;
}

function inputs(C: Ctor, p: BatchNormPlan, specials: boolean) {
  const total = p.outer * p.channels * p.inner;
  const x = rand(C, total, -3, 5);
  const g = rand(C, total);
  if (specials) withSpecials(x);
  const gamma = rand(C, p.channels, 0.5, 2);
  const beta = rand(C, p.channels);
  const mean = rand(C, p.channels, 0, 1);
  const variance = rand(C, p.channels, 0.1, 3);
  const sums = rand(C, 2 * p.channels, -50, 50);
  return { x, g, gamma, beta, stats: [mean, variance, sums] };
}

describe('native batch-normalization kernels match ref', { skip }, () => {
  test('statistics within rounding, forward and data gradient bitwise, on every instruction set', () => {
    for (const [dt, C] of FLOATS) {
      const tol = dt === 'float32' ? 1e-6 : 1e-12;
      for (const [outer, channels, inner] of LAYOUTS) {
        for (const specials of [false, true]) {
          const p: BatchNormPlan = { outer, channels, inner, eps: 1e-5 };
          const { x, g, gamma, beta, stats } = inputs(C, p, specials);
          const want = runAll(refKernels, C, p, x, g, gamma, beta, stats);
          forEachIsa((isa) => {
            const got = runAll(nat, C, p, x, g, gamma, beta, stats);
            const what = `${dt} ${isa} (${outer}, ${channels}, ${inner})${specials ? ' with specials' : ''}`;
            for (let i = 0; i < 3; i++) close(got[i]!, want[i]!, tol, tol, `${['mean', 'variance', 'gradStats'][i]} ${what}`);
            for (let i = 3; i < got.length; i++) same(got[i]!, want[i]!, `element-wise output ${i} ${what}`);
          });
        }
      }
    }
  });

  test('the same bits for any thread count', () => {
    for (const [outer, channels, inner] of [[16, 64, 100], [512, 48, 1]] as const) {
      const p: BatchNormPlan = { outer, channels, inner, eps: 1e-3 };
      const { x, g, gamma, beta, stats } = inputs(Float32Array, p, false);
      const one = withThreads(1, () => runAll(nat, Float32Array, p, x, g, gamma, beta, stats));
      for (const t of [2, 3]) {
        const many = withThreads(t, () => runAll(nat, Float32Array, p, x, g, gamma, beta, stats));
        for (let i = 0; i < one.length; i++) same(many[i]!, one[i]!, `(${outer}, ${channels}, ${inner}) 1 vs ${t} threads, output ${i}`);
      }
    }
  });

  test('the addon refuses operands that do not match the dims, and outputs that alias them', () => {
    const f = (n: number) => new Float32Array(n);
    const dims = new Int32Array([2, 3, 4]);
    assert.equal(addon!.batchNorm(0, f(3), f(24), null, null, null, null, null, null, dims, 1e-5), true);
    assert.throws(() => addon!.batchNorm(0, f(4), f(24), null, null, null, null, null, null, dims, 1e-5), /do not match/);
    assert.throws(() => addon!.batchNorm(1, f(3), f(24), null, null, null, null, null, null, dims, 1e-5), /missing operand/);
    assert.throws(() => addon!.batchNorm(0, f(3), f(24), f(24), null, null, null, null, null, dims, 1e-5), /unexpected operand/);
    assert.throws(() => addon!.batchNorm(7, f(3), f(24), null, null, null, null, null, null, dims, 1e-5), /unknown kind/);
    const x = f(24);
    assert.throws(() => addon!.batchNorm(2, x, x, null, f(3), f(3), null, null, null, dims, 1e-5), /shares memory/);
    assert.equal(addon!.batchNorm(0, new Int32Array(3), new Int32Array(24), null, null, null, null, null, null, dims, 1e-5), false);
  });
});
