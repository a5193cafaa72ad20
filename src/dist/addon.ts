/**
 * Finds and loads tsgluon's optional MPI addon (build/Release/tsgluon_mpi.node, compiled by
 * scripts/build-mpi.mjs where mpi.h is found) through the native backend's loader. Loading never
 * throws: importing tsgluon works on a machine without MPI, and `dist.init()` reports what is
 * missing and how to install it.
 */
import type { TypedArray } from '../core/dtype.js';
import { loadAddon, type LoadResult } from '../backend/native/loader.js';
import { PACKAGE_ROOT, addonCandidates } from '../backend/native/locate.js';

/** What `init` returns: this process's place in the job. */
export interface MpiInfo {
  rank: number;
  size: number;
  localRank: number;
  localSize: number;
  library: string;
}

/**
 * The functions of native/src/dist/addon.cc. Collectives return a ticket; the arrays they were
 * given are read or written by the communication thread until `wait(ticket)` returns.
 */
export interface MpiAddon {
  /** Starts the communication thread and MPI (once); waits are bounded by `timeoutMs` (0: none). */
  init(timeoutMs: number): MpiInfo;
  /**
   * In place; op 0 sum, 1 average (float arrays), 2 max, 3 min. `half` says what a Uint16Array
   * holds (1 float16, 2 bfloat16 bit patterns), 0 for every other array.
   */
  allreduce(x: TypedArray, op: number, half: number): number;
  broadcast(x: TypedArray, root: number): number;
  /** `counts[r]` elements from rank r, in rank order, into `recv`. */
  allgather(send: TypedArray, recv: TypedArray, counts: Float64Array): number;
  barrier(): number;
  wait(ticket: number): void;
  done(ticket: number): boolean;
  /**
   * Seconds the communication thread spent in collectives, and how many it ran; seconds spent
   * averaging shared-memory buckets, of them waiting for other ranks to arrive, and how many.
   */
  stats(): { busySeconds: number; jobs: number; sharedSeconds: number; sharedWaitSeconds: number; sharedReduces: number };
  /**
   * Shared-memory gradient buckets (native/src/dist/shm.h), for jobs on one host. `shmCreate` is
   * collective: a bucket of `count` float32 (f64 1: float64) values, or -1 on every rank when
   * some rank passes want 0 or the ranks cannot share memory.
   */
  shmCreate(count: number, f64: number, want: number): number;
  /** Frees a bucket (collective). */
  shmFree(id: number): void;
  /** `src` into this rank's segment at element `at`. */
  shmPut(id: number, at: number, src: Float32Array | Float64Array): void;
  shmZero(id: number, at: number, n: number): void;
  /** This rank's segment is complete (does not block). */
  shmArrive(id: number): void;
  /** Waits until every rank has arrived. */
  shmFinish(id: number): void;
  /** After shmFinish: the ranks' average of the elements at `at` into `dst`. */
  shmAverage(id: number, at: number, dst: Float32Array | Float64Array): void;
  /** Meets every rank in a barrier and finalizes MPI. */
  finalize(): void;
  /** Ends the process at once with `code` (mpirun then ends the job). */
  abort(code: number): never;
}

/**
 * Loads tsgluon_mpi.node from the package at `root` (build/Release, where scripts/build-mpi.mjs
 * puts it; it is never prebuilt), with the reason when it cannot.
 */
export function loadMpiAddon(root = PACKAGE_ROOT): LoadResult<MpiAddon> {
  const r = loadAddon<MpiAddon>('tsgluon_mpi', root);
  if (r.addon !== null || addonCandidates('tsgluon_mpi', root).length > 0) return r;
  return { addon: null, error: 'tsgluon_mpi.node is not built (mpi.h was not found when tsgluon was installed)' };
}

/** The message of `dist.init()` when the addon is unavailable. */
export function missingMpiMessage(reason: string): string {
  return (
    `dist.init: distributed training needs Open MPI and tsgluon's MPI addon, which is unavailable: ${reason}. ` +
    `Install Open MPI (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin; Fedora: dnf install openmpi-devel), ` +
    `then build the addon with npm rebuild tsgluon (or node node_modules/tsgluon/scripts/build-mpi.mjs), ` +
    `and launch the script with mpirun -np N node script.js`
  );
}
