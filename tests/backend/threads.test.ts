/**
 * The native thread pool never aborts the process. When the OS refuses threads (a container's
 * thread limit), `setNumThreads` becomes a typed BackendError and the previous pool stays in
 * service; a pool created lazily at the first kernel (TSGLUON_NUM_THREADS) falls back to fewer
 * threads with a notice. Before, the pool's constructor threw an uncaught std::system_error and
 * the process died with SIGABRT.
 *
 * The OS limit is real: RLIMIT_NPROC in a child process. It does not bind root, so as root the
 * child runs as `nobody` (runuser), loading a copy of the addon from a folder that nobody can read.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BackendError, ValueError } from '../../src/core/errors.js';
import { nativeBackend } from '../../src/backend/native/index.js';
import type { NativeAddon } from '../../src/backend/native/loader.js';
import { skip } from './parity-helpers.js';

const ADDON = resolve(import.meta.dirname, '..', '..', 'build', 'Release', 'tsgluon.node');

/** A child script that uses the addon directly: no TypeScript, nothing else of the repository. */
const CHILD = `
const addon = require(process.argv[2]);
const sum = () => {
  const x = new Float32Array(1 << 20).fill(1), out = new Float32Array(1);
  addon.reduce(0, out, x, 1, x.length, 1);
  return out[0];
};
const report = { before: addon.numThreads(), sumBefore: sum() };
const want = Number(process.argv[3]);
if (want > 0) report.refused = addon.setNumThreads(want);
report.after = addon.numThreads();
report.sumAfter = sum();
console.log(JSON.stringify(report));
`;

/** How many threads the user `uid` runs now, from /proc. */
function threadsOf(uid: number): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) n += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      // The process ended meanwhile.
    }
  }
  return n;
}

/** Runs CHILD under a thread limit of `nproc` (as `nobody` when root, whom the limit does not bind). */
function underThreadLimit(nproc: number, want: number, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tsgluon-threads-'));
  chmodSync(dir, 0o755);
  copyFileSync(ADDON, join(dir, 'tsgluon.node'));
  writeFileSync(join(dir, 'child.cjs'), CHILD);
  chmodSync(join(dir, 'tsgluon.node'), 0o755);
  chmodSync(join(dir, 'child.cjs'), 0o644);
  const root = process.getuid?.() === 0;
  let limit = nproc;
  if (!root) {
    // The limit counts every thread of this user: leave room for those already running.
    limit += threadsOf(process.getuid?.() ?? -1);
  }
  const cmd = [...(root ? ['runuser', '-u', 'nobody', '--'] : []), 'prlimit', `--nproc=${limit}`, process.execPath, join(dir, 'child.cjs'), join(dir, 'tsgluon.node'), String(want)];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, ...env }, cwd: dir });
  assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, `the child failed: ${r.stderr}`);
  return { report: JSON.parse(r.stdout) as { before: number; after: number; refused?: string; sumBefore: number; sumAfter: number }, stderr: r.stderr };
}

describe('native thread pool', { skip }, () => {
  test('setNumThreads beyond an OS thread limit is refused with a reason; the previous pool stays in service', () => {
    const { report } = underThreadLimit(48, 1000, { TSGLUON_NUM_THREADS: '2' });
    assert.equal(report.before, 2);
    assert.match(report.refused!, /Resource temporarily unavailable|resource/i);
    assert.equal(report.after, 2, 'the old pool is still the one in use');
    assert.equal(report.sumBefore, 1 << 20);
    assert.equal(report.sumAfter, 1 << 20, 'kernels still run on it');
  });

  test('TSGLUON_NUM_THREADS asking for more threads than the OS allows falls back to fewer, with a notice', () => {
    const { report, stderr } = underThreadLimit(48, 0, { TSGLUON_NUM_THREADS: '1000' });
    assert.ok(report.before >= 1 && report.before < 1000, `pool of ${report.before}`);
    assert.equal(report.sumBefore, 1 << 20);
    assert.match(stderr, /tsgluon: could not start a pool of 1000 threads \(.*\); trying \d+/);
  });

  test('a TSGLUON_NUM_THREADS that is not an integer in [1, 1024] is ignored with a notice', () => {
    for (const value of ['100000', 'many', '0', '-3', '2.5']) {
      const { report, stderr } = underThreadLimit(4096, 0, { TSGLUON_NUM_THREADS: value });
      assert.ok(report.before >= 1 && report.before <= 1024, value);
      assert.equal(report.sumBefore, 1 << 20, value);
      assert.match(stderr, new RegExp(`TSGLUON_NUM_THREADS=${value.replace('.', '\\.')} is not an integer in \\[1, 1024\\]`), value);
    }
  });
});

test('setNumThreads: arguments outside [1, 1024] are ValueErrors; a refusal from the addon a BackendError', () => {
  let threads = 2;
  const stand = { setNumThreads: (n: number) => (n > 8 ? 'Resource temporarily unavailable' : ((threads = n), '')), numThreads: () => threads } as unknown as NativeAddon;
  const make = () => nativeBackend({ ...stand, unaryOps: [], binaryOps: [], reduceOps: [] } as unknown as NativeAddon);
  const b = make();
  for (const bad of [0, -1, 1.5, 1025, 2000, NaN, '4']) {
    assert.throws(() => b.setNumThreads!(bad as number), (e: unknown) => e instanceof ValueError && e.message.startsWith('setNumThreads: expected an integer in [1, 1024]'), String(bad));
  }
  b.setNumThreads!(4);
  assert.equal(b.numThreads(), 4);
  assert.throws(
    () => b.setNumThreads!(64),
    (e: unknown) => e instanceof BackendError && e.message === 'setNumThreads: the system refused to start 64 threads (Resource temporarily unavailable); the previous pool of 4 thread(s) stays in service',
  );
  assert.equal(b.numThreads(), 4);
});
