/**
 * `allocateUninitialized` (src/core/uninit.ts): the right dtype and length at every size, its own
 * ArrayBuffer for large arrays (never a slab shared with another array, which would make
 * `applyInto`'s aliasing check see false overlaps), and zeros for small ones. Also that a
 * primitive whose kernel overwrites its output (`outputInit: 'none'`) gives exact results in
 * recycled memory.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateUninitialized } from '../../src/core/uninit.js';
import { nd } from '../../src/index.js';

test('allocateUninitialized: dtype, length, own buffer', () => {
  const kinds = [['float32', Float32Array], ['float64', Float64Array], ['int32', Int32Array], ['uint8', Uint8Array]] as const;
  for (const [dtype, C] of kinds) {
    for (const n of [0, 1, 100, 1 << 14, 100_003]) {
      const a = allocateUninitialized(dtype, n);
      assert.ok(a instanceof C, `${dtype} ${n}`);
      assert.equal(a.length, n);
      if (n >= 1 << 14) assert.equal(a.buffer.byteLength, n * C.BYTES_PER_ELEMENT, `${dtype} ${n}: a buffer of its own`);
      else assert.ok(a.every((v) => v === 0), `${dtype} ${n}: small arrays are zeroed`);
      const b = allocateUninitialized(dtype, n);
      if (n > 0) assert.notEqual(a.buffer, b.buffer);
    }
  }
});

test('outputs computed into unzeroed memory are exact', () => {
  // Garbage left behind in freed memory must never show through: fill, drop, and recompute.
  for (let round = 0; round < 5; round++) {
    nd.full([300, 300], 7).storage.fill(NaN);
    const x = nd.arange(0, 90_000).reshape([300, 300]).astype('float64');
    const y = nd.dot(x, nd.ones([300, 1], { dtype: 'float64' }));
    assert.equal(y.storage[0], (299 * 300) / 2);
    assert.equal(y.storage[299], 299 * 300 * 300 + (299 * 300) / 2);
    const s = nd.slice(x, [0, 0], [300, 150]);
    assert.equal(s.storage[150], 300);
  }
});
