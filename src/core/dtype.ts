/**
 * Data types of NDArrays and the rules for combining them.
 *
 * Four compute dtypes are supported, each stored in the matching typed array, and two 16-bit
 * storage dtypes, float16 and bfloat16, held as bit patterns in a Uint16Array (see half.ts): ops
 * compute them in float32 and return float32 (`apply` widens them first), so they serve to store
 * parameters and to read and write files as PyTorch and safetensors hold them. When two arrays
 * meet in a binary op, the result takes the "wider" of the two in the order
 * `uint8 < int32 < float16, bfloat16 < float32 < float64` (float16 with bfloat16 gives float32). A JavaScript number used as an operand takes the dtype of
 * the array it meets (Gluon's rule, so `x.mul(2)` on float32 stays float32), with two exceptions:
 * a fractional number meeting an integer array promotes the result to float32, and an integer
 * outside an integer array's range widens it (uint8 to int32, int32 to float64).
 *
 * Ops with their own rules: `div`, `pow`, `arctan2` and `hypot` compute integer operands in
 * float32; math functions (exp, log, sigmoid...) turn integer input into float32; `sum` and `prod`
 * of uint8 compute in int32; `mean` and `norm` of integers give float32; comparisons return 0/1
 * in the operands' dtype (as MXNet does); `argmax`/`argmin` return int32.
 */
import { fmtShape } from './errors.js';
import { allocationError, checkAllocation, fitsAllocation } from './limits.js';

/** The element type of an NDArray. */
export type DType = 'float32' | 'float64' | 'int32' | 'uint8' | 'float16' | 'bfloat16';

/** The storage behind an NDArray of each dtype (Uint16Array: float16 and bfloat16 bit patterns). */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;

/** The floating-point dtypes that math functions and gradients compute in. */
export type FloatDType = 'float32' | 'float64';

/** Every supported dtype, the default (float32) first. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8', 'float16', 'bfloat16'];

const RANK: Record<DType, number> = { uint8: 0, int32: 1, float16: 2, bfloat16: 2, float32: 3, float64: 4 };

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
} as const;

/** True when `s` names a supported dtype; narrows untrusted input such as option values. */
export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && s in RANK;
}

/** True for the float dtypes: float32, float64 and the 16-bit storage ones (float16, bfloat16). */
export function isFloat(dtype: DType): dtype is FloatDType | 'float16' | 'bfloat16' {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

/** The wider of two dtypes, used for array-array binary ops. */
export function promote(a: DType, b: DType): DType {
  if (RANK[a] === RANK[b] && a !== b) return 'float32';
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype of `array op scalar`: the array's, unless a fraction meets an integer array. */
export function promoteScalar(a: DType, scalar: number): DType {
  if (!isFloat(a) && !Number.isInteger(scalar)) return 'float32';
  return a;
}

/**
 * A zero-filled typed array of `size` elements of `dtype`, within the allocation limit
 * (core/limits.ts); `shape`, when given, only improves the error message.
 */
export function allocate(dtype: DType, size: number, shape?: readonly number[]): TypedArray {
  const ctor = CTORS[dtype];
  // The check every op output passes through: no closure unless it fails.
  if (!fitsAllocation(size, ctor.BYTES_PER_ELEMENT)) {
    checkAllocation(size, ctor.BYTES_PER_ELEMENT, () => `${dtype === 'int32' ? 'an' : 'a'} ${dtype} array of ${shape === undefined ? `${size} elements` : `shape ${fmtShape(shape)}`}`);
  }
  try {
    return new ctor(size);
  } catch (e) {
    // The limit allowed it but the system did not have the memory.
    if (!(e instanceof RangeError)) throw e;
    throw allocationError(`${dtype === 'int32' ? 'an' : 'a'} ${dtype} array of ${size} elements (the system refused the memory: ${e.message})`, size * ctor.BYTES_PER_ELEMENT);
  }
}

/**
 * The dtype a typed array stores; null for a Uint16Array, which holds float16 or bfloat16 bit
 * patterns and says nothing about which.
 */
export function dtypeOf(arr: TypedArray): DType | null {
  if (arr instanceof Float32Array) return 'float32';
  if (arr instanceof Float64Array) return 'float64';
  if (arr instanceof Int32Array) return 'int32';
  if (arr instanceof Uint16Array) return null;
  return 'uint8';
}

/** Bytes per element of `dtype` (4 for float32). */
export function bytesPerElement(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}
