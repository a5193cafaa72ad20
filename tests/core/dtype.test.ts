/**
 * The dtype rules of src/core/dtype.ts as the ops apply them: array-array promotion, scalar
 * operands, integer inputs to float-only ops, reductions, and matmul refusing integers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, DTypeError } from '../../src/index.js';
import { DTYPES, promote, promoteScalar, type DType } from '../../src/core/dtype.js';

const RANK: DType[] = ['uint8', 'int32', 'float16', 'float32', 'float64'];
const rank = (d: DType): number => RANK.indexOf(d === 'bfloat16' ? 'float16' : d);

test('promote picks the wider dtype and is commutative', () => {
  for (const a of DTYPES) {
    for (const b of DTYPES) {
      // float16 with bfloat16: neither holds the other, so float32 (as PyTorch).
      const wider = rank(a) === rank(b) && a !== b ? 'float32' : rank(a) >= rank(b) ? a : b;
      assert.equal(promote(a, b), wider, `${a} with ${b}`);
      assert.equal(promote(b, a), wider);
      // Ops compute the 16-bit storage dtypes in float32 and return float32.
      const computed = wider === 'float16' || wider === 'bfloat16' ? 'float32' : wider;
      assert.equal(nd.add(nd.ones([1], { dtype: a }), nd.ones([1], { dtype: b })).dtype, computed);
      assert.equal(nd.equal(nd.ones([1], { dtype: a }), nd.ones([1], { dtype: b })).dtype, computed);
    }
  }
});

test('a scalar takes the array dtype unless it is fractional or out of the integer range', () => {
  assert.equal(promoteScalar('float32', 2.5), 'float32');
  assert.equal(promoteScalar('float64', 2), 'float64');
  assert.equal(promoteScalar('int32', 2), 'int32');
  assert.equal(promoteScalar('int32', 2.5), 'float32');
  assert.equal(promoteScalar('uint8', NaN), 'float32');
  assert.equal(promoteScalar('uint8', Infinity), 'float32');
  const u8 = nd.array([1, 2], { dtype: 'uint8' });
  assert.equal(u8.add(1).dtype, 'uint8');
  assert.equal(nd.sub(1, u8).dtype, 'uint8');
  assert.equal(u8.add(0.5).dtype, 'float32');
  assert.equal(u8.add(-1).dtype, 'int32');
  assert.equal(u8.add(256).dtype, 'int32');
  assert.equal(u8.mul(2 ** 33).dtype, 'float64');
  assert.deepEqual(u8.add(-1).toArray(), [0, 1]);
  assert.equal(nd.ones([1], { dtype: 'float64' }).mul(0.1).dtype, 'float64');
  assert.equal(nd.ones([1]).mul(1e300).dtype, 'float32');
});

test('float-only ops compute integer inputs in float32; sign-like ops keep the dtype', () => {
  const i = nd.array([1, 4], { dtype: 'int32' });
  for (const op of [nd.exp, nd.log, nd.sqrt, nd.sigmoid, nd.tanh, nd.softrelu, nd.sin, nd.erf, nd.reciprocal]) assert.equal(op(i).dtype, 'float32', op.name);
  for (const op of [nd.neg, nd.abs, nd.sign, nd.relu, nd.square, nd.floor, nd.round]) assert.equal(op(i).dtype, 'int32', op.name);
  assert.equal(nd.div(i, i).dtype, 'float32');
  assert.equal(nd.pow(i, 2).dtype, 'float32');
  assert.equal(nd.mod(i, 3).dtype, 'int32');
  assert.equal(nd.softmax(i).dtype, 'float32');
  assert.equal(nd.logSoftmax(i).dtype, 'float32');
});

test('reductions: mean/norm of integers are float32, uint8 sums widen, argmax is int32', () => {
  const u8 = nd.array([200, 200], { dtype: 'uint8' });
  assert.equal(nd.sum(u8).dtype, 'int32');
  assert.equal(nd.sum(u8).item(), 400);
  assert.equal(nd.prod(u8).item(), 40000);
  assert.equal(nd.max(u8).dtype, 'uint8');
  assert.equal(nd.mean(u8).dtype, 'float32');
  assert.equal(nd.norm(u8).dtype, 'float32');
  assert.equal(nd.argmax(nd.ones([3])).dtype, 'int32');
  assert.equal(nd.sum(nd.ones([2], { dtype: 'float64' })).dtype, 'float64');
});

test('matmul, dot and batchDot refuse integer operands with a DTypeError naming the op', () => {
  const i2 = nd.ones([2, 2], { dtype: 'int32' });
  const u3 = nd.ones([1, 2, 2], { dtype: 'uint8' });
  assert.throws(() => nd.matmul(i2, i2), (e: unknown) => e instanceof DTypeError && /^matmul: .*int32/.test((e as Error).message));
  assert.throws(() => nd.dot(i2, i2), (e: unknown) => e instanceof DTypeError && /^dot: .*int32/.test((e as Error).message));
  assert.throws(() => nd.batchDot(u3, u3), (e: unknown) => e instanceof DTypeError && /^batchDot: .*uint8/.test((e as Error).message));
  // An integer meeting a float operand promotes to float, which matmul accepts.
  assert.equal(nd.matmul(i2, nd.ones([2, 2])).dtype, 'float32');
  assert.equal(nd.dot(i2, nd.ones([2, 2], { dtype: 'float64' })).dtype, 'float64');
});
