/**
 * Typed arrays whose contents are left uninitialized, for op outputs that a kernel overwrites
 * completely (`Primitive.outputInit: 'none'`). A zero-filled typed array costs a memset over the
 * whole block before the kernel writes it again; on Node, `Buffer.allocUnsafeSlow` hands out a
 * block of its own (never a slice of a shared pool) without that pass. Small arrays, and runtimes
 * without `Buffer`, get an ordinary zero-filled array: the saving is only worth it for big ones.
 */
import { allocate, bytesPerElement, type DType, type TypedArray } from './dtype.js';
import { fitsAllocation } from './limits.js';

/** Below this many bytes a zero-filled array is as cheap as an uninitialized one. */
const MIN_BYTES = 1 << 16;

interface NodeBuffer {
  allocUnsafeSlow(size: number): Uint8Array<ArrayBuffer>;
}
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

const VIEWS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
} as const;

/** A typed array of `size` elements of `dtype` whose initial contents are unspecified. */
export function allocateUninitialized(dtype: DType, size: number): TypedArray {
  const bytes = size * bytesPerElement(dtype);
  // Past the allocation limit, `allocate` throws the typed error that names the request.
  if (nodeBuffer === undefined || bytes < MIN_BYTES || !fitsAllocation(size, bytesPerElement(dtype))) return allocate(dtype, size);
  let b: Uint8Array<ArrayBuffer>;
  try {
    b = nodeBuffer.allocUnsafeSlow(bytes);
  } catch {
    // The system refused the memory: `allocate` tries again and turns a refusal into a typed error.
    return allocate(dtype, size);
  }
  return new VIEWS[dtype](b.buffer, b.byteOffset, size);
}
