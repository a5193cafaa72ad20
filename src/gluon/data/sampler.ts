/**
 * Samplers decide the order in which a DataLoader visits samples: `SequentialSampler`,
 * `RandomSampler` (a fresh seeded permutation per epoch, drawn from tsgluon's generator so
 * `nd.random.seed` reproduces it), and `BatchSampler`, which groups indices into batches and
 * handles the last, incomplete batch ('keep', 'discard' or 'rollover' into the next epoch).
 */
import { Generator, currentGenerator } from '../../core/rng.js';
import { ValueError, fmtValue } from '../../core/errors.js';
import { checkAllocation } from '../../core/limits.js';
import { checkOptions, relabel } from '../../core/public.js';

/** Sample counts are indices into int32 batches: a non-negative integer below 2^31. */
function checkLength(op: string, length: unknown): void {
  if (!Number.isInteger(length) || (length as number) < 0 || (length as number) >= 2 ** 31) {
    throw new ValueError(`${op}: length must be an integer in [0, 2^31), got ${fmtValue(length)}`);
  }
}

/** An iterable of sample indices with a known count. */
export interface Sampler extends Iterable<number> {
  readonly length: number;
}

/** What to do with the last batch when the batch size does not divide the number of samples. */
export type LastBatch = 'keep' | 'discard' | 'rollover';

/**
 * Indices 0, 1, ..., length - 1 (shifted by `start`).
 * @example [...new gluon.data.SequentialSampler(3)]  // [0, 1, 2]
 */
export class SequentialSampler implements Sampler {
  constructor(
    readonly length: number,
    readonly start = 0,
  ) {
    checkLength('SequentialSampler', length);
    if (!Number.isSafeInteger(start)) throw new ValueError(`SequentialSampler: start must be an integer, got ${fmtValue(start)}`);
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield this.start + i;
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates) drawn from `g`. */
export function permutation(n: number, g: Generator): Int32Array {
  checkLength('permutation', n);
  checkAllocation(n, 4, () => `permutation: a permutation of ${n} indices`);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.nextInt(0, i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/**
 * A new random permutation of 0..length-1 at each iteration (each epoch). Draws from `generator`
 * when given, else from the generator current when the epoch starts (`nd.random.seed` reproduces it).
 * @example nd.random.seed(1); const order = [...new gluon.data.RandomSampler(5)];
 */
export class RandomSampler implements Sampler {
  readonly #generator: Generator | undefined;

  constructor(
    readonly length: number,
    options: { generator?: Generator } = {},
  ) {
    checkLength('RandomSampler', length);
    checkOptions('RandomSampler', options);
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      throw new ValueError(`RandomSampler: generator must be a Generator, got ${fmtValue(options.generator)}`);
    }
    this.#generator = options.generator;
  }

  [Symbol.iterator](): Iterator<number> {
    try {
      return permutation(this.length, this.#generator ?? currentGenerator())[Symbol.iterator]();
    } catch (e) {
      throw relabel(e, 'RandomSampler');
    }
  }
}

/**
 * Groups a sampler's indices into batches of `batchSize`. With 'rollover', the indices left over
 * at the end of an epoch start the next epoch's first batch (Gluon's behavior).
 * @example [...new gluon.data.BatchSampler(new gluon.data.SequentialSampler(5), 2, 'keep')]  // [0,1] [2,3] [4]
 */
export class BatchSampler implements Iterable<Int32Array> {
  #prev: number[] = [];

  constructor(
    readonly sampler: Sampler,
    readonly batchSize: number,
    readonly lastBatch: LastBatch = 'keep',
  ) {
    if (sampler === null || typeof sampler !== 'object' || typeof (sampler as Partial<Sampler>)[Symbol.iterator] !== 'function' || !Number.isSafeInteger(sampler.length)) {
      throw new ValueError(`BatchSampler: sampler must be an iterable of indices with a length (a SequentialSampler, RandomSampler...), got ${fmtValue(sampler)}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`BatchSampler: batchSize must be a positive integer, got ${fmtValue(batchSize)}`);
    }
    if (lastBatch !== 'keep' && lastBatch !== 'discard' && lastBatch !== 'rollover') {
      throw new ValueError(`BatchSampler: lastBatch must be 'keep', 'discard' or 'rollover', got ${fmtValue(lastBatch)}`);
    }
  }

  /** The number of batches the next epoch yields. */
  get length(): number {
    const n = this.sampler.length;
    const b = this.batchSize;
    if (this.lastBatch === 'keep') return Math.ceil(n / b);
    if (this.lastBatch === 'discard') return Math.floor(n / b);
    return Math.floor((this.#prev.length + n) / b);
  }

  *[Symbol.iterator](): Iterator<Int32Array> {
    const b = this.batchSize;
    const carried = this.lastBatch === 'rollover' ? this.#prev : [];
    this.#prev = [];
    // A batch never holds more indices than the epoch has, whatever batchSize says (2^53 must
    // not allocate 2^53 slots); the buffer grows if a sampler yields more than its length.
    const first = Math.max(1, Math.min(b, carried.length + this.sampler.length));
    checkAllocation(first, 4, () => `BatchSampler: a batch of ${first} indices`);
    let batch = new Int32Array(first);
    let fill = 0;
    for (const source of [carried, this.sampler]) {
      for (const i of source) {
        if (!Number.isInteger(i)) throw new ValueError(`BatchSampler: the sampler yielded ${fmtValue(i)}, not an integer index`);
        if (fill === batch.length) {
          const grown = Math.min(b, 2 * batch.length);
          checkAllocation(grown, 4, () => `BatchSampler: a batch of ${grown} indices`);
          const next = new Int32Array(grown);
          next.set(batch);
          batch = next;
        }
        batch[fill++] = i;
        if (fill === b) {
          yield batch;
          batch = new Int32Array(first);
          fill = 0;
        }
      }
    }
    if (fill === 0) return;
    if (this.lastBatch === 'keep') yield batch.slice(0, fill);
    else if (this.lastBatch === 'rollover') this.#prev = Array.from(batch.subarray(0, fill));
  }
}
