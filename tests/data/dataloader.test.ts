import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, ShapeError, ValueError, DTypeError } from '../../src/index.js';
import { ArrayDataset, BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, SimpleDataset, defaultBatchify } from '../../src/gluon/data/index.js';
import { Generator } from '../../src/core/rng.js';

const X = nd.arange(20).reshape([10, 2]);
const Y = nd.arange(10, 20, 1, { dtype: 'int32' });

test('ArrayDataset: length, tuple samples, 0-d items for 1-d columns', () => {
  const ds = new ArrayDataset(X, Y);
  assert.equal(ds.length, 10);
  const [x, y] = ds.get(3);
  assert.deepEqual(x.toArray(), [6, 7]);
  assert.deepEqual(y.shape, []);
  assert.equal(y.item(), 13);
  assert.equal(y.dtype, 'int32');
  const single = new ArrayDataset(X);
  assert.deepEqual(single.get(9).toArray(), [18, 19]);
  assert.throws(() => ds.get(10), ValueError);
  assert.throws(() => ds.get(-1), ValueError);
});

test('ArrayDataset accepts JS lists and typed arrays; lists of numbers become int32 or float32 columns', () => {
  const ds = new ArrayDataset([[1, 2], [3, 4]], [0, 1], Float32Array.of(0.5, 1.5));
  const [a, b, c] = ds.get(1);
  assert.deepEqual(a.toArray(), [3, 4]);
  assert.equal(a.dtype, 'int32');
  assert.equal(b.item(), 1);
  assert.equal(c.item(), 1.5);
  const labels = new ArrayDataset([0.5, 2]);
  assert.equal(labels.get(0).dtype, 'float32');
  const strings = new ArrayDataset(['cat', 'dog']);
  assert.equal(strings.get(1), 'dog');
});

test('ArrayDataset rejects columns of different lengths and 0-d arrays', () => {
  assert.throws(() => new ArrayDataset(X, nd.arange(9)), (e: unknown) => e instanceof ShapeError && /10, 9/.test(e.message));
  assert.throws(() => new ArrayDataset(nd.array(1)), ShapeError);
  assert.throws(() => new ArrayDataset([[1, 2], [3]]), /not rectangular/);
});

test('DataLoader keeps, discards or rolls over the last batch', () => {
  const ds = new ArrayDataset(X, Y);
  const keep = new DataLoader(ds, { batchSize: 4 });
  assert.equal(keep.length, 3);
  const batches = [...keep];
  assert.deepEqual(batches.map(([x]) => x.shape), [[4, 2], [4, 2], [2, 2]]);
  assert.deepEqual(Array.from(batches[2]![1].storage), [18, 19]);
  assert.deepEqual(batches[0]![0].toArray(), [[0, 1], [2, 3], [4, 5], [6, 7]]);
  const discard = new DataLoader(ds, { batchSize: 4, lastBatch: 'discard' });
  assert.equal(discard.length, 2);
  assert.equal([...discard].length, 2);
  const roll = new DataLoader(ds, { batchSize: 4, lastBatch: 'rollover' });
  assert.equal(roll.length, 2);
  const e1 = [...roll].map(([, y]) => Array.from(y.storage));
  assert.deepEqual(e1, [[10, 11, 12, 13], [14, 15, 16, 17]]);
  assert.equal(roll.length, 3); // 2 carried + 10 new = 12 = 3 batches
  const e2 = [...roll].map(([, y]) => Array.from(y.storage));
  assert.deepEqual(e2, [[18, 19, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19]]);
  assert.equal(roll.length, 2);
});

test('DataLoader shuffling is a permutation reproduced by nd.random.seed, different each epoch', () => {
  const ds = new ArrayDataset(X, Y);
  const order = (loader: Iterable<[nd.NDArray, nd.NDArray]>): number[] => [...loader].flatMap(([, y]) => Array.from(y.storage));
  nd.random.seed(42);
  const loader = new DataLoader(ds, { batchSize: 3, shuffle: true });
  const a = order(loader);
  const b = order(loader);
  assert.deepEqual([...a].sort((p, q) => p - q), Array.from(Y.storage));
  assert.notDeepEqual(a, b);
  assert.notDeepEqual(a, Array.from(Y.storage));
  nd.random.seed(42);
  assert.deepEqual(order(loader), a);
  // rows stay aligned with their labels
  for (const [x, y] of loader) for (let k = 0; k < y.size; k++) assert.equal(x.storage[2 * k], 2 * (y.storage[k]! - 10));
  const g1 = new Generator(7);
  const g2 = new Generator(7);
  assert.deepEqual(order(new DataLoader(ds, { batchSize: 4, shuffle: true, generator: g1 })), order(new DataLoader(ds, { batchSize: 4, shuffle: true, generator: g2 })));
});

