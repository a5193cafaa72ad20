/**
 * Pooling (MXNet's Pooling): max and average over sliding windows of NCW, NCHW and NCDHW arrays,
 * global pooling, and 'valid' (floor) or 'full' (ceil) output conventions. Max pooling routes the
 * gradient to the first maximum of each window; average pooling spreads it over the window.
 * Padded cells never win a max; for averages they count in the divisor when `countIncludePad`.
 */
import { isFloat } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import type { AvgPoolPlan } from '../backend/kernels.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, type Primitive } from './define.js';
import { spatialRank, spatialTuple, windowPlan, type SpatialArg } from './conv.js';
import { publicOp } from '../core/public.js';

export type PoolType = 'max' | 'avg';

export interface PoolingOptions {
  /** Window extents (required unless `globalPool`). */
  kernel?: SpatialArg;
  /** Step between windows (default 1, as MXNet's operator; Gluon's layers default to the window). */
  stride?: SpatialArg;
  /** Implicit padding on both sides of each spatial axis (default 0); at most half the window. */
  pad?: SpatialArg;
  /** 'max' (default) or 'avg'. */
  poolType?: PoolType;
  /** Pool over the whole spatial extent, ignoring kernel, stride and pad. */
  globalPool?: boolean;
  /** 'valid' (default) rounds the output extent down, 'full' rounds it up. */
  poolingConvention?: 'valid' | 'full';
  /** Same as `poolingConvention: 'full'`. */
  ceilMode?: boolean;
  /** Average pooling: whether padded cells count in the divisor (default true, as MXNet). */
  countIncludePad?: boolean;
}

interface PoolAttrs {
  readonly plan: AvgPoolPlan;
  readonly outShape: readonly number[];
}

const maxPoolGradPrim: Primitive<PoolAttrs, AvgPoolPlan> = primitive({
  name: 'maxPoolGrad',
  outputInit: 'none',
  infer: ([, x], attrs) => ({ shape: x!.shape, dtype: x!.dtype, plan: attrs.plan }),
  compute: (k, out, [g, x], plan) => k.maxPoolGrad(out, g!, x!, plan),
});

const maxPoolPrim: Primitive<PoolAttrs, AvgPoolPlan> = primitive({
  name: 'maxPool',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.outShape, dtype: x!.dtype, plan: attrs.plan }),
  compute: (k, out, [x], plan) => k.maxPool(out, x!, plan),
  grad: (g, { inputs: [x], attrs }) => [apply(maxPoolGradPrim, [g, x!], attrs)],
});

const avgPoolGradPrim: Primitive<PoolAttrs & { readonly inShape: readonly number[] }, AvgPoolPlan> = primitive({
  name: 'avgPoolGrad',
  outputInit: 'none',
  infer: ([g], attrs) => ({ shape: attrs.inShape, dtype: g!.dtype, plan: attrs.plan }),
  compute: (k, out, [g], plan) => k.avgPoolGrad(out, g!, plan),
  // Average pooling is linear, so the gradient of its gradient is average pooling again.
  grad: (gg, { attrs }) => [apply(avgPoolPrim, [gg], attrs)],
});

const avgPoolPrim: Primitive<PoolAttrs, AvgPoolPlan> = primitive({
  name: 'avgPool',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.outShape, dtype: x!.dtype, plan: attrs.plan }),
  compute: (k, out, [x], plan) => k.avgPool(out, x!, plan),
  grad: (g, { inputs: [x], attrs }) => [apply(avgPoolGradPrim, [g], { ...attrs, inShape: x!.shape })],
});

/**
 * Max or average pooling of `x` (N, C, *spatial) over windows of `kernel`.
 * Output extent per axis: floor (or ceil, with 'full') of (in + 2 pad - kernel) / stride, plus 1;
 * in 'full' mode a last window that would start inside the right padding is dropped.
 * @example nd.pooling(x, { kernel: 2, stride: 2, poolType: 'max' }) // halves H and W
 */
