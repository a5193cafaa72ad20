/**
 * Data-parallel training with kvstore 'dist_sync' (workers/train-mlp.ts under mpirun): 2 ranks with
 * batch 128 each end with the parameters of 1 rank with batch 256, the ranks agree bit for bit,
 * parameters pending at the Trainer were broadcast from rank 0, the shards make up the global
 * batch, and gradient buckets started while backward was still running; over shared memory (2 and
 * 4 ranks) and over MPI's allreduce.
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
  stats: { steps: number; buckets: number; bucketsDuringBackward: number; sharedBuckets: number };
  params: Record<string, number[]>;
}

function train(np: number, env: Record<string, string> = {}): RankResult[] {
  const out = tempDir();
  const r = mpirun({ np, command: workerCommand('train-mlp.ts', [out, '10', '256']), env });
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

let single: RankResult | null = null;

/** The 1-rank run every multi-rank run is compared with. */
function singleRank(): RankResult {
  single ??= train(1)[0]!;
  assert.equal(single.steps, 10);
  return single;
}

// Ranks on one host average gradients in shared memory (two ranks, and four, which take the
// general averaging loop); TSGLUON_DIST_SHM=0 asks for MPI's allreduce, as ranks on several hosts use.
for (const [np, path, env] of [
  [2, 'shared memory', {}],
  [2, 'MPI allreduce', { TSGLUON_DIST_SHM: '0' }],
  [4, 'shared memory', {}],
] as const) {
  test(`${np} ranks x batch ${256 / np} (${path}) end 10 SGD steps with the parameters of 1 rank x batch 256 (within 1e-5)`, () => {
    requireMpi();
    const one = singleRank();
    const ranks = train(np, env);
    const r0 = ranks[0]!;
    for (const r of ranks) {
      assert.equal(r.steps, 10);
      assert.equal(r.size, np);
      // Every rank applies the same averaged update: the ranks agree exactly.
      assert.equal(maxDiff(r0.params, r.params), 0);
    }
    const d = maxDiff(one.params, r0.params);
    assert.ok(d <= 1e-5, `${np} ranks vs 1 rank: parameters differ by up to ${d}`);
    // The difference is rounding (sums in another order), not a mismatch in data or initialization.
    assert.ok(Object.values(one.params).flat().some((v) => Math.abs(v) > 0.1));

    // The weights were pending when the Trainer was built, and the ranks seeded their generators
    // differently: equal parameters mean the first forward's values were broadcast from rank 0.
    assert.equal(r0.pendingAtTrainer, 3);
    // The shards of the first step are together the first batch of 256 of the single process.
    assert.equal(r0.firstRows.length, 256 / np);
    const union = ranks.flatMap((r) => r.firstRows).sort();
    assert.deepEqual(union, [...one.firstRows].sort());
    assert.equal(new Set(union).size, 256);

    // 6 parameters in 1 KiB buckets: the first step builds the buckets (and reduces them after
    // backward); every later step starts them from backward's gradient-ready hooks.
    assert.equal(r0.stats.steps, 10);
    assert.ok(r0.stats.buckets >= 20, `buckets: ${r0.stats.buckets}`);
    assert.equal(r0.stats.bucketsDuringBackward, (r0.stats.buckets / 10) * 9);
    assert.equal(r0.stats.sharedBuckets, path === 'shared memory' ? r0.stats.buckets : 0);
  });
}