test('datasets without a fast path are batched by get() + defaultBatchify, with the same result', () => {
  class Squares extends Dataset<[nd.NDArray, number]> {
    get length(): number {
      return 5;
    }
    get(i: number): [nd.NDArray, number] {
      return [nd.array([i, i * i]), i % 2];
    }
  }
  const [x, y] = [...new DataLoader(new Squares(), { batchSize: 5 })][0]!;
  assert.deepEqual(x.toArray(), [[0, 0], [1, 1], [2, 4], [3, 9], [4, 16]]);
  assert.equal(y.dtype, 'int32');
  assert.deepEqual(Array.from(y.storage), [0, 1, 0, 1, 0]);
  const fast = new DataLoader(new ArrayDataset(X, Y), { batchSize: 10 }).batch([3, 1]);
  const slow = defaultBatchify([new ArrayDataset(X, Y).get(3), new ArrayDataset(X, Y).get(1)]);
  assert.deepEqual(fast[0].toArray(), slow[0].toArray());
  assert.deepEqual(fast[1].toArray(), slow[1].toArray());
});

test('custom batchify and batchSampler', () => {
  const ds = new SimpleDataset(['a', 'bb', 'ccc']);
  const loader = new DataLoader(ds, { batchSize: 2, batchify: (s: string[]) => s.join('+') });
  assert.deepEqual([...loader], ['a+bb', 'ccc']);
  const bs = new BatchSampler(new SequentialSampler(3), 3);
  const viaSampler = new DataLoader(ds, { batchSampler: bs, batchify: (s: string[]) => s.length });
  assert.deepEqual([...viaSampler], [3]);
  assert.throws(() => new DataLoader(ds, { batchSampler: bs, batchSize: 2 }), /do not also pass batchSize/);
  assert.throws(() => new DataLoader(ds, {}), /batchSize is required/);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /positive integer/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, lastBatch: 'drop' as 'keep' }), /'keep', 'discard' or 'rollover'/);
  assert.throws(() => [...new DataLoader(ds, { batchSize: 2 })], DTypeError);
});

test('defaultBatchify: stacks NDArrays, rejects shape mismatches with a hint', () => {
  const b = defaultBatchify([nd.array([1, 2]), nd.array([3, 4], { dtype: 'float64' })]);
  assert.equal(b.dtype, 'float64');
  assert.deepEqual(b.toArray(), [[1, 2], [3, 4]]);
  assert.equal(defaultBatchify([1, 2.5]).dtype, 'float32');
  assert.throws(() => defaultBatchify([nd.zeros([2]), nd.zeros([3])]), (e: unknown) => e instanceof ShapeError && /sample 1 has shape \(3,\) but sample 0 has \(2,\)/.test(e.message));
});

test('samplers: sequential, random permutation, batch grouping', () => {
  assert.deepEqual([...new SequentialSampler(3, 5)], [5, 6, 7]);
  const r = [...new RandomSampler(50, { generator: new Generator(1) })];
  assert.deepEqual([...r].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual([...new BatchSampler(new SequentialSampler(5), 2)].map((b) => Array.from(b)), [[0, 1], [2, 3], [4]]);
});

test('transform, transformFirst, take, filter, subset and shard', () => {
  const ds = new ArrayDataset(X, Y);
  const t = ds.transformFirst((x) => x.mul(10));
  const [x, y] = t.get(2);
  assert.deepEqual(x.toArray(), [40, 50]);
  assert.equal(y.item(), 12);
  const whole = ds.transform(([a, b]) => a.sum().item() + b.item(), { lazy: false });
  assert.equal(whole.get(1), 2 + 3 + 11);
  assert.equal(ds.take(3).length, 3);
  assert.equal(ds.take(100).length, 10);
  const even = ds.filter(([, b]) => b.item() % 2 === 0);
  assert.deepEqual([...even].map(([, b]) => b.item()), [10, 12, 14, 16, 18]);
  const [bx, by] = [...new DataLoader(even, { batchSize: 5 })][0]!;
  assert.deepEqual(Array.from(by.storage), [10, 12, 14, 16, 18]);
  assert.deepEqual(Array.from(bx.storage).filter((_, k) => k % 2 === 0), [0, 4, 8, 12, 16]);
  assert.deepEqual([...ds.subset([9, 0])].map(([, b]) => b.item()), [19, 10]);
  assert.throws(() => ds.subset([10]), ValueError);
  const shards = [0, 1, 2].map((i) => [...ds.shard(3, i)].map(([, b]) => b.item() - 10));
  assert.deepEqual(shards, [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  assert.throws(() => ds.shard(3, 3), ValueError);
});