export const pooling = publicOp('pooling', function pooling(x: NDArray, options: PoolingOptions = {}): NDArray {
  const op = 'pooling';
  expectArray(op, x);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: needs a float32 or float64 input, got ${x.dtype}; convert with .astype('float32')`);
  const n = spatialRank(x, op);
  const poolType = options.poolType ?? 'max';
  if (poolType !== 'max' && poolType !== 'avg') throw new ValueError(`${op}: poolType must be 'max' or 'avg', got '${String(poolType)}'`);
  const spatial = x.shape.slice(2);
  const empty = spatial.indexOf(0);
  if (empty >= 0) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} has no cell on spatial axis ${empty}; there is nothing to pool`);
  const convention = options.ceilMode ? 'full' : (options.poolingConvention ?? 'valid');
  if (convention !== 'valid' && convention !== 'full') {
    throw new ValueError(`${op}: poolingConvention must be 'valid' or 'full', got '${String(convention)}'`);
  }
  let kernel: number[], stride: number[], pad: number[];
  if (options.globalPool) {
    [kernel, stride, pad] = [[...spatial], new Array<number>(n).fill(1), new Array<number>(n).fill(0)];
  } else {
    if (options.kernel === undefined) throw new ValueError(`${op}: give a kernel (window extents) or globalPool: true`);
    kernel = spatialTuple(options.kernel, n, 'kernel', op, 1);
    stride = spatialTuple(options.stride ?? 1, n, 'stride', op, 1);
    pad = spatialTuple(options.pad ?? 0, n, 'pad', op, 0);
    pad.forEach((p, i) => {
      if (2 * p > kernel[i]!) {
        throw new ValueError(`${op}: pad ${fmtValue(pad)} must be at most half the kernel ${fmtValue(kernel)} on each axis, so every window holds an input cell`);
      }
    });
  }
  const out = spatial.map((d, i) => {
    const span = d + 2 * pad[i]! - kernel[i]!;
    if (span < 0) {
      throw new ShapeError(
        `${op}: input ${fmtShape(x.shape)} is smaller than the window ${fmtShape(kernel)} (padding ${fmtShape(pad)}) on spatial axis ${i}; use a smaller kernel or globalPool`,
      );
    }
    let o = (convention === 'full' ? Math.ceil(span / stride[i]!) : Math.floor(span / stride[i]!)) + 1;
    if (convention === 'full' && (o - 1) * stride[i]! >= d + pad[i]!) o -= 1;
    return o;
  });
  const base = windowPlan(x.shape, out, { kernel, stride, pad, dilation: new Array<number>(n).fill(1) });
  const plan: AvgPoolPlan = { ...base, countIncludePad: options.countIncludePad ?? true };
  const attrs: PoolAttrs = { plan, outShape: [x.shape[0]!, x.shape[1]!, ...out] };
  return apply(poolType === 'max' ? maxPoolPrim : avgPoolPrim, [x], attrs);
}, 1);

/** Max over all spatial positions: (N, C, *spatial) to (N, C, 1, ...). */
export const globalMaxPool = publicOp('globalMaxPool', function globalMaxPool(x: NDArray): NDArray {
  expectArray('globalMaxPool', x);
  return pooling(x, { globalPool: true, poolType: 'max' });
});

/** Mean over all spatial positions: (N, C, *spatial) to (N, C, 1, ...). */
export const globalAvgPool = publicOp('globalAvgPool', function globalAvgPool(x: NDArray): NDArray {
  expectArray('globalAvgPool', x);
  return pooling(x, { globalPool: true, poolType: 'avg' });
});

/**
 * Adaptive average pooling (PyTorch's AdaptiveAvgPool, Gluon contrib's AdaptiveAvgPooling2D):
 * pools to a fixed output size. Supported when each input extent is a multiple of the output
 * extent (always true for output size 1), where it equals average pooling with window = stride =
 * in / out.
 */
export const adaptiveAvgPool = publicOp('adaptiveAvgPool', function adaptiveAvgPool(x: NDArray, outputSize: SpatialArg): NDArray {
  const op = 'adaptiveAvgPool';
  expectArray(op, x);
  const n = spatialRank(x, op);
  const size = spatialTuple(outputSize, n, 'outputSize', op, 1);
  const spatial = x.shape.slice(2);
  if (spatial.every((d, i) => d % size[i]! === 0)) {
    const kernel = spatial.map((d, i) => d / size[i]!);
    return pooling(x, { kernel, stride: kernel, poolType: 'avg' });
  }
  throw new ShapeError(
    `${op}: input ${fmtShape(x.shape)} does not divide evenly into output size ${fmtShape(size)}; ` +
      `only evenly dividing sizes are supported (resize the input, or use globalAvgPool for output size 1)`,
  );
});
