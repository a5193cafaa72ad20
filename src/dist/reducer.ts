/**
 * `GradientReducer`: averages gradients across the ranks of a job, as Horovod's
 * DistributedTrainer and PyTorch's DistributedDataParallel do. Gradients are fused into buckets
 * (one buffer and one average per bucket), and a bucket starts as soon as backward has written its
 * last gradient (autograd's gradient-ready hooks), while backward goes on with the layers before
 * it: an allreduce on the communication thread, or, when every rank runs on this host, a step of
 * the shared-memory average (buckets.ts). `reduce()` then waits for the buckets and copies the
 * averages back into the gradient buffers.
 *
 * Buckets hold parameters in reverse order (backward finishes the last layers first) and start in
 * bucket order only, so every rank issues the same allreduces in the same order even when their
 * graphs differ. Each bucket carries one flag per parameter (1 when this rank's backward wrote the
 * gradient): a parameter no rank computed stays stale everywhere, and one that only some ranks
 * computed gets zeros from the others, as a single process would over the combined batch.
 */
import type { DType } from '../core/dtype.js';
import { ValueError, fmtValue } from '../core/errors.js';
import { checkOptions } from '../core/public.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { onGradReady } from '../autograd/hooks.js';
import { SharedBucket, bucketStore, type BucketStore } from './buckets.js';
import { Communicator } from './communicator.js';
import { agreeOnLayout } from './fused.js';

/** Options of `GradientReducer`. */
export interface ReducerOptions {
  /** Bytes of gradients fused into one allreduce (default 4 MiB). */
  bucketBytes?: number;
}

/** Cumulative figures of a reducer. */
export interface ReducerStats {
  /** Calls of `reduce`. */
  steps: number;
  /** Seconds `reduce` spent waiting for allreduces to complete. */
  waitSeconds: number;
  /** Buckets reduced, of those started during backward, and of those averaged in shared memory. */
  buckets: number;
  bucketsDuringBackward: number;
  sharedBuckets: number;
}

interface Bucket {
  readonly weights: readonly NDArray[];
  readonly store: BucketStore;
  /** Gradients packed this step. */
  packed: number;
  startedEarly: boolean;
}

const DEFAULT_BUCKET_BYTES = 4 << 20;

export class GradientReducer {
  readonly #comm: Communicator;
  readonly #bucketBytes: number;
  #weights: readonly NDArray[] = [];
  #buckets: Bucket[] = [];
  #packed = new Set<NDArray>();
  /** The next bucket to start: buckets start in order. */
  #next = 0;
  /** A gradient was written again after it was packed (a second backward before the step). */
  #dirty = false;
  #unhook: (() => void)[] = [];
  #current = false;
  readonly stats: ReducerStats = { steps: 0, waitSeconds: 0, buckets: 0, bucketsDuringBackward: 0, sharedBuckets: 0 };

  constructor(comm: Communicator, options: ReducerOptions = {}) {
    if (!(comm instanceof Communicator)) throw new ValueError(`GradientReducer: comm must be the dist.Communicator of dist.init(), got ${fmtValue(comm)}`);
    checkOptions('GradientReducer', options);
    const bytes = options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    if (!(Number.isSafeInteger(bytes) && bytes > 0)) throw new ValueError(`GradientReducer: bucketBytes must be a positive integer, got ${fmtValue(bytes)}`);
    this.#comm = comm;
    this.#bucketBytes = bytes;
  }

  /** True when no backward wrote a gradient since the last `reduce`. */
  get current(): boolean {
    return this.#current;
  }

