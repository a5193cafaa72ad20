import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, ShapeError, ValueError } from '../../src/index.js';
import { ArrayDataset, DataLoader, vision } from '../../src/gluon/data/index.js';
import { assertClose } from '../helpers.js';

const { Resize, CenterCrop, RandomFlipLeftRight, RandomFlipTopBottom, ToTensor, Compose } = vision.transforms;
const hw = (rows: number[][]): nd.NDArray => nd.array(rows).reshape([rows.length, rows[0]!.length, 1]);
const rowsOf = (x: nd.NDArray): number[][] => (x.reshape([x.shape[0]!, x.shape[1]!]).toArray() as number[][]);

test('Resize (bilinear, pixel centers): upsampling a linear ramp is exact', () => {
  const out = new Resize(4).forward(hw([[0, 10], [20, 30]]));
  assert.deepEqual(out.shape, [4, 4, 1]);
  const p = [0, 0.25, 0.75, 1];
  assertClose(out.reshape([16]), p.flatMap((py) => p.map((px) => 20 * py + 10 * px)));
  assertClose(new Resize([4, 1]).forward(hw([[0, 10]])).reshape([4]), [0, 2.5, 7.5, 10]);
});

test('Resize: downsampling, nearest, uint8 rounding, keepRatio, [width, height] order', () => {
  const ramp = nd.arange(16).reshape([4, 4, 1]);
  assertClose(new Resize(2).forward(ramp).reshape([4]), [2.5, 4.5, 10.5, 12.5]);
  assert.deepEqual(rowsOf(new Resize(4, { interpolation: 'nearest' }).forward(hw([[0, 10], [20, 30]]))), [
    [0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30], [20, 20, 30, 30],
  ]);
  const u8 = new Resize([4, 1]).forward(nd.array(Uint8Array.of(0, 10), { shape: [1, 2, 1] }));
  assert.equal(u8.dtype, 'uint8');
  assert.deepEqual(Array.from(u8.storage), [0, 3, 8, 10]);
  assert.deepEqual(new Resize(14, { keepRatio: true }).forward(nd.zeros([28, 56, 3])).shape, [14, 28, 3]);
  assert.deepEqual(new Resize(14, { keepRatio: true }).forward(nd.zeros([56, 28, 3])).shape, [28, 14, 3]);
  assert.deepEqual(new Resize([32, 16]).forward(nd.zeros([8, 8, 1])).shape, [16, 32, 1]);
  assert.throws(() => new Resize(0), ValueError);
  assert.throws(() => new Resize(4).forward(nd.zeros([4, 4])), ShapeError);
});

test('Resize on a batch equals Resize per image; D2L resize pipeline gives (N, 1, 224, 224)', () => {
  const batch = nd.random.uniform({ shape: [3, 5, 7, 2] });
  const r = new Resize([9, 4]);
  const out = r.forward(batch);
  assert.deepEqual(out.shape, [3, 4, 9, 2]);
  for (let s = 0; s < 3; s++) {
    const one = r.forward(nd.array(batch.storage.slice(s * 70, (s + 1) * 70), { shape: [5, 7, 2] }));
    assert.deepEqual(Array.from(out.storage.slice(s * 72, (s + 1) * 72)), Array.from(one.storage));
  }
  const images = nd.array(Uint8Array.from({ length: 2 * 784 }, (_, i) => i % 256), { shape: [2, 28, 28, 1] });
  const ds = new ArrayDataset(images, [0, 1]).transformFirst(new Compose([new Resize(224), new ToTensor()]));
  const [x] = [...new DataLoader(ds, { batchSize: 2 })][0]!;
  assert.deepEqual(x.shape, [2, 1, 224, 224]);
});

test('CenterCrop takes the middle, square or [width, height]', () => {
  const ramp = nd.arange(16).reshape([4, 4, 1]);
  assert.deepEqual(rowsOf(new CenterCrop(2).forward(ramp)), [[5, 6], [9, 10]]);
  assert.deepEqual(rowsOf(new CenterCrop([3, 2]).forward(ramp)), [[4, 5, 6], [8, 9, 10]]);
  assert.deepEqual(new CenterCrop(2).forward(nd.zeros([5, 4, 4, 3])).shape, [5, 2, 2, 3]);
  assert.throws(() => new CenterCrop(5).forward(ramp), /does not fit an image of 4x4/);
});

test('random flips: p = 1 always flips (channels kept in order), p = 0 never', () => {
  const rgb = nd.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // (2, 2, 2): pixel (h, w) has 2 channels
  assert.deepEqual(new RandomFlipLeftRight(1).forward(rgb).toArray(), [[[3, 4], [1, 2]], [[7, 8], [5, 6]]]);
  assert.deepEqual(new RandomFlipTopBottom(1).forward(rgb).toArray(), [[[5, 6], [7, 8]], [[1, 2], [3, 4]]]);
  assert.deepEqual(new RandomFlipLeftRight(0).forward(rgb).toArray(), rgb.toArray());
  assert.throws(() => new RandomFlipLeftRight(2), ValueError);
});

test('random flips are seeded, drawn per image, and the same batched or one by one', () => {
  const image = hw([[1, 2, 3]]);
  const batch = nd.array(Array.from({ length: 200 }, () => [[[1], [2], [3]]]));
  const flip = new RandomFlipLeftRight();
  nd.random.seed(3);
  const out = flip.forward(batch);
  const flipped = Array.from({ length: 200 }, (_, s) => out.storage[3 * s] === 3);
  const count = flipped.filter(Boolean).length;
  assert.ok(count > 70 && count < 130, `${count} of 200 flipped`);
  nd.random.seed(3);
  const oneByOne = Array.from({ length: 200 }, () => flip.forward(image).storage[0] === 3);
  assert.deepEqual(oneByOne, flipped);
  const ds = new ArrayDataset(batch, nd.arange(200));
  nd.random.seed(9);
  const [fast] = [...new DataLoader(ds.transformFirst(flip), { batchSize: 200 })][0]!;
  nd.random.seed(9);
  const [slow] = [...new DataLoader(ds.transformFirst((x: nd.NDArray) => flip.forward(x)), { batchSize: 200 })][0]!;
  assert.deepEqual(Array.from(fast.storage), Array.from(slow.storage));
});
