/**
 * D2L's minibatches of a long token sequence for language models (section 8.3): random sampling
 * (`seqDataIterRandom`: subsequences at a random offset, in random order, so consecutive batches
 * are unrelated) and sequential partitioning (`seqDataIterSequential`: row i of a batch continues
 * row i of the previous batch, so a model may carry its state across batches), and
 * `SeqDataLoader`, which re-draws the offset at every epoch. X and Y are (batchSize, numSteps)
 * int32 arrays, Y being X shifted by one token. Randomness comes from tsgluon's generator, so
 * `nd.random.seed` reproduces the batches.
 */
import { Generator, currentGenerator } from '../../../core/rng.js';
import { ValueError, fmtValue } from '../../../core/errors.js';
import { checkOptions, publicOp } from '../../../core/public.js';
import { NDArray } from '../../../ndarray/ndarray.js';
import { permutation } from '../sampler.js';

/** One minibatch: inputs X and targets Y, each (batchSize, numSteps) int32. */
export type SeqBatch = [NDArray, NDArray];

function checkArgs(who: string, corpus: ArrayLike<number>, batchSize: number, numSteps: number, generator: Generator | undefined): void {
  const c = corpus as unknown;
  if (c === null || typeof c !== 'object' || !Number.isSafeInteger((c as { length?: unknown }).length)) {
    throw new ValueError(`${who}: the corpus must be a list or Int32Array of token indices (text.loadCorpus makes one), got ${fmtValue(corpus)}`);
  }
  for (const [name, v] of [['batchSize', batchSize], ['numSteps', numSteps]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ValueError(`${who}: ${name} must be a positive integer, got ${fmtValue(v)}`);
  }
  if (corpus.length < 2) throw new ValueError(`${who}: the corpus has ${corpus.length} tokens; it needs at least 2`);
  if (generator !== undefined && !(generator instanceof Generator)) {
    throw new ValueError(`${who}: generator must be a Generator (new Generator(seed)), got ${fmtValue(generator)}`);
  }
}

function batchOf(corpus: ArrayLike<number>, starts: readonly number[], numSteps: number, shift: number): NDArray {
  const out = new Int32Array(starts.length * numSteps);
  starts.forEach((s, r) => {
    for (let j = 0; j < numSteps; j++) out[r * numSteps + j] = corpus[s + shift + j]!;
  });
  return new NDArray(out, [starts.length, numSteps], 'int32');
}

type Batches = (corpus: ArrayLike<number>, batchSize: number, numSteps: number, generator?: Generator) => IterableIterator<SeqBatch>;

/**
 * `batches` under its public name `name`: the arguments are checked at the call (a generator's
 * body would check them only at the first batch); the random draws happen when iterated.
 */
function checkedAtCall(name: string, batches: Batches): Batches {
  return publicOp(name, function (corpus: ArrayLike<number>, batchSize: number, numSteps: number, generator?: Generator): IterableIterator<SeqBatch> {
    checkArgs(name, corpus, batchSize, numSteps, generator);
    return batches(corpus, batchSize, numSteps, generator);
  });
}

/**
 * Random sampling: drops a random number (0..numSteps-1) of leading tokens, cuts the rest into
 * subsequences of numSteps tokens, and yields them in random order, batchSize at a time.
 * Arguments are checked at the call; the random draws happen at the first batch.
 * @example for (const [X, Y] of text.seqDataIterRandom(corpus, 2, 5)) ...
 */
export const seqDataIterRandom = checkedAtCall('seqDataIterRandom', randomBatches);

function* randomBatches(corpus: ArrayLike<number>, batchSize: number, numSteps: number, generator?: Generator): IterableIterator<SeqBatch> {
  const g = generator ?? currentGenerator();
  const offset = g.nextInt(0, numSteps);
  const numSubseqs = Math.max(0, Math.floor((corpus.length - offset - 1) / numSteps));
  const order = permutation(numSubseqs, g);
  const numBatches = Math.floor(numSubseqs / batchSize);
  for (let b = 0; b < numBatches; b++) {
    const starts = Array.from(order.subarray(b * batchSize, (b + 1) * batchSize), (k) => offset + k * numSteps);
    yield [batchOf(corpus, starts, numSteps, 0), batchOf(corpus, starts, numSteps, 1)];
  }
}

/**
 * Sequential partitioning: from a random offset (0..numSteps), the tokens are laid out in
 * batchSize rows and cut into consecutive windows of numSteps columns. Arguments are checked at
 * the call; the random offset is drawn at the first batch.
 * @example for (const [X, Y] of text.seqDataIterSequential(corpus, 2, 5, new Generator(0))) ...
 */
export const seqDataIterSequential = checkedAtCall('seqDataIterSequential', sequentialBatches);

function* sequentialBatches(corpus: ArrayLike<number>, batchSize: number, numSteps: number, generator?: Generator): IterableIterator<SeqBatch> {
  const g = generator ?? currentGenerator();
  const offset = g.nextInt(0, numSteps + 1);
  const rowLen = Math.floor((corpus.length - offset - 1) / batchSize);
  const numBatches = Math.floor(rowLen / numSteps);
  for (let b = 0; b < numBatches; b++) {
    const starts = Array.from({ length: batchSize }, (_, r) => offset + r * rowLen + b * numSteps);
    yield [batchOf(corpus, starts, numSteps, 0), batchOf(corpus, starts, numSteps, 1)];
  }
}

/** Options of `SeqDataLoader`. */
export interface SeqDataLoaderOptions {
  /** Random sampling (true) or sequential partitioning (false, the default). */
  useRandomIter?: boolean;
  /** The generator to draw offsets and orders from (default: tsgluon's current one). */
  generator?: Generator;
}

/**
 * Iterates minibatches of a corpus; each iteration (epoch) draws a new offset (and order).
 * @example const loader = new text.SeqDataLoader(corpus, 32, 35); for (const [X, Y] of loader) ...
 */
export class SeqDataLoader implements Iterable<SeqBatch> {
  readonly corpus: ArrayLike<number>;
  readonly batchSize: number;
  readonly numSteps: number;
  readonly useRandomIter: boolean;
  readonly #generator: Generator | undefined;

  constructor(corpus: ArrayLike<number>, batchSize: number, numSteps: number, options: SeqDataLoaderOptions = {}) {
    checkOptions('SeqDataLoader', options);
    checkArgs('SeqDataLoader', corpus, batchSize, numSteps, options.generator);
    this.corpus = corpus;
    this.batchSize = batchSize;
    this.numSteps = numSteps;
    this.useRandomIter = options.useRandomIter ?? false;
    this.#generator = options.generator;
  }

  [Symbol.iterator](): Iterator<SeqBatch> {
    const fn = this.useRandomIter ? seqDataIterRandom : seqDataIterSequential;
    return fn(this.corpus, this.batchSize, this.numSteps, this.#generator);
  }
}
