/**
 * Where a gradient bucket lives and how it is averaged across ranks (used by reducer.ts). Two
 * kinds, the same to the reducer: `MpiBucket` packs gradients into one buffer and averages it
 * with MPI's allreduce on the communication thread, for any job; `SharedBucket` is the fast path
 * of a job whose ranks (at most 4) all run on one host: gradients are copied into this rank's part
 * of a shared-memory window, and once every rank has arrived each reads every rank's part and
 * writes the average straight into its gradients (see native/src/dist/shm.h), with no copy
 * through MPI's transport and no thread hand-off.
 *
 * Each bucket also carries one flag per gradient, 1 when this rank's backward wrote it, averaged
 * with the values: a positive average means some rank computed the gradient.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import type { Communicator, Pending } from './communicator.js';
import { FusedBuffer } from './fused.js';

/** One bucket's storage and collective. `start` once a step, then `wait` before reading. */
export interface BucketStore {
  /** Copies gradient `i` into the bucket. */
  pack(i: number, src: TypedArray): void;
  /** Zeros in place of gradient `i` (this rank did not compute it). */
  zero(i: number): void;
  /** Sets the flag of gradient `i`: whether this rank's backward wrote it. */
  flag(i: number, fresh: boolean): void;
  /** Starts averaging what was packed across ranks. */
  start(): void;
  /** Waits for the average (repeatable). */
  wait(): void;
  /** After `wait`: whether some rank computed gradient `i`. */
  fresh(i: number): boolean;
  /** After `wait`: copies the average of gradient `i` into `dst`. */
  unpack(i: number, dst: TypedArray): void;
  /** Frees what the bucket holds outside JavaScript's heap (collective), when it is replaced. */
  release(): void;
}

/** 1.0 as stored by the 16-bit float dtypes (bit patterns): the flag of a fresh gradient. */
const ONE_BITS: Readonly<Record<string, number>> = { float16: 0x3c00, bfloat16: 0x3f80 };

/** A fused buffer averaged by MPI's allreduce, on the communication thread. */
export class MpiBucket implements BucketStore {
  readonly #comm: Communicator;
  readonly #dtype: DType;
  readonly #fused: FusedBuffer;
  #pending: Pending | null = null;

  constructor(comm: Communicator, dtype: DType, sizes: readonly number[]) {
    this.#comm = comm;
    this.#dtype = dtype;
    this.#fused = new FusedBuffer(dtype, sizes, sizes.length);
  }

  pack(i: number, src: TypedArray): void {
    this.#fused.pack(i, src);
  }

  zero(i: number): void {
    this.#fused.zero(i);
  }

  flag(i: number, fresh: boolean): void {
    this.#fused.buf[this.#fused.extraAt + i] = fresh ? (ONE_BITS[this.#dtype] ?? 1) : 0;
  }

  start(): void {
    this.#pending = this.#comm.allreduceStart(this.#fused.buf, 'average', this.#dtype);
  }

  wait(): void {
    this.#pending?.wait();
  }

  fresh(i: number): boolean {
    // A positive value (or bit pattern, for 16-bit floats) means some rank computed it.
    return this.#fused.buf[this.#fused.extraAt + i]! > 0;
  }

  unpack(i: number, dst: TypedArray): void {
    this.#fused.unpack(i, dst);
  }

  release(): void {}
}

/** The part of a shared-memory window that the addon exposes: one bucket of float32 or float64. */
export interface SharedRegion {
  put(at: number, src: Float32Array | Float64Array): void;
  zero(at: number, n: number): void;
  arrive(): void;
  finish(): void;
  average(at: number, dst: Float32Array | Float64Array): void;
  /** Frees the window (collective); the region is unusable afterwards. */
  free(): void;
}

/** A bucket in shared memory, for ranks on one host (float32 and float64 gradients). */
export class SharedBucket implements BucketStore {
  readonly #region: SharedRegion;
  readonly #offsets: readonly number[];
  readonly #sizes: readonly number[];
  readonly #flags: Float32Array | Float64Array;
  readonly #flagsAt: number;
  #started = false;

  constructor(region: SharedRegion, dtype: 'float32' | 'float64', sizes: readonly number[]) {
    this.#region = region;
    let at = 0;
    this.#offsets = sizes.map((n) => (at += n) - n);
    this.#sizes = [...sizes];
    this.#flagsAt = at;
    this.#flags = dtype === 'float64' ? new Float64Array(sizes.length) : new Float32Array(sizes.length);
  }

  /** Elements a bucket of parts `sizes` needs: the parts, then one flag per part. */
  static elements(sizes: readonly number[]): number {
    return sizes.reduce((a, b) => a + b, sizes.length);
  }

  pack(i: number, src: TypedArray): void {
    this.#region.put(this.#offsets[i]!, src as Float32Array | Float64Array);
  }

  zero(i: number): void {
    this.#region.zero(this.#offsets[i]!, this.#sizes[i]!);
  }

  flag(i: number, fresh: boolean): void {
    this.#flags[i] = fresh ? 1 : 0;
  }

  start(): void {
    this.#region.put(this.#flagsAt, this.#flags);
    this.#region.arrive();
    this.#started = true;
  }

  wait(): void {
    if (!this.#started) return;
    this.#started = false;
    this.#region.finish();
    this.#region.average(this.#flagsAt, this.#flags);
  }

  fresh(i: number): boolean {
    return this.#flags[i]! > 0;
  }

  unpack(i: number, dst: TypedArray): void {
    this.#region.average(this.#offsets[i]!, dst as Float32Array | Float64Array);
  }

  release(): void {
    this.#region.free();
  }
}

/**
 * The store of a bucket of `dtype` gradients of `sizes`: shared memory when every rank runs on
 * this host and the dtype is float32 or float64 (unless TSGLUON_DIST_SHM=0), else MPI.
 * Collective: every rank must call it for the same buckets in the same order.
 */
export function bucketStore(comm: Communicator, dtype: DType, sizes: readonly number[]): BucketStore {
  if (comm.localSize === comm.size && (dtype === 'float32' || dtype === 'float64')) {
    const region = comm.sharedRegion(dtype, SharedBucket.elements(sizes));
    if (region !== null) return new SharedBucket(region, dtype, sizes);
  }
  return new MpiBucket(comm, dtype, sizes);
}
