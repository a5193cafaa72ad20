/**
 * Fusion: many arrays of one dtype laid end to end in one buffer, so one collective moves them
 * all (Horovod's tensor fusion). Used to broadcast parameters and to reduce gradients in buckets.
 */
import { allocate, type DType, type TypedArray } from '../core/dtype.js';
import type { NDArray } from '../ndarray/ndarray.js';
import type { Communicator } from './communicator.js';

/** Arrays of sizes `sizes`, then `extra` more elements, in one buffer of `dtype`. */
export class FusedBuffer {
  readonly buf: TypedArray;
  readonly offsets: readonly number[];
  readonly sizes: readonly number[];
  /** Where the extra elements start. */
  readonly extraAt: number;

  constructor(dtype: DType, sizes: readonly number[], extra = 0) {
    const offsets: number[] = [];
    let at = 0;
    for (const n of sizes) {
      offsets.push(at);
      at += n;
    }
    this.buf = allocate(dtype, at + extra);
    this.offsets = offsets;
    this.sizes = [...sizes];
    this.extraAt = at;
  }

  /** Copies `src` into part `i`. */
  pack(i: number, src: TypedArray): void {
    this.buf.set(src, this.offsets[i]!);
  }

  /** Fills part `i` with zeros. */
  zero(i: number): void {
    this.buf.fill(0, this.offsets[i]!, this.offsets[i]! + this.sizes[i]!);
  }

  /** Copies part `i` into `dst`. */
  unpack(i: number, dst: TypedArray): void {
    dst.set(this.buf.subarray(this.offsets[i]!, this.offsets[i]! + this.sizes[i]!));
  }
}

/** A short fingerprint (FNV-1a) of the dtypes and shapes of `arrays`, in order. */
export function layoutHash(arrays: readonly NDArray[]): number {
  let h = 0x811c9dc5;
  for (const ch of arrays.map((a) => `${a.dtype}${a.shape.join('x')}`).join(',')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Checks that every rank passes arrays of the same dtypes and shapes, in the same order; throws
 * the same DistributedError on every rank when they differ.
 */
export function agreeOnLayout(comm: Communicator, where: string, arrays: readonly NDArray[]): void {
  comm.agree(
    where,
    [
      ['number of arrays', arrays.length],
      ['fingerprint of their dtypes and shapes', layoutHash(arrays)],
    ],
    'Every rank must build the same network: the same parameters, with the same shapes and dtypes, in the same order',
  );
}

/**
 * Overwrites `arrays` on every rank with rank `root`'s values: one broadcast per dtype. The ranks
 * must pass arrays of the same dtypes and shapes in the same order (checked first).
 */
export function broadcastArrays(comm: Communicator, where: string, arrays: readonly NDArray[], root = 0): void {
  agreeOnLayout(comm, where, arrays);
  for (const dtype of [...new Set(arrays.map((a) => a.dtype))]) {
    const group = arrays.filter((a) => a.dtype === dtype);
    const fused = new FusedBuffer(dtype, group.map((a) => a.size));
    if (comm.rank === root) group.forEach((a, i) => fused.pack(i, a._raw));
    comm.broadcastStart(fused.buf, root).wait();
    if (comm.rank !== root) group.forEach((a, i) => fused.unpack(i, a._raw));
  }
}
