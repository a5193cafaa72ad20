/**
 * The Trainer's kvstore 'dist_sync' beyond plain training (workers/trainer-semantics.ts on 2
 * ranks): parameters only some ranks used, or none; update without allreduceGrads; two backwards
 * before a step; gradReq 'add'; re-initialization; ranks with different networks; metrics
 * combined across ranks. Gradient semantics are checked with buckets in shared memory and with
 * MPI's allreduce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSucceeded, mpirun, rankFiles, requireMpi, tempDir, workerCommand } from './mpi.js';

interface Result {
  startEqual: number[];
  partialUseMaxError: number;
  partialUseFresh: boolean[];
  afterPartialUse: number[];
  staleEverywhere: string;
  staleIgnored: string;
  updateFirst: string;
  twoBackwardsMaxError: number;
  addMaxError: number;
  final: number[];
  reinit: number[];
  accuracyGlobal: [string, number];
  accuracyLocal: [string, number];
  compositeGlobal: [string[], number[]];
  differentNetworks: string;
  halfGradMaxError: number;
  halfDtype: string[];
  halfWeights: number[];
  stats: { steps: number; buckets: number; bucketsDuringBackward: number; sharedBuckets: number };
}

const cached = new Map<string, Result[]>();

/** The worker's results with gradients averaged in shared memory (the default on one host) or by MPI. */
function results(path: 'shared memory' | 'MPI allreduce' = 'shared memory'): Result[] {
  requireMpi();
  if (!cached.has(path)) {
    const out = tempDir();
    const env: Record<string, string> = path === 'MPI allreduce' ? { TSGLUON_DIST_SHM: '0' } : {};
    assertSucceeded(mpirun({ np: 2, command: workerCommand('trainer-semantics.ts', [out]), env }), `the trainer worker (${path})`);
    cached.set(path, rankFiles<Result>(out, 2));
  }
  return cached.get(path)!;
}

for (const path of ['shared memory', 'MPI allreduce'] as const) {
  test(`gradients are the average of the ranks' gradients, with zeros from ranks whose forward skipped a parameter (${path})`, () => {
    const [r0, r1] = results(path) as [Result, Result];
    for (const r of [r0, r1]) {
      assert.equal(r.partialUseMaxError, 0);
      // Head B was used by rank 1 only: it is fresh (and updated) on both ranks.
      assert.deepEqual(r.partialUseFresh, [true, true, true, true, true, true]);
      assert.equal(r.twoBackwardsMaxError, 0);
      assert.equal(r.addMaxError, 0);
    }
    // Rank 0's values were broadcast when the Trainer was built, and every update is the same.
    assert.deepEqual(r0.startEqual, r1.startEqual);
    assert.notDeepEqual(r0.afterPartialUse, r0.startEqual);
    assert.deepEqual(r0.afterPartialUse, r1.afterPartialUse);
    assert.deepEqual(r0.final, r1.final);
    assert.deepEqual(r0.reinit, r1.reinit);
    assert.notDeepEqual(r0.reinit, r0.final);
    // Buckets start in the same order on both ranks, though not always during backward: rank 0
    // never computed head B's gradients in the step where only rank 1 used it.
    assert.equal(r0.stats.steps, r1.stats.steps);
    assert.equal(r0.stats.buckets, r1.stats.buckets);
    assert.ok(r0.stats.bucketsDuringBackward < r1.stats.bucketsDuringBackward);
    if (path === 'shared memory') assert.ok(r0.stats.sharedBuckets > 0 && r0.stats.sharedBuckets === r1.stats.sharedBuckets);
    else assert.equal(r0.stats.sharedBuckets, 0);
  });
}

test('a parameter no rank used is stale on every rank; update needs allreduceGrads first', () => {
  for (const r of results()) {
    assert.match(r.staleEverywhere, /^StaleGradientError: Trainer\.step: the gradient of dense2_weight \(b\.weight\), dense2_bias \(b\.bias\) was not updated/);
    assert.equal(r.staleIgnored, 'no error');
    assert.equal(
      r.updateFirst,
      "ValueError: Trainer.update: with kvstore 'dist_sync' the gradients of the last backward were not averaged across ranks yet; " +
        'call trainer.allreduceGrads() before trainer.update(), or use trainer.step(batchSize), which does both',
    );
  }
});

test('ranks with different networks get the same error when the Trainer is built', () => {
  results().forEach((r, rank) => {
    assert.match(
      r.differentNetworks,
      new RegExp(
        `^DistributedError: Trainer \\(kvstore 'dist_sync'\\): broadcasting parameters from rank 0: the ranks called it with different arguments ` +
          `\\(fingerprint of their dtypes and shapes from \\d+ to \\d+; this is rank ${rank} of 2\\)\\. Every rank must build the same network`,
      ),
    );
  });
});

test('metric.getGlobal combines every rank\'s statistics and leaves each rank\'s own unchanged', () => {
  const [r0, r1] = results() as [Result, Result];
  for (const r of [r0, r1]) {
    assert.deepEqual(r.accuracyGlobal, ['accuracy', 4 / 6]);
    assert.deepEqual(r.compositeGlobal, [['accuracy', 'mae'], [4 / 6, 0.5]]);
  }
  assert.deepEqual(r0.accuracyLocal, ['accuracy', 0.75]);
  assert.deepEqual(r1.accuracyLocal, ['accuracy', 0.5]);
});

test('float16 parameters: the averaged gradient is the 16-bit rounding of the ranks\' mean, and the weights agree', () => {
  const [r0, r1] = results() as [Result, Result];
  for (const r of [r0, r1]) {
    assert.equal(r.halfGradMaxError, 0);
    assert.deepEqual(r.halfDtype, ['float16', 'float16']);
  }
  assert.deepEqual(r0.halfWeights, r1.halfWeights);
  assert.equal(r0.halfWeights.length, 15);
});
