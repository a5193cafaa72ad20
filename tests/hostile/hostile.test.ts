/**
 * The hostile-input suite in CI: fast-check cases over every `nd` function and NDArray method, the
 * file readers, and every Gluon class (tests/hostile/cases.ts), each run in a child process where
 * a crash is caught (tests/hostile/harness.ts), on the backend this test run uses
 * (`TSGLUON_BACKEND`; CI runs `npm test` once per backend). A case fails the test when it crashes
 * the process, runs past the hang bound, grows the process past the memory bound, or throws
 * anything but a typed error that names the function the user called.
 *
 * The seed is fixed so a failure reproduces; `HOSTILE_RUNS` and `HOSTILE_SEED` change the run,
 * and `npm run soak` is the long run on both backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as lib from '../../src/index.js';
import { discoverTargets, generateCases } from './cases.js';
import { describeFailures, runCases, tally, type Status } from './harness.js';
import { makeScratch } from './spec.js';

const RUNS = Number(process.env['HOSTILE_RUNS'] ?? 24);
const SEED = Number(process.env['HOSTILE_SEED'] ?? 20240612);
const FAILURES: Status[] = ['crash', 'hang', 'memory', 'async', 'untyped', 'misnamed'];

test(`hostile inputs on the ${lib.backend.getBackend().name} backend: no crash, hang, memory blow-up, untyped or misnamed error`, { timeout: 600_000 }, async () => {
  const targets = discoverTargets();
  // The whole public surface: if discovery broke, the suite would pass vacuously.
  assert.ok(targets.filter((t) => t.kind === 'call' && t.path[0] === 'nd').length > 100, 'nd functions discovered');
  assert.ok(targets.filter((t) => t.kind === 'method').length > 80, 'NDArray methods discovered');
  assert.ok(targets.filter((t) => t.kind === 'construct' && t.path[0] === 'nn').length > 40, 'nn layers discovered');
  const cases = generateCases(targets, RUNS, SEED);
  const scratch = makeScratch(lib);
  try {
    const outcomes = await runCases({
      backend: lib.backend.getBackend().name as 'native' | 'ref',
      cases,
      hangMs: 20_000,
      rssMb: 2500,
      scratch,
      env: { TSGLUON_MAX_ALLOCATION: '64M', TSGLUON_OFFLINE: '1', TSGLUON_DATASETS: scratch },
    });
    const counts = tally(outcomes);
    // Most cases must get past argument checking into real work, or the generators are too wild.
    assert.ok(counts.ok > cases.length / 4, `only ${counts.ok} of ${cases.length} cases ran without an error: ${JSON.stringify(counts)}`);
    const bad = FAILURES.reduce((n, s) => n + counts[s], 0);
    assert.equal(bad, 0, `${bad} of ${cases.length} hostile cases failed (${JSON.stringify(counts)}):\n${describeFailures(cases, outcomes, FAILURES).join('\n')}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
