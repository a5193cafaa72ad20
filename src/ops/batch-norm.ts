/**
 * Batch normalization as primitives, in the form of MXNet's
 * `BatchNorm(data, gamma, beta, moving_mean, moving_var)`:
 * - `batchNormMean(x)` and `batchNormVariance(x, mean)`: a batch's statistics per channel;
 * - `batchNorm(x, gamma, beta, mean, variance)`: the normalization, with fused gradient kernels
 *   (`batchNormGradStats` gives the gradients of gamma and beta, `batchNormGradData` the input's).
 *   In training mode `mean` and `variance` are x's own batch statistics and the input's gradient
 *   includes their dependence on x, so the statistics carry no gradient of their own;
 * - `movingAverage(running, batch)`: the running statistics' update, a primitive that writes its
 *   first input in place (`effect: 'inPlace'`), so a traced graph keeps it as an explicit step.
 *
 * `nd.batchNorm` puts them together (MXNet's `nd.BatchNorm`); `nn.BatchNorm` calls it. Each
 * kernel is one loop over x, so a backend can implement it directly. The gradient kernels are not
 * themselves differentiable (no second-order gradients through batch normalization).
 */
import { isFloat, type DType } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { normalizeAxis, sizeOf } from '../core/shape.js';
import type { BatchNormPlan } from '../backend/kernels.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { isTraining } from '../autograd/state.js';
import { apply, primitive, wantsGrad, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { reshape } from './shape.js';
import { sliceAxis } from './slice.js';
import { publicOp } from '../core/public.js';

interface StatAttrs {
  readonly plan: BatchNormPlan;
  /** The channel axis of x (for readers of a graph; the plan already holds the extents). */
  readonly axis: number;
}

interface BnAttrs extends StatAttrs {
  /** Multiply by gamma (false: MXNet's fix_gamma, gamma taken as 1). */
  readonly scale: boolean;
  /** Add beta. */
  readonly center: boolean;
  /** The statistics are x's batch statistics (training); otherwise fixed (running) ones. */
  readonly training: boolean;
}

const channelsOf = (a: StatAttrs): number[] => [a.plan.channels];

const meanPrim: Primitive<StatAttrs, BatchNormPlan> = primitive({
  name: 'batchNormMean',
  outputInit: 'none',
  infer: ([x], a) => ({ shape: channelsOf(a), dtype: x!.dtype, plan: a.plan }),
  compute: (k, out, [x], plan) => k.batchNormMean(out, x!, plan),
});

const variancePrim: Primitive<StatAttrs, BatchNormPlan> = primitive({
  name: 'batchNormVariance',
  outputInit: 'none',
  infer: ([x], a) => ({ shape: channelsOf(a), dtype: x!.dtype, plan: a.plan }),
  compute: (k, out, [x, mean], plan) => k.batchNormVariance(out, x!, mean!, plan),
});

/** (2, C): Σ g·x̂ (gamma's gradient) then Σ g (beta's) per channel. */
const gradStatsPrim: Primitive<BnAttrs, BatchNormPlan> = primitive({
  name: 'batchNormGradStats',
  outputInit: 'none',
  infer: ([g], a) => ({ shape: [2, a.plan.channels], dtype: g!.dtype, plan: a.plan }),
  compute: (k, out, [g, x, mean, variance], plan) => k.batchNormGradStats(out, g!, x!, mean!, variance!, plan),
});

/** The input's gradient; inputs (g, x, mean, variance, gamma) and, in training, the sums. */
const gradDataPrim: Primitive<BnAttrs, BatchNormPlan> = primitive({
  name: 'batchNormGradData',
  outputInit: 'none',
  infer: ([g], a) => ({ shape: g!.shape, dtype: g!.dtype, plan: a.plan }),
  compute: (k, out, [g, x, mean, variance, gamma, sums], plan, a) =>
    k.batchNormGradData(out, g!, x!, mean!, variance!, a.scale ? gamma! : null, sums ?? null, plan),
});

const batchNormPrim: Primitive<BnAttrs, BatchNormPlan> = primitive({
  name: 'batchNorm',
  outputInit: 'none',
  infer: ([x], a) => ({ shape: x!.shape, dtype: x!.dtype, plan: a.plan }),
  compute: (k, y, [x, gamma, beta, mean, variance], plan, a) =>
    k.batchNormForward(y, x!, mean!, variance!, a.scale ? gamma! : null, a.center ? beta! : null, plan),
  grad(g, ctx) {
    const { inputs: [x, gamma, , mean, variance], attrs: a } = ctx;
    const gg = ensureDType(g, x!.dtype);
    const needX = wantsGrad(ctx, 0);
    const needGamma = a.scale && wantsGrad(ctx, 1);
    const needBeta = a.center && wantsGrad(ctx, 2);
    const sums = (needX && a.training) || needGamma || needBeta ? apply(gradStatsPrim, [gg, x!, mean!, variance!], a) : null;
    const gx = needX ? apply(gradDataPrim, a.training ? [gg, x!, mean!, variance!, gamma!, sums!] : [gg, x!, mean!, variance!, gamma!], a) : null;
    const row = (i: number): NDArray => reshape(sliceAxis(sums!, 0, i, i + 1), [a.plan.channels]);
    return [gx, needGamma ? row(0) : null, needBeta ? row(1) : null, null, null];
  },
});

const movingAveragePrim: Primitive<{ readonly momentum: number }, null> = primitive({
  name: 'movingAverage',
  effect: 'inPlace',
  infer: ([running]) => ({ shape: running!.shape, dtype: running!.dtype, plan: null }),
  compute: (k, running, [, batch], _p, { momentum }) => k.movingAverage(running, batch!, momentum),
});

/** Options of `nd.batchNorm` (MXNet's `nd.BatchNorm`, with its defaults). */
export interface BatchNormOptions {
  /** The channel axis (default 1, NCHW). */
  axis?: number;
  /** Added to the variance before the square root (default 1e-3, as MXNet's op; nn.BatchNorm uses 1e-5). */
  eps?: number;
  /** Weight of the old running statistics in their update (default 0.9). */
  momentum?: number;
  /** Treat gamma as 1 (default true, as MXNet's op; nn.BatchNorm passes false unless `scale: false`). */
  fixGamma?: boolean;
  /** Add beta (default true). */
  center?: boolean;
  /** Normalize with the running statistics even in training (default false). */
  useGlobalStats?: boolean;
  /** Normalize with the batch's statistics and update the running ones (default: autograd.isTraining()). */
  training?: boolean;
}

/**
 * Batch normalization of `x` over every axis but `axis`: `(x - mean) / sqrt(var + eps) * gamma +
 * beta`. In training (and without `useGlobalStats`) mean and var are the batch's (the variance
 * biased, as MXNet's) and the running statistics are updated in place:
 * `running = momentum * running + (1 - momentum) * batch`. Otherwise the running statistics are
 * used and left unchanged. gamma, beta and the running statistics have shape (C,).
 * @example
 * const c = 3, x = nd.random.normal({ shape: [4, c, 5, 5] });
 * const y = nd.batchNorm(x, nd.ones([c]), nd.zeros([c]), nd.zeros([c]), nd.ones([c]), { training: true });
 */
export const batchNorm = publicOp('batchNorm', function batchNorm(
  x: NDArray, gamma: NDArray, beta: NDArray, runningMean: NDArray, runningVar: NDArray, options: BatchNormOptions = {},
): NDArray {
  const op = 'batchNorm';
  expectArray(op, x, 'the data');
  const named: [string, NDArray][] = [['gamma', gamma], ['beta', beta], ['runningMean', runningMean], ['runningVar', runningVar]];
  for (const [what, p] of named) expectArray(op, p, what);
  if (x.ndim < 2) throw new ShapeError(`${op}: the data of shape ${fmtShape(x.shape)} needs a batch axis and a channel axis`);
  const axis = normalizeAxis(options.axis ?? 1, x.ndim, op);
  const channels = x.shape[axis]!;
  for (const [what, p] of named) {
    if (p.ndim !== 1 || p.shape[0] !== channels) {
      throw new ShapeError(`${op}: ${what} must have shape (${channels},) for data of shape ${fmtShape(x.shape)} with channel axis ${axis}, got ${fmtShape(p.shape)}`);
    }
  }
  const eps = options.eps ?? 1e-3;
  const momentum = options.momentum ?? 0.9;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ValueError(`${op}: eps must be non-negative, got ${fmtValue(eps)}`);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new ValueError(`${op}: momentum must be in [0, 1], got ${fmtValue(momentum)}`);
  if (!isFloat(x.dtype) && !isFloat(gamma.dtype)) throw new DTypeError(`${op}: needs float data or parameters, got ${x.dtype} and ${gamma.dtype}; convert with .astype('float32')`);
  const dtype: DType = isFloat(x.dtype) ? x.dtype : gamma.dtype;
  const data = ensureDType(x, dtype);
  const plan: BatchNormPlan = { outer: sizeOf(x.shape.slice(0, axis)), channels, inner: sizeOf(x.shape.slice(axis + 1)), eps };
  const training = (options.training ?? isTraining()) && !(options.useGlobalStats ?? false);
  const attrs: BnAttrs = { plan, axis, scale: !(options.fixGamma ?? true), center: options.center ?? true, training };
  let mean = ensureDType(runningMean, dtype);
  let variance = ensureDType(runningVar, dtype);
  if (training) {
    mean = apply(meanPrim, [data], { plan, axis });
    variance = apply(variancePrim, [data, mean], { plan, axis });
    apply(movingAveragePrim, [runningMean, ensureDType(mean, runningMean.dtype)], { momentum });
    apply(movingAveragePrim, [runningVar, ensureDType(variance, runningVar.dtype)], { momentum });
  }
  return apply(batchNormPrim, [data, ensureDType(gamma, dtype), ensureDType(beta, dtype), mean, variance], attrs);
}, 5);
