/**
 * Property tests for data movement: concat and split are inverses, slice (and setSlice) agree
 * with an index-by-index reference of Python's slice rules, and tile/repeat produce the shapes and
 * values NumPy defines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nd } from '../../src/index.js';

type Nested = number | Nested[];

const RUNS = { numRuns: 150 };

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 });

/** Distinct values 0, 1, 2, ... so that any misplaced element is caught. */
function seq(shape: readonly number[], start = 0): nd.NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return nd.arange(start, start + n).reshape([...shape]);
}

/** Reads element `idx` of nested values. */
function at(v: Nested, idx: readonly number[]): number {
  let cur = v;
  for (const i of idx) cur = (cur as Nested[])[i]!;
  return cur as number;
}

/** Builds nested values of `shape` from a function of the index. */
function build(shape: readonly number[], f: (idx: number[]) => number, prefix: number[] = []): Nested {
  if (prefix.length === shape.length) return f(prefix);
  return Array.from({ length: shape[prefix.length]! }, (_, i) => build(shape, f, [...prefix, i]));
}

/**
 * The indices `range(n)[begin:end:step]` selects, by filtering every index against Python's
 * rules (a different algorithm from the op's arithmetic).
 */
function pySliceIndices(n: number, begin: number | null, end: number | null, step: number): number[] {
  const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const all = Array.from({ length: n }, (_, i) => i);
  if (step > 0) {
    const lo = begin === null ? 0 : norm(begin, 0, n);
    const hi = end === null ? n : norm(end, 0, n);
    return all.filter((i) => i >= lo && i < hi && (i - lo) % step === 0);
  }
  const lo = begin === null ? n - 1 : norm(begin, -1, n - 1);
  const hi = end === null ? -1 : norm(end, -1, n - 1);
  return all.filter((i) => i <= lo && i > hi && (lo - i) % -step === 0).reverse();
}

const sliceSpecArb = shapeArb.chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.tuple(
      ...shape.map((d) =>
        fc.record({
          begin: fc.option(fc.integer({ min: -d - 2, max: d + 2 }), { nil: null }),
          end: fc.option(fc.integer({ min: -d - 2, max: d + 2 }), { nil: null }),
          step: fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
        }),
      ),
    ),
  ),
);

test('concat then split at the same boundaries gives the parts back', () => {
  fc.assert(
    fc.property(shapeArb, fc.nat(), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), (shape, axisSeed, lens) => {
      const axis = axisSeed % shape.length;
      let start = 0;
      const parts = lens.map((len) => {
        const s = [...shape];
        s[axis] = len;
        const p = seq(s, start);
        start += p.size;
        return p;
      });
      const joined = nd.concat(parts, { axis: axis - shape.length });
      const bounds = lens.slice(0, -1).map((_, i) => lens.slice(0, i + 1).reduce((a, b) => a + b, 0));
      const back = nd.split(joined, bounds, { axis });
      assert.equal(back.length, parts.length);
      back.forEach((b, i) => {
        assert.deepEqual(b.shape, parts[i]!.shape);
        assert.deepEqual(Array.from(b.storage), Array.from(parts[i]!.storage));
      });
    }),
    RUNS,
  );
});

test('split into equal sections then concat is the identity', () => {
  fc.assert(
    fc.property(shapeArb, fc.nat(), fc.integer({ min: 1, max: 3 }), (shape, axisSeed, k) => {
      const axis = axisSeed % shape.length;
      const s = [...shape];
      s[axis] = s[axis]! * k;
      const x = seq(s);
      const parts = nd.split(x, k, { axis });
      assert.equal(parts.length, k);
      for (const p of parts) assert.equal(p.shape[axis], shape[axis]);
      assert.deepEqual(nd.concat(parts, { axis }).toArray(), x.toArray());
    }),
    RUNS,
  );
});

test('slice agrees with an index-by-index reference of Python slicing', () => {
  fc.assert(
    fc.property(sliceSpecArb, ([shape, specs]) => {
      const x = seq(shape);
      const out = nd.slice(x, specs.map((s) => s.begin), specs.map((s) => s.end), specs.map((s) => s.step));
      const picks = specs.map((s, i) => pySliceIndices(shape[i]!, s.begin, s.end, s.step));
      assert.deepEqual(out.shape, picks.map((p) => p.length));
      const xs = x.toArray();
      const expected = build(out.shape, (idx) => at(xs, idx.map((j, d) => picks[d]![j]!)));
      assert.deepEqual(out.toArray(), expected);
    }),
    RUNS,
  );
});

test('setSlice writes exactly the region that slice reads', () => {
  fc.assert(
    fc.property(sliceSpecArb, ([shape, specs]) => {
      const begin = specs.map((s) => s.begin);
      const end = specs.map((s) => s.end);
      const step = specs.map((s) => s.step);
      const x = nd.zeros(shape).sub(1);
      const region = nd.slice(x, begin, end, step).shape;
      const value = seq(region);
      x.setSlice(begin, end, value, step);
      assert.deepEqual(nd.slice(x, begin, end, step).toArray(), value.toArray());
      const untouched = Array.from(x.storage).filter((v) => v === -1).length;
      assert.equal(untouched, x.size - value.size);
    }),
    RUNS,
  );
});

test('tile: shape is the padded product and out[i] = x[i mod shape]', () => {
  fc.assert(
    fc.property(shapeArb, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 4 }), (shape, reps) => {
      const x = seq(shape);
      const out = nd.tile(x, reps);
      const m = Math.max(shape.length, reps.length);
      const s = [...Array<number>(m - shape.length).fill(1), ...shape];
      const r = [...Array<number>(m - reps.length).fill(1), ...reps];
      assert.deepEqual(out.shape, s.map((d, i) => d * r[i]!));
      const xs = x.reshape(s).toArray();
      assert.deepEqual(out.toArray(), build(out.shape, (idx) => at(xs, idx.map((j, d) => j % s[d]!))));
    }),
    RUNS,
  );
});

test('repeat: each element appears r times in a row along the axis', () => {
  fc.assert(
    fc.property(shapeArb, fc.nat(), fc.integer({ min: 0, max: 3 }), (shape, axisSeed, r) => {
      const axis = axisSeed % shape.length;
      const x = seq(shape);
      const out = nd.repeat(x, r, { axis });
      const expectShape = [...shape];
      expectShape[axis] = shape[axis]! * r;
      assert.deepEqual(out.shape, expectShape);
      const xs = x.toArray();
      assert.deepEqual(out.toArray(), build(out.shape, (idx) => at(xs, idx.map((j, d) => (d === axis ? Math.floor(j / r) : j)))));
      assert.equal(nd.repeat(x, r).size, x.size * r);
    }),
    RUNS,
  );
});
