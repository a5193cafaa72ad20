/**
 * Sharding data across the ranks of a distributed job: ShardSampler and DataLoader's `shard`
 * option (the ranks are simulated here; tests/dist/ runs them as real MPI ranks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nd, ValueError } from '../../src/index.js';
import { ArrayDataset, DataLoader, SequentialSampler, ShardSampler } from '../../src/gluon/data/index.js';

test('ShardSampler: rank r takes positions r, r + N, ...; even shards drop the remainder, uneven ones keep it', () => {
  const base = new SequentialSampler(7, 100);
  const shards = [0, 1, 2].map((rank) => new ShardSampler(base, { rank, size: 3 }));
  assert.deepEqual(shards.map((s) => [...s]), [[100, 103], [101, 104], [102, 105]]);
  assert.deepEqual(shards.map((s) => s.length), [2, 2, 2]);
  const uneven = [0, 1, 2].map((rank) => new ShardSampler(base, { rank, size: 3 }, { even: false }));
  assert.deepEqual(uneven.map((s) => [...s]), [[100, 103, 106], [101, 104], [102, 105]]);
  assert.deepEqual(uneven.map((s) => s.length), [3, 2, 2]);
  assert.deepEqual([...new ShardSampler(base, { rank: 0, size: 1 })], [...base]);
});

test('ShardSampler: the shards of any order are disjoint, as long as each other, and cover all but the remainder', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), (n, size, even) => {
      const base = new SequentialSampler(n);
      const shards = Array.from({ length: size }, (_, rank) => [...new ShardSampler(base, { rank, size }, { even })]);
      const all = shards.flat().sort((a, b) => a - b);
      assert.equal(new Set(all).size, all.length);
      const kept = even ? Math.floor(n / size) * size : n;
      assert.deepEqual(all, Array.from({ length: kept }, (_, i) => i));
      if (even) for (const s of shards) assert.equal(s.length, Math.floor(n / size));
      shards.forEach((s, rank) => assert.equal(s.length, new ShardSampler(base, { rank, size }, { even }).length));
    }),
  );
});

test('ShardSampler refuses a rank outside the job and a size below 1', () => {
  const base = new SequentialSampler(4);
  assert.throws(() => new ShardSampler(base, { rank: 2, size: 2 }), { name: 'ValueError', message: /ShardSampler: shard must have an integer size >= 1 and a rank in \[0, size - 1\], got rank 2 of size 2/ });
  assert.throws(() => new ShardSampler(base, { rank: 0, size: 0 }), ValueError);
  assert.throws(() => new ShardSampler(base, { rank: 0.5, size: 2 }), ValueError);
});

test('DataLoader shard: ranks seeded alike split each shuffled batch of size N x b between them', () => {
  const n = 24;
  const ds = new ArrayDataset(nd.arange(n).reshape([n, 1]));
  const epoch = (shard?: { rank: number; size: number }, batchSize = 8): number[][] => {
    nd.random.seed(5);
    const loader = new DataLoader(ds, { batchSize, shuffle: true, ...(shard ? { shard } : {}) });
    return [...loader].map((b) => Array.from((b as nd.NDArray).storage));
  };
  const whole = epoch(undefined, 8);
  const parts = [0, 1].map((rank) => epoch({ rank, size: 2 }, 4));
  assert.equal(parts[0]!.length, 3);
  parts[0]!.forEach((b, i) => assert.deepEqual([...b, ...parts[1]![i]!].sort((p, q) => p - q), [...whole[i]!].sort((p, q) => p - q)));
  assert.throws(() => new DataLoader(ds, { batchSampler: [[0]], shard: { rank: 0, size: 2 } }), /do not also pass shard/);
});
