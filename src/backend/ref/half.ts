/**
 * Conversions to and from the 16-bit float storage dtypes (float16, bfloat16): the arithmetic is
 * in core/half.ts (round to nearest even, exact decoding); this kernel applies it to arrays. A
 * 16-bit to 16-bit conversion of another format goes through the value (exact, then rounded).
 */
import type { DType, TypedArray } from '../../core/dtype.js';
import { decodeHalf, encodeHalf, isHalf } from '../../core/half.js';
import { ValueError } from '../../core/errors.js';

export function castHalf(out: TypedArray, x: TypedArray, from: DType, to: DType): void {
  if (from === to) {
    out.set(x);
    return;
  }
  if (isHalf(to)) {
    if (isHalf(from)) {
      const values = new Float32Array(x.length);
      decodeHalf(values, x as Uint16Array, from);
      encodeHalf(out as Uint16Array, values, to);
    } else encodeHalf(out as Uint16Array, x, to);
    return;
  }
  if (!isHalf(from)) throw new ValueError(`castHalf: neither ${from} nor ${to} is a 16-bit float dtype; use cast`);
  decodeHalf(out, x as Uint16Array, from);
}
