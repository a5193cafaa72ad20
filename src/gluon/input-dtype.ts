/**
 * The input-dtype rule of the layers that compute with their parameters in floating point (Dense,
 * the convolutions, normalization, PReLU: the classes whose static `floatInput` is true): the
 * data input must have the dtype of the layer's parameters (or float32, the dtype float16 /
 * bfloat16 parameters compute in). As in MXNet and PyTorch, nothing is
 * converted silently: a uint8 image batch fed to a float32 Dense would otherwise train on raw
 * 0-255 values, and a float64 input would quietly make every later layer compute in float64.
 *
 * Block runs the check before such a layer's forward (one place for every layer, not one copy per
 * forward). Shape-only inputs (data-free inference: `inferShape`, `initialize({ inputShape })`)
 * carry no values, so they are not checked. Layers that take integers on purpose (Embedding takes
 * indices) leave `floatInput` false.
 */
import { isFloat, type DType } from '../core/dtype.js';
import { DTypeError } from '../core/errors.js';
import { isHalf } from '../core/half.js';
import { NDArray } from '../ndarray/ndarray.js';
import type { Parameter } from './parameter.js';

/** The fix for an input of dtype `got` into a layer whose parameters are `want`. */
function fix(got: DType, want: DType): string {
  if (!isFloat(got)) {
    return (
      `Layers compute in floating point and do not convert their input: for images, apply ` +
      `gluon.data.vision.transforms.ToTensor() (uint8 (H, W, C) in 0-255 to ${want} (C, H, W) in [0, 1]), ` +
      `for example dataset.transformFirst(new transforms.ToTensor()); otherwise convert with x.astype('${want}')`
    );
  }
  return `Convert the input with x.astype('${want}'), or the network with net.cast('${got}') to compute in ${got}`;
}

/**
 * Throws a DTypeError naming the layer and the fix when `x` (a layer's data input) does not have
 * the dtype of the layer's floating-point parameters.
 */
export function checkInputDType(layer: string, x: unknown, params: readonly Parameter[]): void {
  if (!NDArray.isInstance(x) || x.isShapeOnly) return;
  const want = params.find((p) => isFloat(p.dtype))?.dtype;
  if (want === undefined || x.dtype === want) return;
  // float16 / bfloat16 parameters compute in float32 (ops return float32): their layers take it too.
  if (isHalf(want) && x.dtype === 'float32') return;
  throw new DTypeError(`${layer}: the input is ${x.dtype} but the layer's parameters are ${want}. ${fix(x.dtype, want)}.`);
}
