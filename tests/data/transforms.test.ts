import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, DTypeError, ShapeError, ValueError } from '../../src/index.js';
import { ArrayDataset, DataLoader, vision } from '../../src/gluon/data/index.js';
import { assertClose } from '../helpers.js';

const { ToTensor, Normalize, Compose, Cast } = vision.transforms;

// A 2x2 RGB image, HWC: pixel (h, w) has channels [10h + w, 100 + 10h + w, 255].
const hwc = nd.array(Uint8Array.from([0, 100, 255, 1, 101, 255, 10, 110, 255, 11, 111, 255]), { shape: [2, 2, 3] });

test('ToTensor: HWC uint8 [0, 255] -> CHW float32 [0, 1]', () => {
  const x = new ToTensor().forward(hwc);
  assert.equal(x.dtype, 'float32');
  assert.deepEqual(x.shape, [3, 2, 2]);
  assertClose(x, [[[0, 1], [10, 11]], [[100, 101], [110, 111]], [[255, 255], [255, 255]]].map((c) => c.map((r) => r.map((v) => v / 255))));
});

test('ToTensor on a batch equals ToTensor per image', () => {
  const batch = nd.array(Uint8Array.from({ length: 2 * 12 }, (_, i) => (i * 37) % 256), { shape: [2, 2, 2, 3] });
  const t = new ToTensor();
  const out = t.forward(batch);
  assert.deepEqual(out.shape, [2, 3, 2, 2]);
  for (let s = 0; s < 2; s++) {
    const one = t.forward(nd.array(batch.storage.slice(s * 12, (s + 1) * 12), { shape: [2, 2, 3] }));
    assert.deepEqual(Array.from(out.storage.slice(s * 12, (s + 1) * 12)), Array.from(one.storage));
  }
  assert.throws(() => t.forward(nd.zeros([28, 28])), (e: unknown) => e instanceof ShapeError && /reshape\(\[H, W, 1\]\)/.test(e.message));
});

test('Normalize: per-channel (x - mean) / std, one value for all channels', () => {
  const x = nd.array([[[1, 3]], [[5, 7]]]); // (2, 1, 2)
  assertClose(new Normalize([1, 5], [2, 4]).forward(x), [[[0, 1]], [[0, 0.5]]]);
  assertClose(new Normalize(1, 2).forward(x), [[[0, 1]], [[2, 3]]]);
  const batch = nd.array([[[[1, 3]], [[5, 7]]], [[[3, 3]], [[9, 9]]]]);
  assertClose(new Normalize([1, 5], [2, 4]).forward(batch), [[[[0, 1]], [[0, 0.5]]], [[[1, 1]], [[1, 1]]]]);
  assert.throws(() => new Normalize([1, 2, 3], 1).forward(x), (e: unknown) => e instanceof ShapeError && /3 values but the image has 2 channels/.test(e.message));
  assert.throws(() => new Normalize(0, 1).forward(hwc), (e: unknown) => e instanceof DTypeError && /apply ToTensor first/.test(e.message));
  assert.throws(() => new Normalize(0, [1, 0]), ValueError);
});

test('Compose chains steps and is batchable only when every step is', () => {
  const c = new Compose([new ToTensor(), new Normalize(0.5, 0.5)]);
  assert.ok(c.batchable);
  const y = c.forward(hwc);
  assertClose(y.reshape([12]), [0, 1, 10, 11, 100, 101, 110, 111, 255, 255, 255, 255].map((v) => (v / 255 - 0.5) / 0.5), { rtol: 1e-5 });
  const withFn = new Compose([new ToTensor(), (x: nd.NDArray) => x.mul(2)]);
  assert.ok(!withFn.batchable);
  assert.equal(new Cast('float64').forward(hwc).dtype, 'float64');
  assert.throws(() => new Compose([42 as unknown as (x: nd.NDArray) => nd.NDArray]), /step 0/);
});

test('batch-capable transforms take the DataLoader fast path and give the same batches as per-sample', () => {
  const images = nd.array(Uint8Array.from({ length: 5 * 12 }, (_, i) => (i * 13) % 256), { shape: [5, 2, 2, 3] });
  const ds = new ArrayDataset(images, nd.arange(5, undefined, 1, { dtype: 'int32' }));
  const t = new Compose([new ToTensor(), new Normalize([0.1, 0.2, 0.3], [0.5, 0.5, 0.5])]);
  const fast = [...new DataLoader(ds.transformFirst(t), { batchSize: 5 })][0]!;
  const slow = [...new DataLoader(ds.transformFirst((x: nd.NDArray) => t.forward(x)), { batchSize: 5 })][0]!;
  assert.deepEqual(fast[0].shape, [5, 3, 2, 2]);
  assert.deepEqual(Array.from(fast[0].storage), Array.from(slow[0].storage));
  assert.deepEqual(Array.from(fast[1].storage), [0, 1, 2, 3, 4]);
});
