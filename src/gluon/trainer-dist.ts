/**
 * The Trainer's `kvstore: 'dist_sync'`: data-parallel training over MPI, as Gluon's dist_sync
 * kvstore and Horovod's DistributedTrainer do it. Every rank runs the same script on its own shard
 * of the data; parameters start equal on every rank (rank 0's values are broadcast as soon as they
 * exist), and before each update the gradients are averaged across ranks, so every rank applies
 * the same update.
 *
 * Deferred initialization stays intact: a parameter still pending when the Trainer is built is
 * broadcast the moment the first forward infers its shape and fills it, before any value of it is
 * used. That is a collective step inside the forward, so every rank must run the same calls up to
 * there (a `net.summary()` on rank 0 alone before the first forward would fill parameters on rank
 * 0 alone).
 */
import { ValueError, fmtValue } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Communicator } from '../dist/communicator.js';
import { init } from '../dist/init.js';
import { broadcastArrays } from '../dist/fused.js';
import { GradientReducer, type ReducerStats } from '../dist/reducer.js';
import type { Parameter } from './parameter.js';

/** How a Trainer combines gradients: 'device' (one process) or 'dist_sync' (across MPI ranks). */
export type KVStore = 'device' | 'local' | 'dist_sync';

/** The 4th argument of `new Trainer(...)`. */
export interface TrainerOptions {
  /**
   * 'device' (default) trains in this process alone. 'dist_sync' (or a Communicator) averages
   * gradients across the ranks of the MPI job before every update (`dist.init()` is called if it
   * was not); launch with `mpirun -np N node script.js`.
   */
  kvstore?: KVStore | Communicator;
  /** Bytes of gradients fused into one allreduce with 'dist_sync' (default 4 MiB). */
  bucketBytes?: number;
}

/** The distributed half of a Trainer with kvstore 'dist_sync'. */
export class DistSync {
  readonly comm: Communicator;
  readonly #reducer: GradientReducer;

  constructor(params: readonly Parameter[], comm: Communicator, bucketBytes: number | undefined) {
    this.comm = comm;
    this.#reducer = new GradientReducer(comm, bucketBytes === undefined ? {} : { bucketBytes });
    const where = "Trainer (kvstore 'dist_sync'): broadcasting parameters from rank 0";
    broadcastArrays(comm, where, params.filter((p) => p.state === 'initialized').map((p) => p.data()));
    for (const p of params) p.onMaterialize((data) => broadcastArrays(comm, `${where} (${p.name}, just initialized)`, [data]));
  }

  /** Averages the gradients of `params` across ranks (see GradientReducer). */
  allreduce(params: readonly Parameter[]): void {
    this.#reducer.reduce(params.map((p): NDArray => p.data()));
  }

  /** True when the gradients were averaged after the last backward. */
  get reduced(): boolean {
    return this.#reducer.current;
  }

  get stats(): ReducerStats {
    return { ...this.#reducer.stats };
  }
}

/** The DistSync a Trainer's options ask for, or null for a single-process Trainer. */
export function distSyncFor(params: readonly Parameter[], options: TrainerOptions): DistSync | null {
  const kv = options.kvstore ?? 'device';
  if (kv === 'device' || kv === 'local') {
    if (options.bucketBytes !== undefined) throw new ValueError("Trainer: bucketBytes only applies with kvstore 'dist_sync'");
    return null;
  }
  if (kv === 'dist_sync') return new DistSync(params, init(), options.bucketBytes);
  if (kv instanceof Communicator) return new DistSync(params, kv, options.bucketBytes);
  throw new ValueError(`Trainer: kvstore must be 'device', 'local', 'dist_sync' or a dist.Communicator, got ${fmtValue(kv)}`);
}
