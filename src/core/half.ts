/**
 * The two 16-bit float formats tsgluon stores (but does not compute in): IEEE float16 (1 sign, 5
 * exponent, 10 mantissa bits) and bfloat16 (the upper half of a float32: 1, 8, 7). Arrays of these
 * dtypes hold the 16-bit patterns in a Uint16Array.
 *
 * Encoding rounds to nearest, ties to even, as PyTorch and NumPy do: a float64 value is first
 * rounded to float32 (as PyTorch's conversion from double does), then to 16 bits. Values beyond
 * the float16 range become infinities; NaN stays NaN (quiet, sign and upper payload bits kept).
 * Decoding is exact: every float16 and bfloat16 value is a float32.
 */
import type { DType } from './dtype.js';

/** The 16-bit float storage dtypes. */
export type HalfDType = 'float16' | 'bfloat16';

/** True for float16 and bfloat16. */
export function isHalf(dtype: DType): dtype is HalfDType {
  return dtype === 'float16' || dtype === 'bfloat16';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits -> float16 bits, rounding to nearest even. */
function f32ToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // A float16 subnormal m * 2^-24: shift the mantissa (with its implicit 1) down, rounding.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const kept = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (rest > halfway || (rest === halfway && (kept & 1) === 1) ? kept + 1 : kept);
  }
  const bits = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, up to infinity: still the right rounding.
  return sign | (rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1) ? bits + 1 : bits);
}

/** float16 bits -> float32 bits, exactly (subnormals normalised, NaN payload kept). */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    exp = 1;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      exp--;
    }
    mant &= 0x3ff;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** float32 bits -> bfloat16 bits, rounding to nearest even. */
function f32ToBFloat16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The 16-bit pattern of `value` in `dtype`. */
export function toHalfBits(value: number, dtype: HalfDType): number {
  f32[0] = value;
  const bits = u32[0]!;
  return dtype === 'float16' ? f32ToHalfBits(bits) : f32ToBFloat16Bits(bits);
}

/** The value of the 16-bit pattern `bits` of `dtype`. */
export function fromHalfBits(bits: number, dtype: HalfDType): number {
  u32[0] = dtype === 'float16' ? halfToFloatBits(bits) : (bits << 16) >>> 0;
  return f32[0]!;
}

/** Writes `src`'s values into `dst` as 16-bit patterns of `dtype`. */
export function encodeHalf(dst: Uint16Array, src: ArrayLike<number>, dtype: HalfDType): void {
  if (src instanceof Float32Array) {
    // Read float32 bits directly: a NaN read as a JavaScript number may lose its payload.
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < bits.length; i++) dst[i] = dtype === 'float16' ? f32ToHalfBits(bits[i]!) : f32ToBFloat16Bits(bits[i]!);
    return;
  }
  for (let i = 0; i < src.length; i++) dst[i] = toHalfBits(src[i]!, dtype);
}

/** Writes the values of `src`'s 16-bit patterns of `dtype` into `dst` (a typed array converts them as usual). */
export function decodeHalf(dst: { length: number; [i: number]: number }, src: Uint16Array, dtype: HalfDType): void {
  if (dst instanceof Float32Array) {
    // Write float32 bits directly, so NaN payloads survive exactly.
    const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
    for (let i = 0; i < src.length; i++) bits[i] = dtype === 'float16' ? halfToFloatBits(src[i]!) : (src[i]! << 16) >>> 0;
    return;
  }
  for (let i = 0; i < src.length; i++) dst[i] = fromHalfBits(src[i]!, dtype);
}
