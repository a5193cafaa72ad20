/**
 * Property tests for shape ops: reshape (with -1) keeps the row-major order of values and
 * round-trips; a transpose followed by its inverse permutation is the identity and matches an
 * index-based reference; swapAxes is an involution; expandDims/squeeze and flatten round-trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rand, ravel, unravel, values } from './op-table-ref.js';

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 5 });

/** A shape and a random factorization of its size into another shape. */
const reshapePair = fc
  .tuple(shapeArb, fc.integer({ min: 1, max: 1e6 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }))
  .map(([shape, seed, cuts]) => {
    const size = shape.reduce((p, d) => p * d, 1);
    // Split `size` by its divisors picked from `cuts`, then put the rest last.
    const target: number[] = [];
    let rest = size;
    for (const c of cuts) {
      const divisors = Array.from({ length: rest }, (_, i) => i + 1).filter((d) => rest % d === 0);
      const d = size === 0 ? 0 : divisors[c % divisors.length]!;
      target.push(d);
      if (d !== 0) rest /= d;
    }
    target.push(size === 0 ? 0 : rest);
    return { shape, target, seed };
  });

test('reshape keeps row-major values and round-trips', () => {
  fc.assert(
    fc.property(reshapePair, ({ shape, target, seed }) => {
      const x = rand(shape, seed);
      const y = x.reshape(target);
      assert.deepEqual(y.shape, target);
      assert.deepEqual(values(y), values(x));
      assert.deepEqual(values(y.reshape(shape)), values(x));
      assert.deepEqual(y.reshape(shape).shape, shape);
    }),
    { numRuns: 200 },
  );
});

test('reshape with -1 infers the missing dimension', () => {
  fc.assert(
    fc.property(reshapePair, fc.nat(), ({ shape, target, seed }, pick) => {
      if (target.includes(0)) return;
      const i = pick % target.length;
      const withHole = target.map((d, k) => (k === i ? -1 : d));
      const x = rand(shape, seed);
      assert.deepEqual(x.reshape(withHole).shape, target);
    }),
    { numRuns: 100 },
  );
});

const permArb = shapeArb.chain((shape) =>
  fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }), fc.integer({ min: 1, max: 1e6 })),
);

test('transpose matches an index-based reference and its inverse restores the input', () => {
  fc.assert(
    fc.property(permArb, ([shape, perm, seed]) => {
      const x = rand(shape, seed);
      const y = x.transpose(perm);
      const outShape = perm.map((a) => shape[a]!);
      assert.deepEqual(y.shape, outShape);
      const v = values(x);
      const got = values(y);
      for (let i = 0; i < y.size; i++) {
        const idx = unravel(i, outShape);
        const src = new Array<number>(shape.length);
        perm.forEach((a, k) => (src[a] = idx[k]!));
        assert.equal(got[i], v[ravel(src, shape)]);
      }
      const inverse = new Array<number>(perm.length);
      perm.forEach((a, k) => (inverse[a] = k));
      const back = y.transpose(inverse);
      assert.deepEqual(back.shape, shape);
      assert.deepEqual(values(back), v);
    }),
    { numRuns: 150 },
  );
});

test('swapAxes is an involution; expandDims then squeeze and flatten then reshape round-trip', () => {
  const arb = shapeArb
    .filter((s) => s.length > 0)
    .chain((shape) => fc.tuple(fc.constant(shape), fc.nat(shape.length - 1), fc.nat(shape.length - 1), fc.nat(shape.length), fc.integer({ min: 1, max: 1e6 })));
  fc.assert(
    fc.property(arb, ([shape, i, j, at, seed]) => {
      const x = rand(shape, seed);
      assert.deepEqual(values(x.swapAxes(i, j).swapAxes(i, j)), values(x));
      const e = x.expandDims(at);
      assert.equal(e.shape[at], 1);
      assert.deepEqual(e.squeeze(at).shape, shape);
      const f = x.flatten();
      assert.deepEqual(f.shape, [shape[0]!, shape.slice(1).reduce((p, d) => p * d, 1)]);
      assert.deepEqual(values(f.reshape(shape)), values(x));
    }),
    { numRuns: 150 },
  );
});
