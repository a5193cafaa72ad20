/**
 * Every ops-core family accepts shape-only arrays (data-free shape inference): the result has the
 * right shape and dtype, carries no data, and validation errors still fire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, ShapeError } from '../../src/index.js';

const so = (shape: number[], dtype: nd.DType = 'float32') => nd.NDArray.shapeOnly(shape, dtype);

test('ops on shape-only arrays give shape-only results of the right shape and dtype', () => {
  const x = so([4, 3]);
  const cases: [nd.NDArray, number[], nd.DType][] = [
    [nd.exp(x), [4, 3], 'float32'],
    [nd.exp(so([2], 'int32')), [2], 'float32'],
    [x.add(nd.ones([3])), [4, 3], 'float32'],
    [x.mul(2), [4, 3], 'float32'],
    [x.sum(1, { keepdims: true }), [4, 1], 'float32'],
    [so([2, 3, 4]).max([0, 2]), [3], 'float32'],
    [so([2, 3], 'uint8').sum(), [], 'int32'],
    [x.argmax(0), [3], 'int32'],
    [x.mean(), [], 'float32'],
    [nd.dot(x, nd.ones([3, 5])), [4, 5], 'float32'],
    [nd.matmul(so([2, 1, 4, 3]), so([5, 3, 2])), [2, 5, 4, 2], 'float32'],
    [nd.batchDot(so([2, 4, 3]), so([2, 4, 3]), { transposeA: true }), [2, 3, 3], 'float32'],
    [x.reshape([-1]), [12], 'float32'],
    [x.T, [3, 4], 'float32'],
    [x.expandDims(0).squeeze(), [4, 3], 'float32'],
    [so([2, 3, 4]).flatten(), [2, 12], 'float32'],
    [so([3, 1]).broadcastTo([2, 3, 5]), [2, 3, 5], 'float32'],
    [nd.softmax(x, { axis: 0, temperature: 2 }), [4, 3], 'float32'],
    [x.astype('float64'), [4, 3], 'float64'],
  ];
  for (const [out, shape, dtype] of cases) {
    assert.equal(out.isShapeOnly, true);
    assert.deepEqual(out.shape, shape);
    assert.equal(out.dtype, dtype);
  }
});

test('shape errors still fire for shape-only inputs', () => {
  assert.throws(() => nd.dot(so([4, 3]), so([4, 3])), ShapeError);
  assert.throws(() => so([4, 3]).add(so([4])), ShapeError);
  assert.throws(() => so([4, 3]).reshape([5, -1]), ShapeError);
});
