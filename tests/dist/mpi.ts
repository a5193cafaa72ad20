/**
 * Helpers of the distributed tests: launching TypeScript workers under Open MPI's mpirun and
 * reading what each rank wrote. Open MPI and tsgluon's MPI addon are real requirements of these
 * tests (CI installs them, see .ci/run): when either is missing `requireMpi` fails the test with
 * what to install, it never skips.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const ADDON = join(ROOT, 'build', 'Release', 'tsgluon_mpi.node');

/** Fails (never skips) when mpirun or the MPI addon is missing. */
export function requireMpi(): void {
  const which = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
  assert.equal(which.status, 0, 'mpirun was not found: install Open MPI (apt-get install libopenmpi-dev openmpi-bin), as .ci/run does');
  assert.ok(existsSync(ADDON), `${ADDON} is not built: install Open MPI (apt-get install libopenmpi-dev openmpi-bin), then run node scripts/build-mpi.mjs`);
}

/**
 * The environment of mpirun and its ranks: root is allowed (CI and this machine run as root), and
 * shared memory copies go through the shared segment, since containers often forbid the
 * cross-process reads (CMA) Open MPI would use otherwise.
 */
export function mpiEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OMPI_ALLOW_RUN_AS_ROOT: '1',
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
    OMPI_MCA_btl_vader_single_copy_mechanism: 'none',
    ...extra,
  };
}

/** The command line that runs a worker of tests/dist/workers/ with Node and tsx. */
export function workerCommand(worker: string, args: readonly string[] = []): string[] {
  return [process.execPath, '--import', 'tsx', join(ROOT, 'tests', 'dist', 'workers', worker), ...args];
}

export interface MpiRun {
  np: number;
  /** The program and its arguments (see `workerCommand`). */
  command: readonly string[];
  /** Options given to mpirun before the program. */
  mpiArgs?: readonly string[];
  /** Ends the run (SIGKILL) after this many milliseconds; the test then fails on the status. */
  timeoutMs?: number;
  /** A prefix to run mpirun through, e.g. ['ip', 'netns', 'exec', 'ns'] */
  via?: readonly string[];
  /** More environment variables for mpirun and its ranks. */
  env?: Record<string, string>;
}

/** Runs `mpirun -np N ... command` and returns its status, output and wall time. */
export function mpirun(run: MpiRun): SpawnSyncReturns<string> & { seconds: number } {
  const args = ['--allow-run-as-root', '--oversubscribe', '-np', String(run.np), ...(run.mpiArgs ?? []), ...run.command];
  const [cmd, ...rest] = [...(run.via ?? []), 'mpirun', ...args];
  const t0 = performance.now();
  const r = spawnSync(cmd!, rest, { cwd: ROOT, encoding: 'utf8', env: mpiEnv(run.env), timeout: run.timeoutMs ?? 240_000, killSignal: 'SIGKILL' });
  return Object.assign(r, { seconds: (performance.now() - t0) / 1000 });
}

/** Asserts that an mpirun exited with status 0, showing its output otherwise. */
export function assertSucceeded(r: SpawnSyncReturns<string>, what: string): void {
  assert.equal(r.status, 0, `${what} failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
}

/** A new temporary folder. */
export function tempDir(prefix = 'tsgluon-dist-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The JSON file each rank of a worker wrote to `dir` (rank-<r>.json), in rank order. */
export function rankFiles<T>(dir: string, np: number): T[] {
  return Array.from({ length: np }, (_, r) => JSON.parse(readFileSync(join(dir, `rank-${r}.json`), 'utf8')) as T);
}
