import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { nd, ShapeOnlyError, ValueError } from '../../src/index.js';
import { assertClose } from '../helpers.js';

test('array infers shape and defaults to float32', () => {
  const x = nd.array([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(x.shape, [2, 3]);
  assert.equal(x.dtype, 'float32');
  assert.equal(x.size, 6);
  assert.equal(x.ndim, 2);
  assert.deepEqual(x.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.ok(x.storage instanceof Float32Array);
});

test('array from typed arrays keeps their dtype; explicit dtype wins', () => {
  assert.equal(nd.array(new Float64Array([1, 2])).dtype, 'float64');
  assert.equal(nd.array(new Int32Array([1, 2])).dtype, 'int32');
  assert.equal(nd.array([1.7, -2.7], { dtype: 'int32' }).toArray().toString(), '1,-2');
  assert.deepEqual(nd.array(new Float32Array([1, 2, 3, 4]), { shape: [2, 2] }).shape, [2, 2]);
});

test('ragged nested lists are rejected with a ValueError', () => {
  assert.throws(() => nd.array([[1, 2], [3]]), ValueError);
});

test('creation functions give hand-checked values', () => {
  assert.deepEqual(nd.zeros([2, 2]).toArray(), [[0, 0], [0, 0]]);
  assert.deepEqual(nd.ones(3, { dtype: 'int32' }).toArray(), [1, 1, 1]);
  assert.deepEqual(nd.full([2], 7).toArray(), [7, 7]);
  assert.deepEqual(nd.arange(5).toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(nd.arange(2, 8, 3).toArray(), [2, 5]);
  assert.deepEqual(nd.arange(3, 0, -1).toArray(), [3, 2, 1]);
  assertClose(nd.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  assertClose(nd.linspace(0, 1, 4, { endpoint: false }), [0, 0.25, 0.5, 0.75]);
  assert.deepEqual(nd.eye(2, 3, 1).toArray(), [[0, 1, 0], [0, 0, 1]]);
  assert.deepEqual(nd.zerosLike(nd.ones([2], { dtype: 'uint8' })).dtype, 'uint8');
  assert.deepEqual(nd.onesLike(nd.zeros([1, 2])).toArray(), [[1, 1]]);
});

test('negative and fractional dimensions are rejected', () => {
  assert.throws(() => nd.zeros([2, -1]), /non-negative integer/);
  assert.throws(() => nd.ones([1.5]), ValueError);
});

test('empty and 0-d arrays', () => {
  const e = nd.zeros([0, 3]);
  assert.equal(e.size, 0);
  assert.deepEqual(e.toArray(), []);
  const s = nd.array(3.5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.item(), 3.5);
  assert.throws(() => nd.ones([2]).item(), /exactly one/);
});

test('printing follows Gluon', () => {
  const x = nd.array([[1, 2], [3, 4]]);
  assert.equal(x.toString(), '[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu>');
  assert.equal(inspect(x), x.toString());
  assert.equal(nd.array([0.5, -1.25]).toString(), '[  0.5 -1.25]\n<NDArray 2 @cpu>');
  assert.equal(nd.array([1, 2], { dtype: 'int32' }).toString(), '[1 2]\n<NDArray 2 int32 @cpu>');
  assert.ok(nd.arange(2000).toString().startsWith('[   0.    1.    2. ... 1997. 1998. 1999.]'));
});

test('shape-only arrays carry a shape and refuse data access', () => {
  const s = nd.NDArray.shapeOnly([2, 3], 'float32');
  assert.ok(s.isShapeOnly);
  assert.throws(() => s.storage, ShapeOnlyError);
  const y = s.add(1).sum(1);
  assert.ok(y.isShapeOnly);
  assert.deepEqual(y.shape, [2]);
  assert.deepEqual(nd.dot(s, nd.NDArray.shapeOnly([3, 7], 'float32')).shape, [2, 7]);
});

test('random: same seed gives the same numbers; ranges hold', () => {
  nd.random.seed(42);
  const a = nd.random.uniform({ shape: [100] });
  const n1 = nd.random.normal({ shape: [4], loc: 1, scale: 2 });
  nd.random.seed(42);
  assert.deepEqual(nd.random.uniform({ shape: [100] }).toArray(), a.toArray());
  assert.deepEqual(nd.random.normal({ shape: [4], loc: 1, scale: 2 }).toArray(), n1.toArray());
  for (const v of a.storage) assert.ok(v >= 0 && v < 1);
  const u = nd.random.uniform({ low: -3, high: -2, shape: [50] });
  for (const v of u.storage) assert.ok(v >= -3 && v < -2);
  const r = nd.random.randint({ low: 2, high: 5, shape: [200] });
  assert.equal(r.dtype, 'int32');
  assert.deepEqual([...new Set(r.storage)].sort(), [2, 3, 4]);
  const big = nd.random.normal({ shape: [20000] });
  assert.ok(Math.abs(big.mean().item()) < 0.03);
  assert.ok(Math.abs(big.square().mean().item() - 1) < 0.05);
});

test('shuffle permutes rows', () => {
  nd.random.seed(1);
  const x = nd.arange(12).reshape([6, 2]);
  const s = nd.random.shuffle(x);
  const rows = (s.toArray() as number[][]).map((r) => r[0]!);
  assert.deepEqual([...rows].sort((p, q) => p - q), [0, 2, 4, 6, 8, 10]);
  for (const r of s.toArray() as number[][]) assert.equal(r[1], r[0]! + 1);
});
