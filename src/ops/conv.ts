/**
 * Convolution and transposed convolution (MXNet's Convolution / Deconvolution) over NCW, NCHW and
 * NCDHW arrays, with stride, zero padding, dilation and groups.
 *
 * Ungrouped convolution runs as the fused primitives of conv-fused.ts (im2col and GEMM over
 * cache-sized chunks of the batch, bias folded in). Grouped convolution and transposed
 * convolution are composites of two linear primitives, `im2col` (unfold every window into a
 * column) and its adjoint `col2im`, around the backend's GEMM: convolution = W · im2col(x),
 * transposed convolution = col2im(Wᵀ · x). Each primitive's gradient is the other one, so
 * gradients with respect to input, weight and bias (and higher-order ones) come from the rules.
 * Shape-only inputs flow through unchanged, which is what layer shape inference relies on.
 */
import { isFloat, promote } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import type { WindowPlan } from '../backend/kernels.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { add } from './binary.js';
import { matmul } from './matmul.js';
import { reshape } from './shape.js';
import { fusedConvolution, type ConvActivation } from './conv-fused.js';
import { relu, sigmoid, tanh } from './unary.js';
import { publicOp } from '../core/public.js';

/** A per-axis setting: one number for every spatial axis, or one per axis. */
export type SpatialArg = number | readonly number[];

/** Expands `value` to one positive (or non-negative) integer per spatial axis. */
export function spatialTuple(value: SpatialArg, n: number, what: string, op: string, min: number): number[] {
  if (typeof value !== 'number' && !Array.isArray(value)) {
    throw new ValueError(`${op}: ${what} must be a number or a list of ${n} number${n === 1 ? '' : 's'}, got ${fmtValue(value)}`);
  }
  const out = typeof value === 'number' ? new Array<number>(n).fill(value) : Array.from(value as readonly number[]);
  if (out.length !== n) {
    throw new ValueError(`${op}: ${what} ${fmtValue(value)} must give ${n} value${n === 1 ? '' : 's'}, one per spatial axis`);
  }
  for (const v of out) {
    if (!Number.isSafeInteger(v) || v < min) {
      throw new ValueError(`${op}: ${what} ${fmtValue(value)} must hold integers >= ${min}`);
    }
  }
  return out;
}

/** Pads a 1-, 2- or 3-element spatial tuple to the kernels' three axes (leading extents of 1). */
export function to3(v: readonly number[], fill: number): [number, number, number] {
  const p = [...new Array<number>(3 - v.length).fill(fill), ...v];
  return [p[0]!, p[1]!, p[2]!];
}

/** Checks the layout (N, C, spatial...) with 1 to 3 spatial axes and returns their count. */
export function spatialRank(x: NDArray, op: string): number {
  if (x.ndim < 3 || x.ndim > 5) {
    throw new ShapeError(
      `${op}: input of shape ${fmtShape(x.shape)} must be (N, C, W), (N, C, H, W) or (N, C, D, H, W); add a batch axis with expandDims(0) if needed`,
    );
  }
  return x.ndim - 2;
}

export interface WindowGeometry {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly pad: readonly number[];
  readonly dilation: readonly number[];
}

/** The kernel plan for sliding `geom` over `input` (N, C, *in) with output extents `out`. */
export function windowPlan(input: readonly number[], out: readonly number[], geom: WindowGeometry): WindowPlan {
  return {
    batch: input[0]!,
    channels: input[1]!,
    in: to3(input.slice(2), 1),
    out: to3(out, 1),
    kernel: to3(geom.kernel, 1),
    stride: to3(geom.stride, 1),
    pad: to3(geom.pad, 0),
    dilation: to3(geom.dilation, 1),
  };
}

interface ColAttrs {
  readonly plan: WindowPlan;
  /** The image-side shape (N, C, *in). */
  readonly image: readonly number[];
  /** The column-side shape (N, C * prod(kernel), prod(out)). */
  readonly cols: readonly number[];
}

