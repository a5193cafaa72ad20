/**
 * Test helpers: closeness assertions on NDArrays and nested arrays, and a float64 view of values.
 */
import assert from 'node:assert/strict';
import { nd } from '../src/index.js';

type Nested = number | Nested[];

export function flat(x: nd.NDArray | Nested): number[] {
  if (x instanceof nd.NDArray) return Array.from(x.storage);
  if (typeof x === 'number') return [x];
  return (x as Nested[]).flat(Infinity as 1) as number[];
}

/** Asserts equal shapes (when `expected` is an NDArray) and element-wise closeness. */
export function assertClose(actual: nd.NDArray, expected: nd.NDArray | Nested, options: { rtol?: number; atol?: number; msg?: string } = {}): void {
  const { rtol = 1e-5, atol = 1e-6, msg = '' } = options;
  if (expected instanceof nd.NDArray) assert.deepEqual(actual.shape, expected.shape, `${msg} shape`);
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${msg} size: got ${a.length}, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y)) {
      assert.ok(Number.isNaN(x), `${msg} element ${i}: expected NaN, got ${x}`);
      continue;
    }
    if (!Number.isFinite(y)) {
      assert.equal(x, y, `${msg} element ${i}`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${msg} element ${i}: got ${x}, expected ${y}`);
  }
}
