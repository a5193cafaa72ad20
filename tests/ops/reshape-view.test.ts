/**
 * reshape (and expandDims, squeeze, flatten through it) returns a view sharing its input's
 * storage, as MXNet and PyTorch do: no copy, writes show through both ways, gradients still flow,
 * shape-only arrays stay shape-only, and the in-place-write guard checks the array that owns the
 * memory, so a view cannot be used to corrupt values a recorded graph still needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, AutogradError, nd } from '../../src/index.js';
import { viewBase } from '../../src/ops/define.js';

test('reshape, expandDims, squeeze and flatten share the input storage', () => {
  const x = nd.arange(6).reshape([2, 3]);
  const views = [x.reshape([3, 2]), x.reshape(6), x.expandDims(0), x.expandDims(2).squeeze(2), x.reshape([1, 2, 3]).flatten()];
  for (const v of views) {
    assert.equal(v.storage, x.storage);
    assert.equal(viewBase(v), viewBase(x) ?? null);
  }
  // arange's own result is not a view, its reshape is; chains resolve to the owner.
  const owner = viewBase(x)!;
  assert.notEqual(owner, null);
  assert.equal(viewBase(owner), null);
  assert.deepEqual(owner.shape, [6]);
  assert.equal(viewBase(x.reshape([3, 2]).reshape([6])), owner);
});

test('writes through a view show in the base and the other way round', () => {
  const w = nd.zeros([2, 3]);
  const v = w.reshape([6]);
  v.setSlice([1], [3], 7);
  assert.deepEqual(w.toArray(), [[0, 7, 7], [0, 0, 0]]);
  w.fill(2);
  assert.deepEqual(v.toArray(), [2, 2, 2, 2, 2, 2]);
  // An explicit copy is independent.
  const c = nd.array(w.reshape([3, 2]));
  c.fill(9);
  assert.deepEqual(w.toArray(), [[2, 2, 2], [2, 2, 2]]);
});

test('transpose and broadcastTo still copy', () => {
  const x = nd.arange(6).reshape([2, 3]);
  assert.notEqual(x.T.storage, x.storage);
  const r = nd.arange(3);
  assert.notEqual(r.broadcastTo([2, 3]).storage, r.storage);
});

test('gradients flow through views', () => {
  const w = nd.array([[1, 2, 3], [4, 5, 6]]);
  w.attachGrad();
  const y = autograd.record(() => w.reshape([3, 2]).mul(nd.array([[1, 2], [3, 4], [5, 6]])).flatten().expandDims(0).sum());
  y.backward();
  assert.deepEqual(w.grad!.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(y.item(), 1 + 4 + 9 + 16 + 25 + 36);
});

test('shape-only arrays reshape to shape-only arrays', () => {
  const s = nd.NDArray.shapeOnly([4, 6], 'float32');
  const r = s.reshape([2, -1, 3]);
  assert.equal(r.isShapeOnly, true);
  assert.deepEqual(r.shape, [2, 4, 3]);
  assert.equal(s.flatten().isShapeOnly, true);
});

test('writing into a view of a recorded result before its backward is refused', () => {
  const x = nd.array([1, 2, 3, 4]);
  x.attachGrad();
  const y = autograd.record(() => x.exp());
  // The view is taken outside record, so it has no node of its own: its base does.
  const v = y.reshape([2, 2]);
  assert.throws(() => v.fill(0), (e: Error) => e instanceof AutogradError && /view.*\(4,\).*recorded op 'exp'/.test(e.message));
  y.backward();
  v.fill(0);
  assert.deepEqual(y.toArray(), [0, 0, 0, 0]);
});

test('writing into a view of a parameter while recording is refused, outside record allowed', () => {
  const w = nd.ones([2, 2]);
  w.attachGrad();
  const v = w.reshape([4]);
  assert.throws(() => autograd.record(() => v.assign(3)), (e: Error) => e instanceof AutogradError && /view.*\(2, 2\).*attached gradient/.test(e.message));
  v.assign(3);
  assert.deepEqual(w.toArray(), [[3, 3], [3, 3]]);
});

test('assigning a view of the target into the target reads the old values', () => {
  const x = nd.array([[1, 2], [3, 4]]);
  x.assign(x.reshape([4]).reshape([2, 2]).T);
  assert.deepEqual(x.toArray(), [[1, 3], [2, 4]]);
});
