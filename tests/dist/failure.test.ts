/**
 * A failing rank ends the whole job, with a clear error and no hang (workers/fail.ts under
 * mpirun, each run bounded by a timeout the job must finish well within).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mpirun, requireMpi, workerCommand } from './mpi.js';

test('a rank that throws ends the whole job with its error, while the other waits in an allreduce', () => {
  requireMpi();
  const r = mpirun({ np: 2, command: workerCommand('fail.ts', ['throw']), timeoutMs: 90_000 });
  assert.equal(r.signal, null, `the job hung until the test's timeout:\n${r.stdout}\n${r.stderr}`);
  assert.notEqual(r.status, 0);
  // The failing rank's error, with where it happened and which rank and host it was.
  assert.match(r.stderr, /tsgluon dist: rank 1 of 2 \(host [^,]+, pid \d+\) failed:\nError: rank 1 ran out of data at step 3 \(on purpose\)\n\s+at step \(.*fail\.ts:\d+:\d+\)/);
  assert.match(r.stderr, /tsgluon dist: ending rank 1; mpirun stops the other ranks/);
  assert.match(r.stderr, /mpirun detected that one or more processes exited with non-zero status/);
  // Rank 0 was stopped, not finished; the job's default timeout (120 s here) played no part.
  assert.doesNotMatch(r.stdout, /rank 0 finished/);
  assert.ok(r.seconds < 60, `the job took ${r.seconds.toFixed(1)} s to end`);
});

// Gradients of ranks on one host are averaged in shared memory, else (or with TSGLUON_DIST_SHM=0)
// by MPI's allreduce: both waits are bounded.
for (const [path, env, waited] of [
  ['shared memory', {}, /gradient average of 54 float32 values in shared memory/],
  ['MPI allreduce', { TSGLUON_DIST_SHM: '0' }, /allreduce of \d+ float32 values/],
] as const) {
  test(`a rank that ends early leaves the other waiting (${path}): the timeout ends the job and says what it waited for`, () => {
    requireMpi();
    const r = mpirun({ np: 2, command: workerCommand('fail.ts', ['exit']), timeoutMs: 90_000, env });
    assert.equal(r.signal, null, `the job hung until the test's timeout:\n${r.stdout}\n${r.stderr}`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`tsgluon dist: rank 0 of 2: ${waited.source} has not completed after 3 s\\. Another rank has stopped`));
    assert.doesNotMatch(r.stdout, /finished/);
    assert.ok(r.seconds < 60, `the job took ${r.seconds.toFixed(1)} s to end`);
  });
}
