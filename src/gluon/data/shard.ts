/**
 * Sharding a dataset across the ranks of a distributed job (PyTorch's DistributedSampler, Gluon's
 * SplitSampler): rank r of N visits positions r, r + N, r + 2N, ... of the epoch's order, so the N
 * ranks' batches i together are the single-process batch i of N times the size. Every rank gets
 * the same number of samples, floor(n / N): the up to N - 1 samples left over are skipped that
 * epoch (with shuffling, different ones each epoch), because a rank with one batch more would wait
 * forever for the others at the next gradient allreduce.
 *
 * With shuffling the ranks must share the epoch's order. Given the job's Communicator, rank 0
 * draws each epoch's seed from its generator and broadcasts it; given only `{ rank, size }`, the
 * shuffle draws from each rank's generator, which must then be seeded alike on every rank.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import { Generator, currentGenerator } from '../../core/rng.js';
import { Communicator } from '../../dist/communicator.js';
import { permutation, type Sampler } from './sampler.js';

/** Which part of the data this process takes: a `dist.Communicator`, or its rank and size. */
export interface Shard {
  readonly rank: number;
  readonly size: number;
}

/** Checks a shard description, naming the caller. */
function checkShard(shard: Shard, where: string): void {
  if (shard === null || typeof shard !== 'object') {
    throw new ValueError(`${where}: shard must be a dist.Communicator or { rank, size }, got ${fmtValue(shard)}`);
  }
  const { rank, size } = shard;
  if (!Number.isInteger(size) || size < 1 || !Number.isInteger(rank) || rank < 0 || rank >= size) {
    throw new ValueError(`${where}: shard must have an integer size >= 1 and a rank in [0, size - 1], got rank ${String(rank)} of size ${String(size)}`);
  }
}

/**
 * Positions `rank`, `rank + size`, ... of `base`'s order: `floor(base.length / size)` of them, or
 * with `even: false` every one to the end (ranks then differ by at most one sample: for
 * evaluation, where no rank waits for the others after each batch).
 * @example [...new gluon.data.ShardSampler(new gluon.data.SequentialSampler(7), { rank: 1, size: 3 })]  // [1, 4]
 */
export class ShardSampler implements Sampler {
  readonly #base: Sampler;
  readonly #rank: number;
  readonly #size: number;
  readonly #even: boolean;

  constructor(base: Sampler, shard: Shard, options: { even?: boolean } = {}) {
    checkShard(shard, 'ShardSampler');
    this.#base = base;
    this.#rank = shard.rank;
    this.#size = shard.size;
    this.#even = options.even ?? true;
  }

  get length(): number {
    const n = this.#base.length;
    return this.#even ? Math.floor(n / this.#size) : Math.floor(n / this.#size) + (this.#rank < n % this.#size ? 1 : 0);
  }

  *[Symbol.iterator](): Iterator<number> {
    const end = this.#even ? Math.floor(this.#base.length / this.#size) * this.#size : Infinity;
    let pos = 0;
    for (const i of this.#base) {
      if (pos >= end) return;
      if (pos % this.#size === this.#rank) yield i;
      pos++;
    }
  }
}

/** A new random order each epoch, the same on every rank of `comm`: rank 0 draws the seed. */
export class AgreedRandomSampler implements Sampler {
  constructor(
    readonly length: number,
    readonly comm: Communicator,
  ) {}

  [Symbol.iterator](): Iterator<number> {
    const seed = new Float64Array([this.comm.rank === 0 ? currentGenerator().nextUint32() : 0]);
    this.comm.broadcastStart(seed, 0).wait();
    return permutation(this.length, new Generator(seed[0]!))[Symbol.iterator]();
  }
}
