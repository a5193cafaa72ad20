/**
 * Ungrouped convolution as three mutually differentiable primitives, each one kernel-table entry
 * (the backend unfolds windows into cache-sized buffers and runs the GEMM on them, so the unfolded
 * columns never exist for the whole batch):
 *
 * - `convolution` y[n] = W · cols(x[n]) (+ bias);
 * - `convolutionDataGrad` gx[n] = col2im(Wᵀ · g[n]);
 * - `convolutionWeightGrad` gW = Σn g[n] · cols(x[n])ᵀ.
 *
 * Each is bilinear, and the gradients of each are the other two (and the first), so gradients of
 * any order compose. Every kernel overwrites its whole output, so outputs are not zeroed first.
 * The bias gradient sums g over its spatial axes, then over the batch: two contiguous reductions
 * instead of a transpose and one.
 *
 * `convolutionActivation` is the convolution with an activation applied in its epilogue, for a
 * layer's `activation` option in eager code (hybridized graphs fuse the same pair themselves,
 * src/graph/fuse-epilogue.ts). The pre-activation output never exists as an array: eager training
 * allocates, and keeps alive until backward, one activation-sized array per layer instead of two
 * (4.8 MB less for LeNet's first layer at batch 256), which is what pushes V8 into full
 * collections (src/backend/native/gc-tuning.ts). Only activations whose gradient reads their
 * output qualify; the bits are the unfused pair's (the fused chain computes as the unary kernel).
 */
import { sizeOf } from '../core/shape.js';
import type { ConvPlan, FusedPlan, WindowPlan } from '../backend/kernels.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { apply, applyInto, primitive, wantsGrad, type GradContext, type Primitive } from './define.js';
import { reluGrad, sigmoidGrad, tanhGrad } from './binary.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

interface ConvAttrs {
  /** The convolution plan over the whole input (N, C, *in), with the output extents and filters. */
  readonly plan: ConvPlan;
  readonly xShape: readonly number[];
  readonly wShape: readonly number[];
  readonly yShape: readonly number[];
}

const convPrim: Primitive<ConvAttrs, ConvPlan> = primitive({
  name: 'convolution',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.yShape, dtype: x!.dtype, plan: attrs.plan }),
  compute: (k, y, [x, w, b], plan) => k.conv(y, x!, w!, b ?? null, plan),
  grad: (g, ctx) => convGrads(g, ctx),
});

/** The gradients of x, w (and the bias) given the gradient g of the convolution's output. */
function convGrads(g: NDArray, ctx: GradContext<ConvAttrs>): (NDArray | null)[] {
  const { inputs: [x, w, b], attrs } = ctx;
  const gx = wantsGrad(ctx, 0) ? apply(dataGradPrim, [g, w!], attrs) : null;
  const gw = wantsGrad(ctx, 1) ? applyInto(weightGradPrim, [x!, g], attrs, ctx.into?.[1] ?? null) : null;
  if (b === undefined) return [gx, gw];
  const [N, O] = [attrs.yShape[0]!, attrs.yShape[1]!];
  return [gx, gw, wantsGrad(ctx, 2) ? sum(sum(reshape(g, [N, O, sizeOf(attrs.yShape.slice(2))]), 2), 0) : null];
}

/** The activations `convolutionActivation` fuses, each with its gradient rule from the output. */
const ACTIVATION_GRADS = { relu: reluGrad, sigmoid: sigmoidGrad, tanh: tanhGrad } as const;
export type ConvActivation = keyof typeof ACTIVATION_GRADS;

/** True when `act` is one that `fusedConvolution` can apply in its epilogue. */
export function isConvActivation(act: string): act is ConvActivation {
  return Object.hasOwn(ACTIVATION_GRADS, act);
}

interface ConvActAttrs extends ConvAttrs {
  readonly act: ConvActivation;
  /** The activation as a one-step fused chain over the convolution's output. */
  readonly epilogue: FusedPlan;
}

const convActPrim: Primitive<ConvActAttrs, ConvActAttrs> = primitive({
  name: 'convolutionActivation',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.yShape, dtype: x!.dtype, plan: attrs }),
  compute: (k, y, [x, w, b], a) => k.convFused(y, x!, w!, b ?? null, a.plan, [], a.epilogue, 0),
  grad: (g, ctx) => convGrads(ACTIVATION_GRADS[ctx.attrs.act](g, ctx.out), ctx),
});

const dataGradPrim: Primitive<ConvAttrs, ConvPlan> = primitive({
  name: 'convolutionDataGrad',
  outputInit: 'none',
  infer: ([g], attrs) => ({ shape: attrs.xShape, dtype: g!.dtype, plan: attrs.plan }),
  compute: (k, gx, [g, w], plan) => k.convDataGrad(gx, g!, w!, plan),
  grad(gg, ctx) {
    const { inputs: [g, w], attrs } = ctx;
    return [
      wantsGrad(ctx, 0) ? apply(convPrim, [gg, w!], attrs) : null,
      wantsGrad(ctx, 1) ? apply(weightGradPrim, [gg, g!], attrs) : null,
    ];
  },
});

const weightGradPrim: Primitive<ConvAttrs, ConvPlan> = primitive({
  name: 'convolutionWeightGrad',
  outputInit: 'none',
  infer: ([x], attrs) => ({ shape: attrs.wShape, dtype: x!.dtype, plan: attrs.plan }),
  compute(k, gw, [x, g], plan) {
    // No output positions or no input values: every product is zero, and the batch may be
    // enormous (a zero-element batch of 2^40 samples must cost O(1)). gw may come from
    // applyInto, not zeroed.
    if (g!.length === 0 || x!.length === 0) {
      gw.fill(0);
      return;
    }
    k.convWeightGrad(gw, x!, g!, plan);
  },
  grad(gg, ctx) {
    const { inputs: [x, g], attrs } = ctx;
    return [
      wantsGrad(ctx, 0) ? apply(dataGradPrim, [g!, gg], attrs) : null,
      wantsGrad(ctx, 1) ? apply(convPrim, [x!, gg], attrs) : null,
    ];
  },
});

/**
 * Convolution of x (N, C, *in) with weight (O, C, *kernel) plus an optional bias (O,), all of one
 * float dtype and already validated, over the window plan `plan` (whose `out` gives the output
 * extents), then the activation `act` when given.
 */
export function fusedConvolution(x: NDArray, weight: NDArray, bias: NDArray | null, plan: WindowPlan, act: ConvActivation | null = null): NDArray {
  const out = plan.out.slice(3 - (x.ndim - 2));
  const attrs: ConvAttrs = {
    plan: { ...plan, filters: weight.shape[0]! },
    xShape: x.shape,
    wShape: weight.shape,
    yShape: [x.shape[0]!, weight.shape[0]!, ...out],
  };
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  if (act === null) return apply(convPrim, inputs, attrs);
  const epilogue: FusedPlan = { size: sizeOf(attrs.yShape), inner: 1, channels: 1, layouts: [0], steps: [{ op: act, args: [0] }] };
  return apply(convActPrim, inputs, { ...attrs, act, epilogue });
}