const im2colPrim: Primitive<ColAttrs, WindowPlan> = primitive({
  name: 'im2col',
  infer: ([x], attrs) => ({ shape: attrs.cols, dtype: x!.dtype, plan: attrs.plan }),
  compute: (k, out, [x], plan) => k.im2col(out, x!, plan),
  grad: (g, { attrs }) => [apply(col2imPrim, [g], attrs)],
});

const col2imPrim: Primitive<ColAttrs, WindowPlan> = primitive({
  name: 'col2im',
  infer: ([c], attrs) => ({ shape: attrs.image, dtype: c!.dtype, plan: attrs.plan }),
  compute: (k, out, [c], plan) => k.col2im(out, c!, plan),
  grad: (g, { attrs }) => [apply(im2colPrim, [g], attrs)],
});

function colAttrs(image: readonly number[], out: readonly number[], geom: WindowGeometry): ColAttrs {
  const cols = [image[0]!, image[1]! * sizeOf(geom.kernel), sizeOf(out)];
  return { plan: windowPlan(image, out, geom), image: [...image], cols };
}

export interface ConvolutionOptions {
  /** Kernel extents; taken from the weight's shape when omitted (checked when given). */
  kernel?: SpatialArg;
  /** Step between windows (default 1). */
  stride?: SpatialArg;
  /** Implicit zero padding on both sides of each spatial axis (default 0). */
  pad?: SpatialArg;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialArg;
  /** Channel groups: input and output channels are split into this many independent groups (default 1). */
  numGroup?: number;
  /** Number of output channels; checked against the weight when given. */
  numFilter?: number;
}

interface Prepared {
  x: NDArray;
  weight: NDArray;
  bias: NDArray | null;
  geom: WindowGeometry;
  groups: number;
}

function prepare(op: string, x: NDArray, weight: NDArray, bias: NDArray | null | undefined, options: ConvolutionOptions): Prepared {
  expectArray(op, x);
  expectArray(op, weight, 'the weight');
  if (bias !== null && bias !== undefined) expectArray(op, bias, 'the bias (or null)');
  const dtype = promote(promote(x.dtype, weight.dtype), bias ? bias.dtype : weight.dtype);
  if (!isFloat(dtype)) {
    throw new DTypeError(`${op}: needs float32 or float64 arrays, got input ${x.dtype} and weight ${weight.dtype}; convert with .astype('float32')`);
  }
  const n = spatialRank(x, op);
  if (weight.ndim !== x.ndim) {
    throw new ShapeError(
      `${op}: weight of shape ${fmtShape(weight.shape)} must have ${x.ndim} axes to match input ${fmtShape(x.shape)} ` +
        `(${op === 'convolution' ? 'out channels, in channels / groups' : 'in channels, out channels / groups'}, then the kernel extents)`,
    );
  }
  const groups = options.numGroup ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${op}: numGroup must be a positive integer, got ${fmtValue(groups)}`);
  const kernel = weight.shape.slice(2);
  if (options.kernel !== undefined) {
    const k = spatialTuple(options.kernel, n, 'kernel', op, 1);
    if (k.some((v, i) => v !== kernel[i])) {
      throw new ShapeError(`${op}: kernel ${fmtShape(k)} does not match the weight's kernel extents in ${fmtShape(weight.shape)}`);
    }
  }
  if (kernel.some((v) => v < 1)) throw new ShapeError(`${op}: weight of shape ${fmtShape(weight.shape)} has an empty kernel`);
  const geom: WindowGeometry = {
    kernel,
    stride: spatialTuple(options.stride ?? 1, n, 'stride', op, 1),
    pad: spatialTuple(options.pad ?? 0, n, 'pad', op, 0),
    dilation: spatialTuple(options.dilation ?? 1, n, 'dilation', op, 1),
  };
  return {
    x: ensureDType(x, dtype),
    weight: ensureDType(weight, dtype),
    bias: bias ? ensureDType(bias, dtype) : null,
    geom,
    groups,
  };
}

function checkBias(op: string, bias: NDArray, channels: number): void {
  if (bias.ndim !== 1 || bias.shape[0] !== channels) {
    throw new ShapeError(`${op}: bias of shape ${fmtShape(bias.shape)} must be (${channels},), one value per output channel`);
  }
}

