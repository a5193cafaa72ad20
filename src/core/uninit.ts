/**
 * Typed arrays whose contents are not zeroed first, for outputs that a kernel overwrites entirely
 * (primitives with `outputInit: 'none'`, the recurrence's workspace). Zero-filling such a buffer
 * only to overwrite it costs a full memory pass: for the LSTM language model's training step that
 * is over 20 MB per step. Under Node the memory comes from `Buffer.allocUnsafeSlow` (its own
 * ArrayBuffer, never a shared pool slab, so arrays never share a buffer by accident); elsewhere,
 * and for small arrays where zeroing is cheap, it is an ordinary zeroed array.
 */
import { allocate, bytesPerElement, type DType, type TypedArray } from './dtype.js';

/** Below this many elements zeroing costs less than asking for unzeroed memory. */
const MIN_ELEMENTS = 1 << 14;

type UnsafeAlloc = (bytes: number) => { buffer: ArrayBuffer; byteOffset: number };
const unsafe: UnsafeAlloc | null = (globalThis as { Buffer?: { allocUnsafeSlow?: UnsafeAlloc } }).Buffer?.allocUnsafeSlow?.bind(null) ?? null;

const VIEWS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

/** A typed array of `size` elements of `dtype` with unspecified contents; the caller writes every element. */
export function allocateUninitialized(dtype: DType, size: number): TypedArray {
  if (unsafe === null || size < MIN_ELEMENTS) return allocate(dtype, size);
  const b = unsafe(size * bytesPerElement(dtype));
  return new VIEWS[dtype](b.buffer, b.byteOffset, size);
}
