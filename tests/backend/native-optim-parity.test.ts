/**
 * The native fused optimizer updates (sgdUpdate, adamUpdate, rmspropUpdate, adagradUpdate)
 * against the reference kernels, bit for bit: every variant of each rule (momentum, Nesterov,
 * weight decay, clipping, AdamW, centered RMSProp, weight clipping), awkward sizes and one large
 * enough to run on the pool, NaN/Inf/-0 in the gradient, three chained steps, every instruction
 * set, 1 and 2 threads. Also the fallbacks (arrays sharing memory, mixed dtypes) and the checks
 * that make a bad call throw instead of touching memory.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import type { AdagradUpdateParams, AdamUpdateParams, RmspropUpdateParams, SgdUpdateParams } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, forEachIsa, nat, rand, same, skip, withSpecials, withThreads, type Ctor } from './parity-helpers.js';

const SIZES = [1, 3, 17, 255, 1025];
/** Well above the pool's threshold (2 x 2^16 elements), so two threads split it. */
const BIG = 600_001;
const BASE = { lr: 0.05, wd: 0, rescale: 1 / 8, clip: Infinity };

type Rule = {
  name: string;
  states: number;
  run: (k: typeof refKernels, w: TypedArray, g: TypedArray, s: TypedArray[]) => void;
};

const sgd = (p: Partial<SgdUpdateParams>, withMom: boolean): Rule => ({
  name: `sgd ${JSON.stringify(p)}`,
  states: withMom ? 1 : 0,
  run: (k, w, g, s) => k.sgdUpdate(w, g, withMom ? s[0]! : null, { ...BASE, momentum: 0, nesterov: false, ...p }),
});
const adam = (p: Partial<AdamUpdateParams>): Rule => ({
  name: `adam ${JSON.stringify(p)}`,
  states: 2,
  run: (k, w, g, s) => k.adamUpdate(w, g, s[0]!, s[1]!, { ...BASE, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, decoupled: false, decay: 0, ...p }),
});
const rmsprop = (p: Partial<RmspropUpdateParams>): Rule => ({
  name: `rmsprop ${JSON.stringify(p)}`,
  states: p.centered ? 3 : 1,
  run: (k, w, g, s) =>
    k.rmspropUpdate(w, g, s[0]!, p.centered ? s[1]! : null, p.centered ? s[2]! : null, {
      ...BASE, gamma1: 0.9, gamma2: 0.9, epsilon: 1e-8, clipWeights: Infinity, centered: false, ...p,
    }),
});
const adagrad = (p: Partial<AdagradUpdateParams>): Rule => ({
  name: `adagrad ${JSON.stringify(p)}`,
  states: 1,
  run: (k, w, g, s) => k.adagradUpdate(w, g, s[0]!, { ...BASE, epsilon: 1e-7, ...p }),
});

const RULES: Rule[] = [
  sgd({}, false),
  sgd({ wd: 0.01, clip: 0.1 }, false),
  sgd({ momentum: 0.9, wd: 1e-4 }, true),
  sgd({ momentum: 0.9, nesterov: true, clip: 0.2 }, true),
  adam({}),
  adam({ wd: 0.01, clip: 0.15, rescale: 1 }),
  adam({ decoupled: true, decay: 0.05 * 0.01 }),
  rmsprop({ wd: 1e-3 }),
  rmsprop({ centered: true, clip: 0.1, clipWeights: 0.9 }),
  adagrad({ wd: 0.01 }),
  adagrad({ clip: 0.05 }),
];

/** Weight, gradient (with special values) and non-negative states where the rule needs them. */
function inputs(C: Ctor, n: number, states: number): { w: TypedArray; g: TypedArray; s: TypedArray[] } {
  return {
    w: rand(C, n, -1, 1),
    g: withSpecials(rand(C, n, -3, 3)),
    s: Array.from({ length: states }, (_, i) => rand(C, n, i === 0 ? 0 : -0.5, 0.5)),
  };
}

/** Three chained updates on native and on ref from the same start; every array must match exactly. */
function check(rule: Rule, C: Ctor, n: number, what: string): void {
  const { w, g, s } = inputs(C, n, rule.states);
  const nw = w.slice();
  const ns = s.map((a) => a.slice());
  const rw = w.slice();
  const rs = s.map((a) => a.slice());
  for (let step = 0; step < 3; step++) {
    rule.run(nat, nw, g, ns);
    rule.run(refKernels, rw, g, rs);
  }
  same(nw, rw, `${what} weight`);
  ns.forEach((a, i) => same(a, rs[i]!, `${what} state ${i}`));
}

