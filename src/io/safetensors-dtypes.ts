/**
 * The safetensors dtype table and the conversions from file bytes to tsgluon typed arrays.
 *
 * tsgluon stores float32, float64, int32, uint8, float16 and bfloat16, which map one to one onto
 * safetensors' F32, F64, I32, U8, F16 and BF16 and are copied bit for bit (NaN payloads and -0
 * included; a PyTorch `half()` checkpoint loads as float16 arrays). Files written by other
 * libraries often hold other dtypes, so the reader also accepts, converting exactly:
 * - BOOL -> uint8, exactly 0 or 1 (any non-zero byte reads as 1, as PyTorch and NumPy read it);
 * - I8, I16, U16 -> int32 (always fits);
 * - I64, U64, U32 -> int32 only when every value fits in int32 (PyTorch writes integer buffers
 *   such as BatchNorm's `num_batches_tracked` as I64); otherwise a SafetensorsError names the
 *   tensor, the element and its value, and nothing is truncated silently.
 * The 8-bit and smaller float formats (F8_*, F6_*, F4) and C64 are recognised, validated like any
 * other dtype, and refused with an error saying so. Any other dtype string is unknown and refused.
 */
import { allocate, bytesPerElement, type DType, type TypedArray } from '../core/dtype.js';
import { SafetensorsError } from './safetensors-error.js';

/** What tsgluon knows about one safetensors dtype. */
export interface StDTypeInfo {
  /** Bits per element (4 and 6 exist for microscaling formats). */
  readonly bits: number;
  /** The tsgluon dtype it loads as, or null when it is recognised but not supported. */
  readonly target: DType | null;
}

/** Every dtype of the reference implementation, with its size and what it loads as. */
export const SAFETENSORS_DTYPES: Readonly<Record<string, StDTypeInfo>> = Object.freeze({
  BOOL: { bits: 8, target: 'uint8' },
  F4: { bits: 4, target: null },
  F6_E2M3: { bits: 6, target: null },
  F6_E3M2: { bits: 6, target: null },
  U8: { bits: 8, target: 'uint8' },
  I8: { bits: 8, target: 'int32' },
  F8_E5M2: { bits: 8, target: null },
  F8_E4M3: { bits: 8, target: null },
  F8_E8M0: { bits: 8, target: null },
  F8_E4M3FNUZ: { bits: 8, target: null },
  F8_E5M2FNUZ: { bits: 8, target: null },
  I16: { bits: 16, target: 'int32' },
  U16: { bits: 16, target: 'int32' },
  F16: { bits: 16, target: 'float16' },
  BF16: { bits: 16, target: 'bfloat16' },
  I32: { bits: 32, target: 'int32' },
  U32: { bits: 32, target: 'int32' },
  F32: { bits: 32, target: 'float32' },
  C64: { bits: 64, target: null },
  F64: { bits: 64, target: 'float64' },
  I64: { bits: 64, target: 'int32' },
  U64: { bits: 64, target: 'int32' },
});

/** The safetensors name of each tsgluon dtype. */
export const ST_DTYPE_OF: Readonly<Record<DType, string>> = Object.freeze({
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  uint8: 'U8',
  float16: 'F16',
  bfloat16: 'BF16',
});

/** True when `s` is a dtype the safetensors format defines (supported or not). */
export function isKnownStDType(s: string): boolean {
  return Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPES, s);
}

/** True when typed arrays use little-endian byte order on this host (every mainstream CPU). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `width`-byte element in place (big-endian hosts only). */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width <= 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** A fresh, aligned typed array holding the little-endian elements in `src`, bit for bit. */
function copyNative(src: Uint8Array, dtype: DType, count: number): TypedArray {
  // A copy (src.slice() would not copy a Node Buffer), within the allocation limit.
  const copy = allocate('uint8', src.length) as Uint8Array;
  copy.set(src);
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, bytesPerElement(dtype));
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer, 0, count);
    case 'float64':
      return new Float64Array(copy.buffer, 0, count);
    case 'int32':
      return new Int32Array(copy.buffer, 0, count);
    case 'uint8':
      return copy;
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(copy.buffer, 0, count);
  }
}

function int32Overflow(name: string, index: number, value: bigint, st: string, offset: number): SafetensorsError {
  return new SafetensorsError(
    `${st} element ${index} is ${value}, outside the int32 range tsgluon stores integers in; ` +
      `cast the tensor to int32 (or float) before saving it`,
    { tensor: name, offset },
  );
}

/**
 * Converts the `count` little-endian elements of safetensors dtype `st` in `src` into the
 * tsgluon typed array it loads as. `offset` is where `src` starts in the file (for errors).
 */
export function convertFromFile(name: string, st: string, src: Uint8Array, count: number, offset: number): TypedArray {
  const info = SAFETENSORS_DTYPES[st]!;
  if (info.target === null) {
    throw new SafetensorsError(
      `dtype ${st} is a valid safetensors dtype but tsgluon cannot represent it; ` +
        `convert it to F32 (for example tensor.float() in PyTorch) before saving`,
      { tensor: name, offset },
    );
  }
  switch (st) {
    case 'F32':
    case 'F64':
    case 'I32':
    case 'U8':
      return copyNative(src, info.target, count);
    case 'BOOL': {
      // Any non-zero byte is true, as PyTorch and NumPy read them; stored as exactly 0 or 1.
      const out = allocate('uint8', count);
      for (let i = 0; i < count; i++) out[i] = src[i] === 0 ? 0 : 1;
      return out;
    }
    case 'F16':
    case 'BF16':
      return copyNative(src, info.target, count);
    case 'I8': {
      const out = allocate('int32', count) as Int32Array;
      for (let i = 0; i < count; i++) out[i] = (src[i]! << 24) >> 24;
      return out;
    }
    case 'I16':
    case 'U16': {
      const out = allocate('int32', count) as Int32Array;
      for (let i = 0; i < count; i++) {
        const v = src[2 * i]! | (src[2 * i + 1]! << 8);
        out[i] = st === 'I16' ? (v << 16) >> 16 : v;
      }
      return out;
    }
    case 'U32': {
      const out = allocate('int32', count) as Int32Array;
      for (let i = 0; i < count; i++) {
        const p = 4 * i;
        const v = (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
        if (v > 0x7fffffff) throw int32Overflow(name, i, BigInt(v), st, offset + p);
        out[i] = v;
      }
      return out;
    }
    default: {
      // I64 and U64: fits when the high word is the sign extension of the low word.
      const signed = st === 'I64';
      const out = allocate('int32', count) as Int32Array;
      for (let i = 0; i < count; i++) {
        const p = 8 * i;
        const lo = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
        const hi = src[p + 4]! | (src[p + 5]! << 8) | (src[p + 6]! << 16) | (src[p + 7]! << 24);
        const fits = signed ? hi === lo >> 31 : hi === 0 && lo >= 0;
        if (!fits) {
          const big = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
          throw int32Overflow(name, i, signed ? BigInt.asIntN(64, big) : big, st, offset + p);
        }
        out[i] = lo;
      }
      return out;
    }
  }
}
