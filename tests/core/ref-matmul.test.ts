/**
 * The reference GEMM kernel called directly: every transpose variant, sizes around its 4x4 tiles
 * and its k/n blocks, batch strides of 0 (broadcast operands), accumulation into the output, and
 * IEEE values, against a textbook triple loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matmul } from '../../src/backend/ref/matmul.js';
import { prng } from '../ops/op-table-ref.js';

function naive(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number, ta: boolean, tb: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out.push(s);
    }
  }
  return out;
}

const randArr = (n: number, seed: number) => {
  const r = prng(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
};

test('every transpose variant matches the triple loop around tile and block edges', () => {
  const sizes: [number, number, number][] = [[1, 1, 1], [3, 5, 2], [4, 4, 4], [5, 7, 9], [17, 13, 31], [9, 270, 3], [6, 5, 300], [2, 3, 520]];
  let seed = 1;
  for (const [m, n, k] of sizes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = randArr(m * k, seed++);
        const b = randArr(k * n, seed++);
        const out = new Float64Array(m * n).fill(99);
        matmul(out, a, b, { batch: 1, m, n, k, transA: ta, transB: tb, aBatchStride: 0, bBatchStride: 0 });
        const ref = naive(a, b, m, n, k, ta, tb);
        for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(out[i]! - ref[i]!) < 1e-12, `(${m},${n},${k}) ${ta}/${tb} element ${i}: ${out[i]} vs ${ref[i]}`);
      }
    }
  }
});

test('batch strides of 0 broadcast an operand; accumulate adds into the output', () => {
  const m = 5, n = 6, k = 7, batch = 3;
  const a = randArr(m * k, 11);
  const b = randArr(batch * k * n, 12);
  const out = new Float64Array(batch * m * n).fill(1);
  matmul(out, a, b, { batch, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: k * n, accumulate: true });
  for (let t = 0; t < batch; t++) {
    const ref = naive(a, b.subarray(t * k * n), m, n, k, false, false);
    for (let i = 0; i < m * n; i++) assert.ok(Math.abs(out[t * m * n + i]! - (ref[i]! + 1)) < 1e-12);
  }
});

test('k = 0 writes zeros; float32 output rounds a double-precision sum once', () => {
  const out = new Float32Array(4).fill(5);
  matmul(out, new Float32Array(0), new Float32Array(0), { batch: 1, m: 2, n: 2, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
  assert.deepEqual(Array.from(out), [0, 0, 0, 0]);
  const k = 3000;
  const a = new Float32Array(8 * k).fill(0.1);
  const b = new Float32Array(k * 8).fill(1);
  const o = new Float32Array(64);
  matmul(o, a, b, { batch: 1, m: 8, n: 8, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
  assert.equal(o[0], Math.fround(Math.fround(0.1) * k));
});

test('padding in edge tiles never turns an infinity into NaN', () => {
  // 5x5 with an infinity in the last row of A and the last column of B: the padded tile rows
  // and columns multiply it by zero, which must not reach the real outputs.
  const m = 5, n = 5, k = 5;
  const a = new Float64Array(m * k).fill(1);
  const b = new Float64Array(k * n).fill(1);
  a[4 * k + 2] = Infinity;
  b[2 * n + 4] = Infinity;
  const out = new Float64Array(m * n);
  matmul(out, a, b, { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) assert.equal(out[i * n + j], i === 4 || j === 4 ? Infinity : 5, `(${i}, ${j})`);
  }
});
