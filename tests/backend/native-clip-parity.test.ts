/**
 * The fused gradient-clipping kernel `clipGlobalNorm` (src/backend/ref/clip.ts, native/src/clip.cc):
 * hand-computed norms and scaling on both backends, native against ref on many arrays of mixed
 * dtypes and awkward sizes (the norms agree to rounding: the native sum uses partial sums), the
 * untouched cases (norm below the bound, NaN or Inf in a gradient), and the addon's argument checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedArray } from '../../src/core/dtype.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { FLOATS, addon, close, nat, rand, same, skip } from './parity-helpers.js';

const copies = (arrays: TypedArray[]) => arrays.map((a) => a.slice());

for (const [name, k] of [['ref', refKernels], ['native', nat]] as const) {
  test(`${name} clipGlobalNorm: hand-computed norm and scaling`, { skip: name === 'native' && skip }, () => {
    const a = new Float32Array([3, 0]);
    const b = new Float64Array([-4]);
    assert.equal(k.clipGlobalNorm([a, b], 1), 5);
    const s = 1 / (5 + 1e-8);
    assert.deepEqual([...a], [Math.fround(3 * s), 0]);
    assert.deepEqual([...b], [-4 * s]);
    // Below the bound: returned, nothing scaled.
    const c = new Float32Array([0.3, 0.4]);
    assert.ok(Math.abs(k.clipGlobalNorm([c], 1) - 0.5) < 1e-7);
    assert.deepEqual([...c], [Math.fround(0.3), Math.fround(0.4)]);
  });
}

describe('native clipGlobalNorm matches ref', { skip }, () => {
  test('many arrays, mixed dtypes, awkward sizes, clipped and not', () => {
    const sizes = [0, 1, 7, 8, 9, 1025, 262_147];
    const arrays = sizes.map((n, i) => rand(FLOATS[i % 2]![1], n, -0.05, 0.05));
    for (const maxNorm of [0.01, 1e6]) {
      const r = copies(arrays);
      const m = copies(arrays);
      const nr = refKernels.clipGlobalNorm(r, maxNorm);
      const nm = nat.clipGlobalNorm(m, maxNorm);
      assert.ok(nr > 1, `the test arrays have a norm above 1, got ${nr}`);
      assert.ok(Math.abs(nm - nr) <= 1e-12 * nr, `norm: native ${nm}, ref ${nr}`);
      r.forEach((x, i) => {
        if (maxNorm > nr) same(m[i]!, arrays[i]!, `unclipped array ${i}`);
        else close(m[i]!, x, x instanceof Float32Array ? 2e-7 : 1e-12, 0, `clipped array ${i}`);
      });
      if (maxNorm < nr) assert.ok(Math.abs(refKernels.clipGlobalNorm(copies(r), 1e9) - maxNorm) < 1e-6 * maxNorm);
    }
  });

  test('NaN or Inf in a gradient: the norm says so and nothing is scaled', () => {
    for (const bad of [NaN, Infinity]) {
      const arrays = [rand(Float32Array, 100), rand(Float64Array, 10)];
      arrays[1]![3] = bad;
      const m = copies(arrays);
      const norm = nat.clipGlobalNorm(m, 1);
      assert.ok(Object.is(norm, bad) || (Number.isNaN(bad) && Number.isNaN(norm)), `norm ${norm} for ${bad}`);
      m.forEach((x, i) => same(x, arrays[i]!, `array ${i}`));
    }
  });

  test('bad calls throw instead of touching memory; integer arrays are left to ref', () => {
    const call = addon!.clipGlobalNorm as unknown as (...a: unknown[]) => unknown;
    assert.throws(() => call(new Float32Array(2), 1), /clipGlobalNorm/);
    // The wasm shim refuses the object while staging the list (as argument 3), before the kernel sees it.
    assert.throws(() => call([new Float32Array(2), {}], 1), /element 1|argument 3/);
    assert.throws(() => call([new Float32Array(2)]), /clipGlobalNorm/);
    assert.equal(call([new Int32Array(2)], 1), false);
  });
});
