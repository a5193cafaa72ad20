/**
 * Softmax and log-softmax along one axis, as primitives on the backend's fused kernels (one
 * max-subtracted sweep per line, so large logits never overflow). Their gradients are fused
 * kernels too, wrapped as primitives so the backward pass stays one sweep over memory.
 * Integer inputs are computed in float32, like the other float-only ops.
 */
import { isFloat } from '../core/dtype.js';
import { ValueError, fmtValue } from '../core/errors.js';
import { normalizeAxis, sizeOf } from '../core/shape.js';
import type { AxisPlan } from '../backend/kernels.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { div } from './binary.js';
import { installMethods } from './method.js';
import { publicOp } from '../core/public.js';

/** Options of softmax and logSoftmax. */
export interface SoftmaxOptions {
  /** The axis to normalize over (default -1, the last). */
  axis?: number;
  /** Divides the input by this before normalizing (default 1); higher is flatter. */
  temperature?: number;
}

/** (outer, axisLen, inner) around `axis`, which the op layer has already normalized. */
function axisPlan(shape: readonly number[], axis: number): AxisPlan {
  return { outer: sizeOf(shape.slice(0, axis)), axisLen: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

interface AxisAttrs {
  readonly plan: AxisPlan;
}

const softmaxGradPrim: Primitive<AxisAttrs, AxisPlan> = primitive({
  name: 'softmaxGrad',
  outputInit: 'none',
  infer: ([g], { plan }) => ({ shape: g!.shape, dtype: g!.dtype, plan }),
  compute: (k, gx, [g, y], plan) => k.softmaxGrad(gx, g!, y!, plan),
});

const logSoftmaxGradPrim: Primitive<AxisAttrs, AxisPlan> = primitive({
  name: 'logSoftmaxGrad',
  outputInit: 'none',
  infer: ([g], { plan }) => ({ shape: g!.shape, dtype: g!.dtype, plan }),
  compute: (k, gx, [g, y], plan) => k.logSoftmaxGrad(gx, g!, y!, plan),
});

const softmaxPrim: Primitive<AxisAttrs, AxisPlan> = primitive({
  name: 'softmax',
  outputInit: 'none',
  infer: ([x], { plan }) => ({ shape: x!.shape, dtype: x!.dtype, plan }),
  compute: (k, out, [x], plan) => k.softmax(out, x!, plan),
  grad: (g, { out, attrs }) => [apply(softmaxGradPrim, [ensureDType(g, out.dtype), out], attrs)],
});

const logSoftmaxPrim: Primitive<AxisAttrs, AxisPlan> = primitive({
  name: 'logSoftmax',
  outputInit: 'none',
  infer: ([x], { plan }) => ({ shape: x!.shape, dtype: x!.dtype, plan }),
  compute: (k, out, [x], plan) => k.logSoftmax(out, x!, plan),
  grad: (g, { out, attrs }) => [apply(logSoftmaxGradPrim, [ensureDType(g, out.dtype), out], attrs)],
});

function prepare(op: string, x: NDArray, options: SoftmaxOptions): { input: NDArray; attrs: AxisAttrs } {
  if (x.ndim === 0) {
    throw new ValueError(`${op}: needs an array with at least one dimension, got a 0-d array; reshape it to (1,) first`);
  }
  const axis = normalizeAxis(options.axis ?? -1, x.ndim, op);
  let input = isFloat(x.dtype) ? x : ensureDType(x, 'float32');
  const t = options.temperature;
  if (t !== undefined && t !== 1) {
    if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t)) throw new ValueError(`${op}: temperature must be a finite positive number, got ${fmtValue(t)}`);
    input = div(input, t);
  }
  return { input, attrs: { plan: axisPlan(input.shape, axis) } };
}

/**
 * exp(x) / sum(exp(x)) along `axis` (the last by default), computed stably.
 * @example nd.softmax(nd.array([[1, 2, 3]])) // [[0.090 0.245 0.665]]
 */
export const softmax = publicOp('softmax', function softmax(x: NDArray, options: SoftmaxOptions = {}): NDArray {
  expectArray('softmax', x);
  const { input, attrs } = prepare('softmax', x, options);
  return apply(softmaxPrim, [input], attrs);
}, 1);

/**
 * x - log(sum(exp(x))) along `axis`: the log of softmax without its underflow (`temperature`
 * divides x first, as in softmax).
 * @example nd.logSoftmax(nd.array([0, 0])) // [-0.693 -0.693]
 */
export const logSoftmax = publicOp('logSoftmax', function logSoftmax(x: NDArray, options: SoftmaxOptions = {}): NDArray {
  expectArray('logSoftmax', x);
  const { input, attrs } = prepare('logSoftmax', x, options);
  return apply(logSoftmaxPrim, [input], attrs);
}, 1);

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    softmax(options?: SoftmaxOptions): NDArray;
    logSoftmax(options?: SoftmaxOptions): NDArray;
  }
}

installMethods({ softmax, logSoftmax });