function addBias(op: string, y: NDArray, bias: NDArray | null, channels: number): NDArray {
  if (bias === null) return y;
  checkBias(op, bias, channels);
  return add(y, reshape(bias, [channels, ...new Array<number>(y.ndim - 2).fill(1)]));
}

/**
 * N-d convolution (cross-correlation, as in every deep learning library) of `x` (N, C, *spatial)
 * with `weight` (O, C / numGroup, *kernel), plus an optional `bias` (O,).
 * Output extent per axis: floor((in + 2 pad - dilation (kernel - 1) - 1) / stride) + 1.
 * @example nd.convolution(nd.ones([1, 1, 3, 3]), nd.ones([1, 1, 2, 2])) // 4s, shape (1, 1, 2, 2)
 */
export const convolution = publicOp('convolution', function convolution(x: NDArray, weight: NDArray, bias?: NDArray | null, options: ConvolutionOptions = {}): NDArray {
  return convolve(x, weight, bias, options, null);
}, 3);

/**
 * @internal `convolution` followed by the activation `act`, applied in the convolution's epilogue
 * when ungrouped (conv-fused.ts); for a layer's `activation` option in eager code.
 */
export const convolutionActivated = publicOp('convolution', function convolutionActivated(x: NDArray, weight: NDArray, bias: NDArray | null, options: ConvolutionOptions, act: ConvActivation): NDArray {
  return convolve(x, weight, bias, options, act);
}, 3);

function convolve(x: NDArray, weight: NDArray, bias: NDArray | null | undefined, options: ConvolutionOptions, act: ConvActivation | null): NDArray {
  const op = 'convolution';
  const p = prepare(op, x, weight, bias, options);
  const { geom, groups } = p;
  const [N, C] = [p.x.shape[0]!, p.x.shape[1]!];
  const [O, Cg] = [p.weight.shape[0]!, p.weight.shape[1]!];
  if (C !== Cg * groups) {
    throw new ShapeError(
      `${op}: input ${fmtShape(p.x.shape)} has ${C} channels but weight ${fmtShape(p.weight.shape)} with numGroup ${groups} expects ` +
        `${Cg * groups} (weight axis 1 times numGroup); give the layer the right inChannels or fix the input`,
    );
  }
  if (O % groups !== 0) {
    throw new ShapeError(`${op}: weight ${fmtShape(p.weight.shape)} has ${O} output channels, not divisible by numGroup ${groups}`);
  }
  if (options.numFilter !== undefined && options.numFilter !== O) {
    throw new ShapeError(`${op}: numFilter ${options.numFilter} does not match the weight's ${O} output channels in ${fmtShape(p.weight.shape)}`);
  }
  const spatial = p.x.shape.slice(2);
  const out = spatial.map((d, i) => {
    const { kernel: k, stride: s, pad: pd, dilation: dl } = geom;
    const span = dl[i]! * (k[i]! - 1) + 1;
    const o = Math.floor((d + 2 * pd[i]! - span) / s[i]!) + 1;
    if (o < 1) {
      throw new ShapeError(
        `${op}: input ${fmtShape(p.x.shape)} is too small on spatial axis ${i}: extent ${d} with padding ${pd[i]} ` +
          `cannot fit a kernel spanning ${span} (weight ${fmtShape(p.weight.shape)}); pad the input or use a smaller kernel`,
      );
    }
    return o;
  });
  if (groups === 1) {
    if (p.bias !== null) checkBias(op, p.bias, O);
    return fusedConvolution(p.x, p.weight, p.bias, windowPlan(p.x.shape, out, geom), act);
  }
  // Grouped: one im2col for the whole batch, then a GEMM batched over (sample, group).
  const cols = apply(im2colPrim, [p.x], colAttrs(p.x.shape, out, geom));
  const K = sizeOf(geom.kernel);
  const w = reshape(p.weight, [groups, O / groups, Cg * K]);
  const y = addBias(op, reshape(matmul(w, reshape(cols, [N, groups, Cg * K, sizeOf(out)])), [N, O, ...out]), p.bias, O);
  return act === null ? y : ACTIVATIONS[act](y);
}

