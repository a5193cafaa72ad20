/**
 * Property tests for NumPy broadcasting: for random compatible shape pairs, every binary op
 * agrees with an index-based reference, the result shape is the broadcast shape, commutative ops
 * commute, and the gradient of a broadcast operand sums back to its own shape; incompatible
 * pairs raise a ShapeError naming both shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nd, autograd, ShapeError } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { broadcastRef, broadcastShapeRef, rand, reduceRef } from './op-table-ref.js';

/** A target shape, and two shapes that broadcast to it (dims dropped from the front or set to 1). */
const compatiblePair = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((target) =>
    fc.tuple(
      fc.constant(target),
      fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }),
      fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }),
      fc.integer({ min: 0, max: target.length }),
      fc.integer({ min: 0, max: target.length }),
      fc.integer({ min: 1, max: 1e6 }),
    ),
  )
  .map(([target, onesA, onesB, dropA, dropB, seed]) => ({
    a: target.map((d, i) => (onesA[i] ? 1 : d)).slice(dropA),
    b: target.map((d, i) => (onesB[i] ? 1 : d)).slice(dropB),
    seed,
  }));

const OPS = [
  { name: 'add', fn: nd.add, ref: (x: number, y: number) => x + y, commutes: true },
  { name: 'mul', fn: nd.mul, ref: (x: number, y: number) => x * y, commutes: true },
  { name: 'sub', fn: nd.sub, ref: (x: number, y: number) => x - y, commutes: false },
  { name: 'maximum', fn: nd.maximum, ref: Math.max, commutes: true },
  { name: 'greater', fn: nd.greater, ref: (x: number, y: number) => (x > y ? 1 : 0), commutes: false },
] as const;

test('broadcast binary ops agree with an index-based reference and have the broadcast shape', () => {
  fc.assert(
    fc.property(compatiblePair, fc.constantFrom(...OPS), ({ a, b, seed }, op) => {
      const x = rand(a, seed);
      const y = rand(b, seed + 1);
      const out = op.fn(x, y);
      assert.deepEqual(out.shape, broadcastShapeRef(a, b));
      assertClose(out, broadcastRef(x, y, op.ref), { rtol: 0, atol: 0 });
      if (op.commutes) assert.deepEqual(Array.from(op.fn(y, x).storage), Array.from(out.storage));
    }),
    { numRuns: 150 },
  );
});

test('the gradient of a broadcast operand is the output gradient summed back to its shape', () => {
  fc.assert(
    fc.property(compatiblePair, ({ a, b, seed }) => {
      const x = rand(a, seed);
      const y = rand(b, seed + 1);
      x.attachGrad();
      y.attachGrad();
      const shape = broadcastShapeRef(a, b)!;
      const w = rand(shape, seed + 2);
      autograd.record(() => nd.mul(x, y).mul(w).sum()).backward();
      // d/dx sum(w * x * y) = sum over the broadcast axes of w * y.
      const wy = nd.array(broadcastRef(w, y, (p, q) => p * q) as number[], { dtype: 'float64' }).reshape(shape);
      const lead = shape.length - a.length;
      const axes = shape.map((_, i) => i).filter((i) => i < lead || (a[i - lead] === 1 && shape[i] !== 1));
      const expected = nd.array(reduceRef(wy, axes, false, (s, v) => s + v, 0) as number[], { dtype: 'float64' }).reshape(a);
      assert.deepEqual(x.grad!.shape, a);
      assertClose(x.grad!, expected, { rtol: 1e-12, atol: 1e-12 });
    }),
    { numRuns: 60 },
  );
});

test('incompatible shapes raise a ShapeError naming both shapes', () => {
  const incompatible = fc
    .tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 }))
    .filter(([s, i]) => i < s.length && s[i]! > 1)
    .map(([s, i, extra]) => {
      const other = [...s];
      other[i] = s[i]! + extra;
      return [s, other] as const;
    });
  fc.assert(
    fc.property(incompatible, ([s, t]) => {
      assert.equal(broadcastShapeRef(s, t), null);
      const fmt = (sh: readonly number[]) => (sh.length === 1 ? `(${sh[0]},)` : `(${sh.join(', ')})`);
      assert.throws(() => nd.add(nd.zeros(s), nd.zeros(t)), (e: unknown) => e instanceof ShapeError && e.message.includes(fmt(s)) && e.message.includes(fmt(t)) && e.message.startsWith('add'));
    }),
    { numRuns: 50 },
  );
});
