/**
 * DataLoader: iterates over a dataset in batches, as Gluon's `gluon.data.DataLoader`.
 *
 * `for (const [x, y] of loader)` yields one batch per step; every `for ... of` is one epoch, with
 * a fresh seeded shuffle when `shuffle` is on; with `shard`, one process of a distributed job
 * visits only its share (shard.ts). When the dataset can batch by itself (arrays,
 * MNIST, and batch-capable transforms over them) batches are copied row by row from contiguous
 * storage; otherwise samples are fetched with `get(i)` and combined by `batchify`. Loading runs
 * on the main thread (there are no worker processes): batching is a memory copy, cheap next to
 * the forward and backward passes.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import { checkOptions, relabel } from '../../core/public.js';
import type { Generator } from '../../core/rng.js';
import { defaultBatchify, type Batched } from './batchify.js';
import { Dataset } from './dataset.js';
import { BatchSampler, RandomSampler, SequentialSampler, type LastBatch, type Sampler } from './sampler.js';
import { AgreedRandomSampler, ShardSampler, type Shard } from './shard.js';
import { Communicator } from '../../dist/communicator.js';

/** Options of `DataLoader`. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch. Required unless `batchSampler` is given. */
  batchSize?: number;
  /** Visit samples in a new random order each epoch (default false). */
  shuffle?: boolean;
  /** The last, incomplete batch: 'keep' (default), 'discard', or 'rollover' into the next epoch. */
  lastBatch?: LastBatch;
  /** Combines a list of samples into a batch (default: `defaultBatchify`). */
  batchify?: (samples: T[]) => B;
  /** The order of sample indices (instead of `shuffle`). */
  sampler?: Sampler;
  /** Yields whole batches of indices (instead of batchSize, shuffle, sampler and lastBatch). */
  batchSampler?: Iterable<ArrayLike<number>> & { readonly length: number };
  /** The generator shuffling draws from (default: the current one, which `nd.random.seed` resets). */
  generator?: Generator;
  /**
   * Distributed training: visit only this process's share of the samples, given the job's
   * `dist.Communicator` (or `{ rank, size }`). See `ShardSampler`; with a Communicator the ranks
   * shuffle alike without further setup.
   */
  shard?: Shard;
}

/**
 * Loads a dataset in batches.
 * @example
 * const loader = new gluon.data.DataLoader(train, { batchSize: 256, shuffle: true });
 * for (const [x, y] of loader) {
 *   const l = autograd.record(() => loss.forward(net.forward(x), y));
 *   l.backward();
 *   trainer.step(x.shape[0]);
 * }
 */
export class DataLoader<T, B = Batched<T>> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly #batchSampler: Iterable<ArrayLike<number>> & { readonly length: number };
  readonly #batchify: ((samples: T[]) => B) | undefined;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    try {
      this.#batchSampler = DataLoader.#sampling(dataset, options);
    } catch (e) {
      // The samplers it builds name themselves; the user called DataLoader.
      throw relabel(e, 'DataLoader');
    }
    this.dataset = dataset;
    this.#batchify = options.batchify;
  }

  static #sampling<T, B>(dataset: Dataset<T>, options: DataLoaderOptions<T, B>): Iterable<ArrayLike<number>> & { readonly length: number } {
    checkOptions('DataLoader', options);
    if (!(dataset instanceof Dataset)) {
      throw new ValueError(`DataLoader: the dataset must be a gluon.data.Dataset (an ArrayDataset, SimpleDataset, MNIST...), got ${fmtValue(dataset)}`);
    }
    if (options.batchify !== undefined && typeof options.batchify !== 'function') {
      throw new ValueError(`DataLoader: batchify must be a function of a list of samples, got ${fmtValue(options.batchify)}`);
    }
    if (options.batchSampler !== undefined) {
      const clash = (['batchSize', 'shuffle', 'sampler', 'lastBatch', 'shard'] as const).filter((k) => options[k] !== undefined);
      if (clash.length > 0) {
        throw new ValueError(`DataLoader: batchSampler already decides batches; do not also pass ${clash.join(', ')}`);
      }
      const bs = options.batchSampler as unknown;
      if (bs === null || typeof bs !== 'object' || typeof (bs as Iterable<unknown>)[Symbol.iterator] !== 'function' || !Number.isSafeInteger((bs as { length?: unknown }).length)) {
        throw new ValueError(`DataLoader: batchSampler must be an iterable of index batches with a length (a BatchSampler), got ${fmtValue(bs)}`);
      }
      return options.batchSampler;
    }
    if (options.batchSize === undefined) {
      throw new ValueError('DataLoader: batchSize is required (or pass a batchSampler), e.g. new DataLoader(ds, { batchSize: 256 })');
    }
    if (options.sampler !== undefined && options.shuffle) {
      throw new ValueError('DataLoader: pass either shuffle or a sampler, not both (a sampler decides the order itself)');
    }
    const n = dataset.length;
    const { shard, generator } = options;
    // Sharded across a job, ranks must shuffle alike: rank 0 draws each epoch's order for all.
    const shuffled = (): Sampler =>
      generator === undefined && shard instanceof Communicator ? new AgreedRandomSampler(n, shard) : new RandomSampler(n, generator ? { generator } : {});
    const sampler = options.sampler ?? (options.shuffle ? shuffled() : new SequentialSampler(n));
    return new BatchSampler(shard === undefined ? sampler : new ShardSampler(sampler, shard), options.batchSize, options.lastBatch ?? 'keep');
  }

  /** The number of batches one epoch yields. */
  get length(): number {
    return this.#batchSampler.length;
  }

  *[Symbol.iterator](): Iterator<B> {
    try {
      for (const indices of this.#batchSampler) yield this.batch(indices);
    } catch (e) {
      throw relabel(e, 'DataLoader');
    }
  }

  /** The batch made of samples `indices`, as the loader would yield it. */
  batch(indices: ArrayLike<number>): B {
    if (!(indices instanceof Int32Array) && !(Array.isArray(indices) && indices.every((i) => Number.isInteger(i)))) {
      throw new ValueError(`DataLoader: a batch of indices must be an Int32Array or a list of integers, got ${fmtValue(indices)}`);
    }
    const idx = indices instanceof Int32Array ? indices : Int32Array.from(indices);
    if (this.#batchify === undefined) {
      const fast = this.dataset._batch(idx);
      if (fast !== null) return fast as B;
    }
    const samples = Array.from(idx, (i) => this.dataset.get(i));
    return this.#batchify ? this.#batchify(samples) : (defaultBatchify(samples) as B);
  }
}
