/**
 * Data-parallel training with kvstore 'dist_sync' (workers/train-mlp.ts under mpirun): 2 ranks with
 * batch 128 each end with the parameters of 1 rank with batch 256, the ranks agree bit for bit,
 * parameters pending at the Trainer were broadcast from rank 0, the shards make up the global
 * batch, and gradient buckets started while backward was still running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSucceeded, mpirun, rankFiles, requireMpi, tempDir, workerCommand } from './mpi.js';

interface RankResult {
  rank: number;
  size: number;
  steps: number;
  pendingAtTrainer: number;
  firstRows: number[];
  stats: { steps: number; buckets: number; bucketsDuringBackward: number };
  params: Record<string, number[]>;
}

function train(np: number): RankResult[] {
  const out = tempDir();
  const r = mpirun({ np, command: workerCommand('train-mlp.ts', [out, '10', '256']) });
  assertSucceeded(r, `training on ${np} rank(s)`);
  return rankFiles<RankResult>(out, np);
}

function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  assert.deepEqual(Object.keys(a), Object.keys(b));
  let m = 0;
  for (const k of Object.keys(a)) {
    assert.equal(a[k]!.length, b[k]!.length, k);
    a[k]!.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[k]![i]!))));
  }
  return m;
}

test('2 ranks x batch 128 end 10 SGD steps with the parameters of 1 rank x batch 256 (within 1e-5)', () => {
  requireMpi();
  const [single] = train(1) as [RankResult];
  const [r0, r1] = train(2) as [RankResult, RankResult];
  for (const r of [single, r0, r1]) assert.equal(r.steps, 10);
  assert.deepEqual([r0.size, r1.size], [2, 2]);
  // Every rank applies the same averaged update: the ranks agree exactly.
  assert.equal(maxDiff(r0.params, r1.params), 0);
  const d = maxDiff(single.params, r0.params);
  assert.ok(d <= 1e-5, `2 ranks vs 1 rank: parameters differ by up to ${d}`);
  // The difference is rounding (sums in another order), not a mismatch in data or initialization.
  assert.ok(Object.values(single.params).flat().some((v) => Math.abs(v) > 0.1));

  // The weights were pending when the Trainer was built, and the ranks seeded their generators
  // differently: equal parameters mean the first forward's values were broadcast from rank 0.
  assert.equal(r0.pendingAtTrainer, 3);
  // The two shards of the first step are together the first batch of 256 of the single process.
  assert.equal(r0.firstRows.length, 128);
  const union = [...r0.firstRows, ...r1.firstRows].sort();
  assert.deepEqual(union, [...single.firstRows].sort());
  assert.equal(new Set(union).size, 256);

  // 6 parameters in 1 KiB buckets: the first step builds the buckets (and reduces them after
  // backward); every later step starts them from backward's gradient-ready hooks.
  assert.equal(r0.stats.steps, 10);
  assert.ok(r0.stats.buckets >= 20, `buckets: ${r0.stats.buckets}`);
  assert.equal(r0.stats.bucketsDuringBackward, (r0.stats.buckets / 10) * 9);
});
