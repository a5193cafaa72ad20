/**
 * Property tests for reductions: for random shapes (empty axes included), random axis subsets
 * (negative, unordered) and keepdims, sum/mean/prod/max/min/argmax agree with a naive float64
 * multi-index reference, and the result shape is the reduced shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nd } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { rand, reduceRef, unravel, values } from './op-table-ref.js';

const shapeAxes = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.option(fc.subarray(shape.map((_, i) => i)), { nil: null }),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.boolean(),
      fc.integer({ min: 1, max: 1e6 }),
    ),
  )
  .map(([shape, axes, negate, keepdims, seed]) => ({
    shape,
    // Some axes written as negative numbers, and in reverse order: both must be accepted.
    axes: axes === null ? null : axes.map((a) => (negate[a] ? a - shape.length : a)).reverse(),
    keepdims,
    seed,
  }));

const FAMILIES = [
  { name: 'sum', f: (a: number, v: number) => a + v, init: 0, finish: (a: number) => a },
  { name: 'mean', f: (a: number, v: number) => a + v, init: 0, finish: (a: number, n: number) => a / n },
  { name: 'prod', f: (a: number, v: number) => a * v, init: 1, finish: (a: number) => a },
  { name: 'max', f: Math.max, init: -Infinity, finish: (a: number) => a },
  { name: 'min', f: Math.min, init: Infinity, finish: (a: number) => a },
] as const;

function expectedShape(shape: readonly number[], axes: readonly number[] | null, keepdims: boolean): number[] {
  const ax = (axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
  return keepdims ? shape.map((d, i) => (ax.includes(i) ? 1 : d)) : shape.filter((_, i) => !ax.includes(i));
}

test('reductions agree with a naive float64 reference over random axes and keepdims', () => {
  fc.assert(
    fc.property(shapeAxes, fc.constantFrom(...FAMILIES), ({ shape, axes, keepdims, seed }, fam) => {
      const x = rand(shape, seed, 0.5, 1.5);
      const ax = (axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
      const emptyReduce = ax.some((a) => shape[a] === 0);
      if ((fam.name === 'max' || fam.name === 'min') && emptyReduce) {
        assert.throws(() => nd[fam.name](x, axes, { keepdims }), /zero-size/);
        return;
      }
      const out = nd[fam.name](x, axes, { keepdims });
      assert.deepEqual(out.shape, expectedShape(shape, axes, keepdims));
      assertClose(out, reduceRef(x, axes, keepdims, fam.f, fam.init, fam.finish), { rtol: 1e-12, atol: 1e-12 });
    }),
    { numRuns: 200 },
  );
});

test('float32 sums match the float64 reference to float32 precision', () => {
  fc.assert(
    fc.property(shapeAxes, ({ shape, axes, keepdims, seed }) => {
      const x64 = rand(shape, seed, -1, 1);
      const out = nd.sum(x64.astype('float32'), axes, { keepdims });
      assert.equal(out.dtype, 'float32');
      const ref = reduceRef(x64.astype('float32').astype('float64'), axes, keepdims, (a, v) => a + v, 0);
      assertClose(out, ref, { rtol: 1e-6, atol: 1e-6 });
    }),
    { numRuns: 100 },
  );
});

test('argmax/argmin return the first index of the extreme along a random axis', () => {
  const arb = fc
    .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
    .chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.integer({ min: 1, max: 1e6 })));
  fc.assert(
    fc.property(arb, fc.boolean(), ([shape, axis, seed], isMax) => {
      // Few distinct values, so ties are common and the first index must win.
      const x = rand(shape, seed, 0, 3).floor();
      const out = isMax ? nd.argmax(x, axis) : nd.argmin(x, axis);
      const a = axis < 0 ? axis + shape.length : axis;
      const outShape = shape.filter((_, i) => i !== a);
      const v = values(x);
      const best = new Map<string, [number, number]>();
      for (let i = 0; i < x.size; i++) {
        const idx = unravel(i, shape);
        const key = idx.filter((_, k) => k !== a).join(',');
        const cur = best.get(key);
        if (cur === undefined || (isMax ? v[i]! > cur[0] : v[i]! < cur[0])) best.set(key, [v[i]!, idx[a]!]);
      }
      assert.deepEqual(out.shape, outShape);
      const got = values(out);
      let o = 0;
      for (let i = 0; i < x.size; i++) {
        const idx = unravel(i, shape);
        if (idx[a] !== 0) continue;
        assert.equal(got[o++], best.get(idx.filter((_, k) => k !== a).join(','))![1]);
      }
    }),
    { numRuns: 100 },
  );
});