describe('native fused optimizer updates match ref bit for bit', { skip }, () => {
  after(() => addon?.setIsa(addon.isa()));

  test('every rule and variant, awkward sizes, special values, every ISA', () => {
    forEachIsa((isa) => {
      for (const [dt, C] of FLOATS) {
        for (const rule of RULES) for (const n of SIZES) check(rule, C, n, `${isa} ${dt} ${rule.name} n=${n}`);
      }
    });
  });

  test('large arrays split across 2 threads give the same bits as ref', () => {
    withThreads(2, () => {
      for (const [dt, C] of FLOATS) for (const rule of [RULES[2]!, RULES[6]!, RULES[8]!, RULES[9]!]) check(rule, C, BIG, `2 threads ${dt} ${rule.name}`);
    });
  });

  test('the kernels really update: plain SGD by hand', () => {
    const w = new Float32Array([1, -2, 0.5]);
    nat.sgdUpdate(w, new Float32Array([8, 8, -80]), null, { lr: 0.1, wd: 0, rescale: 1 / 8, clip: 5, momentum: 0, nesterov: false });
    same(w, new Float32Array([0.9, -2.1, 1]), 'sgd by hand');
  });

  test('with wd 0 the decay term is skipped (as in PyTorch): an infinite weight stays infinite', () => {
    for (const k of [nat, refKernels]) {
      for (const [clip, momentum] of [[Infinity, 0], [1, 0], [Infinity, 0.9]] as const) {
        const w = new Float32Array([Infinity, -Infinity, 1]);
        k.sgdUpdate(w, new Float32Array([1, 1, 1]), momentum > 0 ? new Float32Array(3) : null, { lr: 0.5, wd: 0, rescale: 1, clip, momentum, nesterov: false });
        same(w, new Float32Array([Infinity, -Infinity, 0.5]), `wd 0 clip ${clip} momentum ${momentum}`);
      }
    }
  });

  test('arrays sharing memory and mixed dtypes fall back to ref semantics', () => {
    const w = new Float32Array([1, 2, 3, 4]);
    const want = w.slice();
    const p: SgdUpdateParams = { ...BASE, momentum: 0, nesterov: false };
    refKernels.sgdUpdate(want, want, null, p);
    nat.sgdUpdate(w, w, null, p);
    same(w, want, 'weight as its own gradient');
    assert.equal(addon!.optimizer(0, w, w, null, null, null, new Float64Array(9)), false);
    const w64 = new Float64Array([1, 2]);
    const g32 = new Float32Array([0.5, -0.25]);
    const ref64 = w64.slice();
    refKernels.sgdUpdate(ref64, g32, null, p);
    nat.sgdUpdate(w64, g32, null, p);
    same(w64, ref64, 'float64 weight, float32 gradient');
  });

  test('bad calls throw instead of touching memory', () => {
    const H = new Float64Array(9);
    const a = new Float32Array(4);
    assert.throws(() => addon!.optimizer(0, a, new Float32Array(3), null, null, null, H), /differ in length/);
    assert.throws(() => addon!.optimizer(1, a, new Float32Array(4), new Float32Array(4), null, null, H), /required state/);
    assert.throws(() => addon!.optimizer(9, a, a, null, null, null, H), /unknown kind/);
    assert.throws(() => addon!.optimizer(3, a, new Float32Array(4), new Float32Array(4), null, null, new Float64Array(2)), /Float64Array/);
    assert.throws(() => addon!.optimizer(3, a, new Float32Array(4), new Float32Array(4), new Float32Array(4), null, H), /too many state/);
    H[8] = 1;
    assert.throws(() => addon!.optimizer(2, a, new Float32Array(4), new Float32Array(4), null, null, H), /centered/);
    assert.throws(
      () => nat.rmspropUpdate(a, new Float32Array(4), new Float32Array(4), null, null, { ...BASE, gamma1: 0.9, gamma2: 0.9, epsilon: 1e-8, clipWeights: Infinity, centered: true }),
      /centered variant needs/,
    );
  });
});
