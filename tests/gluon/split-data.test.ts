// gluon.utils.splitData / splitAndLoad: slices along the batch axis that concatenate back to the
// input, NumPy's array_split sizes with evenSplit false, the errors, and one slice per device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, autograd, gluon, nd } from '../../src/index.js';

const { splitData, splitAndLoad } = gluon.utils;

function check(x: nd.NDArray, n: number, axis: number, evenSplit = true): void {
  const parts = splitData(x, n, { batchAxis: axis, evenSplit });
  assert.equal(parts.length, n);
  assert.deepEqual(nd.concat(parts, { axis }).toArray(), x.toArray());
  const size = x.shape[axis]!;
  const sizes = parts.map((p) => p.shape[axis]!);
  // NumPy's array_split: the first size % n parts are one longer.
  assert.deepEqual(sizes, Array.from({ length: n }, (_, i) => Math.floor(size / n) + (i < size % n ? 1 : 0)));
}

test('splitData cuts along the batch axis, evenly or as array_split does', () => {
  const x = nd.random.uniform({ shape: [16, 33, 4] });
  check(x, 8, 0);
  check(x, 3, 1);
  check(x, 4, 1, false);
  check(x, 15, 1, false);
  assert.throws(() => splitData(x, 4, { batchAxis: 1 }), (e: Error) => e instanceof ValueError && /cannot be split evenly into 4 slices along axis 1 \(33 % 4 = 1\)/.test(e.message));
  assert.throws(() => splitData(x, 17), /too many slices .* axis 0 has 16 elements, fewer than numSlice \(17\)/);
  assert.throws(() => splitData(x, 0), /numSlice must be a positive integer/);
  assert.equal(splitData(x, 1)[0], x);
});

test('gradients flow back through the slices', () => {
  const x = nd.arange(0, 6).reshape([3, 2]);
  x.attachGrad();
  autograd.record(() => {
    const [a, b] = splitData(x, 2, { evenSplit: false });
    return a!.mul(2).sum().add(b!.mul(3).sum());
  }).backward();
  assert.deepEqual(x.grad!.toArray(), [[2, 2], [2, 2], [3, 3]]);
});

test('splitAndLoad: one slice per device (all on the CPU), a count or a list; nested arrays accepted', () => {
  const parts = splitAndLoad(nd.arange(0, 8).reshape([4, 2]), ['cpu', 'cpu']);
  assert.deepEqual(parts.map((p) => p.toArray()), [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]);
  assert.deepEqual(splitAndLoad([[1, 2], [3, 4], [5, 6]], 3).map((p) => p.shape), [[1, 2], [1, 2], [1, 2]]);
  const x = nd.ones([3]);
  assert.equal(splitAndLoad(x, 1)[0], x);
  assert.throws(() => splitAndLoad(x, []), /devices must be a non-empty list of devices or a positive count/);
});
