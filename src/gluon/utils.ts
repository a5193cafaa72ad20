/**
 * `gluon.utils`: helpers around training. `clipGlobalNorm` rescales a set of arrays (usually
 * gradients) so that their joint L2 norm does not exceed a bound, as recurrent networks need.
 * `splitData` cuts a batch into slices along the batch axis and `splitAndLoad` gives one slice per
 * device; tsgluon computes on one device (the CPU), so every slice stays there and a loop over
 * them is Gluon's data-parallel loop run on that device.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { isFloat } from '../core/dtype.js';
import { encodeHalf, isHalf } from '../core/half.js';
import { normalizeAxis } from '../core/shape.js';
import { getBackend } from '../backend/registry.js';
import { NDArray, type NestedArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { sliceAxis } from '../ops/slice.js';
import { warn } from './warnings.js';

/** Options of `gluon.utils.clipGlobalNorm`. */
export interface ClipGlobalNormOptions {
  /** Warn when the norm is NaN or infinite (default true); the arrays are then left unchanged. */
  checkIsfinite?: boolean;
}

/**
 * Scales `arrays` in place by `maxNorm / (totalNorm + 1e-8)` when their joint L2 norm
 * `sqrt(sum of squares of every element)` exceeds `maxNorm`; returns the norm before clipping.
 * @example
 * const grads = [...net.collectParams().values()].map((p) => p.grad());
 * gluon.utils.clipGlobalNorm(grads, 1);
 */
export function clipGlobalNorm(arrays: readonly NDArray[], maxNorm: number, options: ClipGlobalNormOptions = {}): number {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new ValueError(`clipGlobalNorm: maxNorm must be a finite positive number, got ${fmtValue(maxNorm)}`);
  if (arrays.length === 0) throw new ValueError('clipGlobalNorm: got no arrays; pass the gradients to clip, e.g. params.map((p) => p.grad())');
  // float16 / bfloat16 arrays are read as numbers (decoded) and written back rounded.
  const values = arrays.map((a, i) => {
    if (!NDArray.isInstance(a)) throw new ValueError(`clipGlobalNorm: element ${i} is not an NDArray`);
    if (!isFloat(a.dtype)) throw new ValueError(`clipGlobalNorm: element ${i} is ${a.dtype}; only float arrays can be scaled`);
    return isHalf(a.dtype) ? array(a, { dtype: 'float32' }).storage : a.storage;
  });
  // One fused kernel call: the sum of squares over every array, then the scaling when needed.
  const total = getBackend().kernels.clipGlobalNorm(values, maxNorm);
  if (!Number.isFinite(total)) {
    if (options.checkIsfinite ?? true) {
      warn(`clipGlobalNorm: the global norm is ${total} (NaN or Inf in the gradients); the arrays were left unchanged`);
    }
    return total;
  }
  if (maxNorm / (total + 1e-8) < 1) {
    arrays.forEach((a, i) => {
      if (isHalf(a.dtype)) encodeHalf(a._raw as Uint16Array, values[i]!, a.dtype);
    });
  }
  return total;
}

/** Options of `splitData` and `splitAndLoad`. */
export interface SplitOptions {
  /** The axis to cut (default 0). */
  batchAxis?: number;
  /**
   * Require the axis to divide evenly (default true); false lets the first slices hold one more
   * element each, as NumPy's array_split.
   */
  evenSplit?: boolean;
}

/**
 * Cuts `data` into `numSlice` slices along the batch axis (copies, gradients flow back); with
 * `evenSplit: false` the first `size % numSlice` slices are one longer.
 * @example gluon.utils.splitData(nd.arange(0, 10), 3, { evenSplit: false }).map((s) => s.size) // [4, 3, 3]
 */
export function splitData(data: NDArray, numSlice: number, options: SplitOptions = {}): NDArray[] {
  if (!NDArray.isInstance(data)) throw new ValueError(`splitData: data must be an NDArray, got ${fmtValue(data)}; wrap it with nd.array`);
  if (!Number.isInteger(numSlice) || numSlice < 1) throw new ValueError(`splitData: numSlice must be a positive integer, got ${fmtValue(numSlice)}`);
  if (data.ndim === 0) throw new ShapeError('splitData: cannot split a 0-d array; it has no batch axis');
  const axis = normalizeAxis(options.batchAxis ?? 0, data.ndim, 'splitData');
  const size = data.shape[axis]!;
  if (size < numSlice) {
    throw new ValueError(`splitData: too many slices for data of shape ${fmtShape(data.shape)}: axis ${axis} has ${size} elements, fewer than numSlice (${numSlice}); use fewer slices or a larger batch`);
  }
  if ((options.evenSplit ?? true) && size % numSlice !== 0) {
    throw new ValueError(
      `splitData: data of shape ${fmtShape(data.shape)} cannot be split evenly into ${numSlice} slices along axis ${axis} (${size} % ${numSlice} = ${size % numSlice}); ` +
        'pass evenSplit: false to let the first slices be one element longer, or use a batch size divisible by the slice count',
    );
  }
  if (numSlice === 1) return [data];
  const each = Math.floor(size / numSlice);
  const extras = size % numSlice;
  const out: NDArray[] = [];
  let start = 0;
  for (let i = 0; i < numSlice; i++) {
    const end = start + each + (i < extras ? 1 : 0);
    out.push(sliceAxis(data, axis, start, end));
    start = end;
  }
  return out;
}

/**
 * Gluon's `split_and_load`: one slice of `data` per device. `devices` is the device list (its
 * length is the slice count) or the count itself; tsgluon has one device, the CPU, so every slice
 * stays there. A nested JavaScript array is converted with `nd.array` first. One device gives
 * `[data]` unchanged.
 * @example
 * for (const x of gluon.utils.splitAndLoad(batch, 2)) losses.push(loss.forward(net.forward(x), y));
 */
export function splitAndLoad(data: NDArray | NestedArray, devices: number | readonly unknown[], options: SplitOptions = {}): NDArray[] {
  const count = typeof devices === 'number' ? devices : Array.isArray(devices) ? devices.length : NaN;
  if (!Number.isInteger(count) || count < 1) throw new ValueError(`splitAndLoad: devices must be a non-empty list of devices or a positive count, got ${fmtValue(devices)}`);
  const x = NDArray.isInstance(data) ? data : array(data);
  return count === 1 ? [x] : splitData(x, count, options);
}