const ACTIVATIONS = { relu, sigmoid, tanh } as const satisfies Record<ConvActivation, unknown>;

export interface DeconvolutionOptions extends ConvolutionOptions {
  /**
   * Extra extent added to one side of each output axis (MXNet's `adj`, PyTorch's output_padding),
   * to pick among the input sizes a strided convolution maps to the same output; < stride or dilation.
   */
  adj?: SpatialArg;
}

/**
 * Transposed convolution (the gradient of convolution with respect to its input), as used to
 * upsample: `x` (N, C, *spatial), `weight` (C, O / numGroup, *kernel), optional `bias` (O,).
 * Output extent per axis: (in - 1) stride - 2 pad + dilation (kernel - 1) + 1 + adj.
 * @example nd.deconvolution(nd.ones([1, 1, 2, 2]), nd.ones([1, 1, 2, 2]), null, { stride: 2 }) // shape (1, 1, 4, 4)
 */
export const deconvolution = publicOp('deconvolution', function deconvolution(x: NDArray, weight: NDArray, bias?: NDArray | null, options: DeconvolutionOptions = {}): NDArray {
  const op = 'deconvolution';
  const p = prepare(op, x, weight, bias, options);
  const { geom, groups } = p;
  const n = geom.kernel.length;
  const [N, C] = [p.x.shape[0]!, p.x.shape[1]!];
  const [Cw, Og] = [p.weight.shape[0]!, p.weight.shape[1]!];
  if (C !== Cw) {
    throw new ShapeError(
      `${op}: input ${fmtShape(p.x.shape)} has ${C} channels but weight ${fmtShape(p.weight.shape)} expects ${Cw} ` +
        `(weight axis 0 is the input channels); give the layer the right inChannels or fix the input`,
    );
  }
  if (C % groups !== 0) throw new ShapeError(`${op}: input ${fmtShape(p.x.shape)} has ${C} channels, not divisible by numGroup ${groups}`);
  const O = Og * groups;
  if (options.numFilter !== undefined && options.numFilter !== O) {
    throw new ShapeError(`${op}: numFilter ${options.numFilter} does not match ${O} output channels from weight ${fmtShape(p.weight.shape)} and numGroup ${groups}`);
  }
  const adj = spatialTuple(options.adj ?? 0, n, 'adj', op, 0);
  const spatial = p.x.shape.slice(2);
  const out = spatial.map((d, i) => {
    const { kernel: k, stride: s, pad: pd, dilation: dl } = geom;
    if (adj[i]! >= Math.max(s[i]!, dl[i]!)) {
      throw new ValueError(`${op}: adj ${fmtValue(adj)} must be smaller than the stride or the dilation on each axis (axis ${i}: stride ${s[i]}, dilation ${dl[i]})`);
    }
    const o = (d - 1) * s[i]! - 2 * pd[i]! + dl[i]! * (k[i]! - 1) + 1 + adj[i]!;
    if (o < 1) {
      throw new ShapeError(`${op}: input ${fmtShape(p.x.shape)} with padding ${fmtValue(geom.pad)} gives an empty output on spatial axis ${i}; reduce the padding`);
    }
    return o;
  });
  const K = sizeOf(geom.kernel);
  const L = sizeOf(spatial);
  let cols: NDArray;
  if (groups === 1) {
    cols = matmul(reshape(p.weight, [C, O * K]), reshape(p.x, [N, C, L]), { transposeA: true });
  } else {
    const w = reshape(p.weight, [groups, C / groups, Og * K]);
    cols = reshape(matmul(w, reshape(p.x, [N, groups, C / groups, L]), { transposeA: true }), [N, O * K, L]);
  }
  const attrs = colAttrs([N, O, ...out], spatial, geom);
  const y = apply(col2imPrim, [cols], attrs);
  return addBias(op, y, p.bias, O);
}, 3);
