/**
 * `astype`: dtype conversion, a primitive whose gradient casts back. Other ops call it to bring
 * their inputs to one compute dtype before reaching a kernel, and `apply` calls it to widen
 * float16 / bfloat16 inputs to float32 (the one primitive that takes them as they are).
 */
import { isFloat, type DType } from '../core/dtype.js';
import { isHalf } from '../core/half.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { checkDType } from '../ndarray/creation.js';
import { apply, primitive, setHalfConversions, type Primitive } from './define.js';
import { installMethods } from './method.js';
import { publicOp } from '../core/public.js';

const castPrim: Primitive<{ dtype: DType }, DType> = primitive({
  name: 'astype',
  outputInit: 'none',
  halfInputs: true,
  // The plan is the input's dtype: float16 / bfloat16 conversions go through castHalf.
  infer: (inputs, { dtype }) => ({ shape: inputs[0]!.shape, dtype, plan: inputs[0]!.dtype }),
  compute: (k, out, [x], from, { dtype }) => (isHalf(from) || isHalf(dtype) ? k.castHalf(out, x!, from, dtype) : k.cast(out, x!)),
  grad: (g, { inputs }) => [isFloat(inputs[0]!.dtype) ? astype(g, inputs[0]!.dtype) : null],
});

/** A copy converted to `dtype` (float to integer truncates toward zero). */
export const astype = publicOp('astype', function astype(x: NDArray, dtype: DType): NDArray {
  expectArray('astype', x);
  checkDType(dtype, 'astype');
  return apply(castPrim, [x], { dtype });
});

/** `x` in `dtype`, the same array when it already is (no copy). */
export function ensureDType(x: NDArray, dtype: DType): NDArray {
  return x.dtype === dtype ? x : astype(x, dtype);
}

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    /** A copy converted to `dtype`. */
    astype(dtype: DType): NDArray;
  }
}

installMethods({ astype });
setHalfConversions((x) => astype(x, 'float32'), (x, dtype) => astype(x, dtype));