  /**
   * Averages the gradients of `weights` across ranks in place, and sets each weight's
   * `_gradFresh` to whether some rank's backward wrote it. Every rank must pass arrays of the same
   * dtypes and shapes, in the same order (checked whenever the set of arrays changes).
   */
  reduce(weights: readonly NDArray[]): void {
    if (!Array.isArray(weights)) throw new ValueError(`GradientReducer.reduce: weights must be a list of parameter arrays, got ${fmtValue(weights)}`);
    if (weights.length !== this.#weights.length || weights.some((w, i) => w !== this.#weights[i])) this.#build(weights);
    if (this.#dirty) {
      // Early packs may hold gradients a later backward replaced: start over from the buffers.
      this.#settle();
      this.#resetStep();
    }
    while (this.#next < this.#buckets.length) this.#start(this.#buckets[this.#next++]!, false);
    const t0 = performance.now();
    for (const b of this.#buckets) b.store.wait();
    this.stats.waitSeconds += (performance.now() - t0) / 1000;
    for (const b of this.#buckets) {
      b.weights.forEach((w, i) => {
        w._gradFresh = b.store.fresh(i);
        if (w._gradFresh) b.store.unpack(i, w._grad!._raw);
      });
      this.stats.buckets++;
      if (b.startedEarly) this.stats.bucketsDuringBackward++;
      if (b.store instanceof SharedBucket) this.stats.sharedBuckets++;
    }
    this.stats.steps++;
    this.#resetStep();
    this.#current = true;
  }

  #build(weights: readonly NDArray[]): void {
    agreeOnLayout(this.#comm, "Trainer.allreduceGrads (kvstore 'dist_sync'): parameters", weights);
    this.#settle();
    for (const f of this.#unhook) f();
    this.#unhook = [];
    // Every rank rebuilds at the same point (the layout check above): release is collective.
    for (const b of this.#buckets) b.store.release();
    this.#buckets = [];
    const open = new Map<DType, NDArray[]>();
    const bytes = new Map<DType, number>();
    const groups: NDArray[][] = [];
    for (let i = weights.length - 1; i >= 0; i--) {
      const w = weights[i]!;
      const size = w.size * w._raw.BYTES_PER_ELEMENT;
      let group = open.get(w.dtype);
      if (group === undefined || (group.length > 0 && bytes.get(w.dtype)! + size > this.#bucketBytes)) {
        group = [];
        groups.push(group);
        open.set(w.dtype, group);
        bytes.set(w.dtype, 0);
      }
      group.push(w);
      bytes.set(w.dtype, bytes.get(w.dtype)! + size);
    }
    for (const group of groups) {
      const store = bucketStore(this.#comm, group[0]!.dtype, group.map((w) => w.size));
      const bucket: Bucket = { weights: group, store, packed: 0, startedEarly: false };
      this.#buckets.push(bucket);
      group.forEach((w, i) => this.#unhook.push(onGradReady(w, () => this.#ready(bucket, w, i))));
    }
    this.#weights = [...weights];
    this.#resetStep();
  }

  /** A gradient-ready hook: pack the gradient, and start every complete bucket that is next. */
  #ready(bucket: Bucket, w: NDArray, i: number): void {
    this.#current = false;
    if (this.#dirty) return;
    if (this.#packed.has(w)) {
      this.#dirty = true;
      return;
    }
    // Accumulating gradients ('add') may still grow: such buckets are packed by reduce().
    if (w._gradReq !== 'write') return;
    this.#pack(bucket, w, i);
    while (this.#next < this.#buckets.length && this.#buckets[this.#next]!.packed === this.#buckets[this.#next]!.weights.length) {
      this.#start(this.#buckets[this.#next++]!, true);
    }
  }

  #pack(bucket: Bucket, w: NDArray, i: number): void {
    if (w._gradFresh) bucket.store.pack(i, w._grad!._raw);
    else bucket.store.zero(i);
    bucket.store.flag(i, w._gradFresh);
    bucket.packed++;
    this.#packed.add(w);
  }

  #start(bucket: Bucket, early: boolean): void {
    bucket.weights.forEach((w, i) => {
      if (!this.#packed.has(w)) this.#pack(bucket, w, i);
    });
    bucket.store.start();
    bucket.startedEarly = early;
  }

  /** Waits for the averages already started, whose buffers are about to be reused or dropped. */
  #settle(): void {
    for (const b of this.#buckets) b.store.wait();
  }

  #resetStep(): void {
    for (const b of this.#buckets) b.packed = 0;
    this.#packed.clear();
    this.#next = 0;
    this.#dirty = false;
  }
}
