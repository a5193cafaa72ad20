/**
 * The kernel table: every primitive computation a backend must provide, and nothing else.
 *
 * Kernels receive JavaScript-owned typed arrays and write their output in place; they never
 * allocate arrays that outlive the call. The op layer (src/ops) has already checked shapes and
 * dtypes and built a plan (broadcast strides, reduction extents), so a kernel only loops.
 * `KernelTable` is a mapped type over the primitive names: a backend that lacks a kernel does not
 * compile. A backend that reuses the reference kernel for some entry says so in its table.
 */
import type { DType, TypedArray } from '../core/dtype.js';

export const UNARY_OPS = [
  'neg', 'abs', 'sign', 'exp', 'log', 'log2', 'log10', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'cbrt',
  'square', 'reciprocal', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh',
  'tanh', 'arcsinh', 'arccosh', 'arctanh', 'sigmoid', 'relu', 'softrelu', 'erf', 'floor', 'ceil',
  'round', 'trunc', 'logicalNot',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/**
 * Binary element-wise ops. The `*Grad` entries are gradient kernels (for example
 * `reluGrad(g, x) = g * (x > 0)`), fused so that a backward pass is one sweep over memory.
 */
export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod', 'arctan2', 'hypot',
  'equal', 'notEqual', 'greater', 'greaterEqual', 'lesser', 'lesserEqual',
  'logicalAnd', 'logicalOr', 'logicalXor',
  'reluGrad', 'sigmoidGrad', 'tanhGrad', 'softreluGrad',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const REDUCE_OPS = ['sum', 'prod', 'max', 'min'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export const ARG_REDUCE_OPS = ['argmax', 'argmin'] as const;
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];

/** Read `a` and `b` with these element strides (0 on broadcast axes) over `shape`. */
export interface BroadcastPlan {
  readonly shape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/** Three-way broadcast, for `where(cond, a, b)`. */
export interface TernaryPlan extends BroadcastPlan {
  readonly cStrides: readonly number[];
}

/**
 * A reduction over the middle axis of a contiguous (outer, reduce, inner) view; the op layer
 * arranges non-adjacent reduced axes into that form first.
 */
export interface ReducePlan {
  readonly outer: number;
  readonly reduce: number;
  readonly inner: number;
}

/**
 * out[b] = op(A[b]) · op(B[b]) with op = transpose when the flag is set; A[b] starts at
 * b * aBatchStride (0 broadcasts one matrix over the batch). Row-major, contiguous matrices:
 * A is (m, k), or (k, m) when transA; B is (k, n), or (n, k) when transB; out is (m, n).
 */
export interface MatmulPlan {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly aBatchStride: number;
  readonly bBatchStride: number;
  /** When true, add into `out` instead of overwriting it (gradient accumulation). */
  readonly accumulate?: boolean;
}

/** A strided view into a flat buffer. */
export interface View {
  readonly offset: number;
  readonly strides: readonly number[];
}

/** (outer, axis, inner) extents for gathers and scatters along one axis. */
export interface AxisPlan {
  readonly outer: number;
  readonly axisLen: number;
  readonly inner: number;
}

/**
 * Sliding windows over the spatial axes of an (N, C, D, H, W) array, for convolution and
 * pooling. 1-D and 2-D ops use leading spatial extents of 1, so every kernel sees three axes.
 * Output extents are already computed (and validated) by the op layer; `pad` is the implicit zero
 * padding before each axis (windows may also run past the end, as in ceil mode).
 */
export interface WindowPlan {
  readonly batch: number;
  readonly channels: number;
  /** Input spatial extents (D, H, W). */
  readonly in: readonly [number, number, number];
  /** Output spatial extents (D, H, W). */
  readonly out: readonly [number, number, number];
  readonly kernel: readonly [number, number, number];
  readonly stride: readonly [number, number, number];
  readonly pad: readonly [number, number, number];
  readonly dilation: readonly [number, number, number];
}

/** Convolution: the window plan over the input (N, C, *in) plus the number of filters O. */
export interface ConvPlan extends WindowPlan {
  readonly filters: number;
}

/** Average pooling also needs to know whether padded cells count in the divisor. */
export interface AvgPoolPlan extends WindowPlan {
  readonly countIncludePad: boolean;
}

/**
 * Batch normalization over `x` viewed as (outer, channels, inner): the normalized axis is the
 * middle one, its statistics are taken over the M = outer · inner elements of each channel, and
 * `eps` is added to the variance before the square root.
 */
export interface BatchNormPlan {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
  readonly eps: number;
}

/**
 * One step of a fused element-wise chain. `args` are registers: the kernel's inputs are registers
 * 0..k-1 and step i writes register k + i. A unary or binary step is exactly that kernel; a
 * `batchNorm` step is `batchNormForward` on one element (its mean, variance, gamma and beta are
 * per-channel registers; gamma and beta are used when `scale` / `center`).
 */
export type FusedStep =
  | { readonly op: UnaryOp; readonly args: readonly [number] }
  | { readonly op: BinaryOp; readonly args: readonly [number, number] }
  | { readonly op: 'batchNorm'; readonly args: readonly [number, number, number, number, number]; readonly eps: number; readonly scale: boolean; readonly center: boolean };

/**
 * A chain of element-wise steps computed in one pass over memory (hybridize's fusion). The output
 * has `size` elements; input `i` is read per `layouts[i]`: 0 full (`size` elements, element j at
 * j), 1 scalar (one element), 2 per channel (`channels` elements, element j reads channel
 * floor(j / inner) % channels). Every step's result is rounded to the output's dtype, as the
 * separate kernels would store it, so a fused chain gives the same bits as the chain unfused.
 */
export interface FusedPlan {
  readonly size: number;
  readonly inner: number;
  readonly channels: number;
  readonly layouts: readonly number[];
  readonly steps: readonly FusedStep[];
}

/**
 * The hyper-parameters every fused optimizer update shares, resolved for one parameter by
 * src/optim. Each rule first forms the gradient from the raw one: `rescale * grad`, clipped to
 * [-clip, clip] (`clip` is Infinity for none), with weight decay added where the rule says.
 * Kernels compute in double precision and round once when they store, so float32 weights get the
 * same bits on every backend.
 */
export interface UpdateParams {
  /** Learning rate (schedule and lrMult included). */
  readonly lr: number;
  /** Weight decay (wdMult included). */
  readonly wd: number;
  /** Factor applied to the raw gradient first (1 / batchSize from the Trainer). */
  readonly rescale: number;
  /** Clipping bound of the rescaled gradient; Infinity for none. */
  readonly clip: number;
}

/**
 * SGD (MXNet's rule), `g = clip(rescale * grad) + wd * w`: without momentum `w -= lr * g`; with
 * momentum `mom = momentum * mom - lr * g; w += mom`; Nesterov `mom = momentum * mom + g;
 * w -= lr * (g + momentum * mom)`. The `wd * w` term is skipped when wd is 0, as in PyTorch.
 */
export interface SgdUpdateParams extends UpdateParams {
  readonly momentum: number;
  readonly nesterov: boolean;
}

/**
 * Adam: `g = clip(rescale * grad + wd * w)` (AdamW, `decoupled`: `g = clip(rescale * grad)`);
 * `m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2; w -= lr * m / (sqrt(v) + epsilon)`
 * and, decoupled, then `w -= decay * w`. Here `lr` is the bias-corrected step size.
 */
export interface AdamUpdateParams extends UpdateParams {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly decoupled: boolean;
  /** AdamW's weight shrink per step (learning rate times wd); unused unless `decoupled`. */
  readonly decay: number;
}

/**
 * RMSProp, `g = clip(rescale * grad + wd * w)`, `n = gamma1 n + (1 - gamma1) g^2`. Plain:
 * `w -= lr g / sqrt(n + epsilon)`. Centered: `gbar = gamma1 gbar + (1 - gamma1) g`,
 * `delta = gamma2 delta - lr g / sqrt(n - gbar^2 + epsilon); w += delta`. Then w is clipped to
 * [-clipWeights, clipWeights] (Infinity for none).
 */
export interface RmspropUpdateParams extends UpdateParams {
  readonly gamma1: number;
  readonly gamma2: number;
  readonly epsilon: number;
  readonly clipWeights: number;
  readonly centered: boolean;
}

/** AdaGrad, `g = clip(rescale * grad)`: `h += g^2; w -= lr * (g / sqrt(h + epsilon) + wd * w)`. */
export interface AdagradUpdateParams extends UpdateParams {
  readonly epsilon: number;
}

/** The recurrences `rnnForward` / `rnnBackward` compute; gate order is MXNet's (and PyTorch's). */
export const RNN_MODES = ['rnn_relu', 'rnn_tanh', 'lstm', 'gru'] as const;
export type RnnMode = (typeof RNN_MODES)[number];

/** CTC over (T, N, C) log-probabilities with labels (N, L) and the blank at class `blank`. */
export interface CtcPlan {
  readonly steps: number;
  readonly batch: number;
  readonly classes: number;
  readonly maxLabel: number;
  readonly blank: number;
  /** Per-sample step counts are given (else every sample has T steps). */
  readonly hasPredLengths: boolean;
  /** Per-sample label lengths are given (else a label ends at its first -1). */
  readonly hasLabelLengths: boolean;
}

/**
 * One direction of one recurrent layer over a whole sequence (src/ops/rnn.ts documents the
 * equations and the layouts). G is the number of gates (1 rnn, 4 lstm, 3 gru), H the hidden size,
 * P the size of h (H, or the LSTM projection size). Arrays, all of one float dtype:
 * xproj (T, N, G*H) the input projection with its bias; whh (G*H, P); bhh (G*H); h0 (N, P);
 * c0 (N, H) for lstm (else empty); whr (P, H) with a projection (else empty). `out` is (T, N, S)
 * with S = P + H for lstm (h then c per row) and H otherwise; `ws` (T, N, W) keeps what the
 * backward needs: lstm W = 5H (i, f, g, o activated, tanh(c)), gru W = 4H (r, z, n, the h2h part
 * of n with its bias), rnn W = 0. `reverse` runs time backwards (t = T-1 first).
 */
export interface RnnPlan {
  readonly mode: RnnMode;
  readonly steps: number;
  readonly batch: number;
  readonly hidden: number;
  readonly proj: number;
  readonly reverse: boolean;
}

export type UnaryKernel = (out: TypedArray, x: TypedArray) => void;
export type BinaryKernel = (out: TypedArray, a: TypedArray, b: TypedArray, plan: BroadcastPlan) => void;
export type ReduceKernel = (out: TypedArray, x: TypedArray, plan: ReducePlan) => void;
export type ArgReduceKernel = (out: Int32Array, x: TypedArray, plan: ReducePlan) => void;

export interface KernelTable {
  readonly unary: { readonly [K in UnaryOp]: UnaryKernel };
  readonly binary: { readonly [K in BinaryOp]: BinaryKernel };
  readonly reduce: { readonly [K in ReduceOp]: ReduceKernel };
  readonly argReduce: { readonly [K in ArgReduceOp]: ArgReduceKernel };
  /** out = cond ? a : b, element-wise with three-way broadcasting. */
  where(out: TypedArray, cond: TypedArray, a: TypedArray, b: TypedArray, plan: TernaryPlan): void;
  /** Converts between dtypes (float to int truncates toward zero, as typed arrays do). */
  cast(out: TypedArray, x: TypedArray): void;
  /**
   * Converts to or from a 16-bit float storage dtype (float16, bfloat16 bit patterns in a
   * Uint16Array), rounding to nearest even; `from` and `to` say what each array holds.
   */
  castHalf(out: TypedArray, x: TypedArray, from: DType, to: DType): void;
  /** Copies `shape` elements from a strided view of `src` into a strided view of `dst`. */
  copyStrided(dst: TypedArray, dstView: View, src: TypedArray, srcView: View, shape: readonly number[]): void;
  matmul(out: TypedArray, a: TypedArray, b: TypedArray, plan: MatmulPlan): void;
  /**
   * out = bias (n values, added to every row) + the product, `plan.accumulate` ignored: the same
   * bits as copying the bias into every row of out and calling matmul with accumulate, in one pass.
   */
  matmulBias(out: TypedArray, a: TypedArray, b: TypedArray, bias: TypedArray, plan: MatmulPlan): void;
  /** out[o, j, i] = x[o, idx[j], i]; idx already validated and wrapped into [0, axisLen). */
  take(out: TypedArray, x: TypedArray, idx: Int32Array, plan: AxisPlan): void;
  /** gx[o, idx[j], i] += g[o, j, i] (gx is zeroed by the caller). */
  takeGrad(gx: TypedArray, g: TypedArray, idx: Int32Array, plan: AxisPlan): void;
  /** out[o, i] = x[o, idx[o, i], i]. */
  pick(out: TypedArray, x: TypedArray, idx: Int32Array, plan: AxisPlan): void;
  /** gx[o, idx[o, i], i] += g[o, i] (gx is zeroed by the caller). */
  pickGrad(gx: TypedArray, g: TypedArray, idx: Int32Array, plan: AxisPlan): void;
  /** Softmax or log-softmax over the middle axis of (outer, axisLen, inner). */
  softmax(out: TypedArray, x: TypedArray, plan: AxisPlan): void;
  logSoftmax(out: TypedArray, x: TypedArray, plan: AxisPlan): void;
  /** gx = y * (g - sum(g * y)) along the axis. */
  softmaxGrad(gx: TypedArray, g: TypedArray, y: TypedArray, plan: AxisPlan): void;
  /** gx = g - exp(y) * sum(g) along the axis, y being the log-softmax output. */
  logSoftmaxGrad(gx: TypedArray, g: TypedArray, y: TypedArray, plan: AxisPlan): void;
  /**
   * cols[n, (c, kd, kh, kw), (od, oh, ow)] = x[n, c, od*sd - pd + kd*dd, ...], zero outside x.
   * cols has shape (N, C * kD * kH * kW, oD * oH * oW); convolution is then one GEMM.
   */
  im2col(cols: TypedArray, x: TypedArray, plan: WindowPlan): void;
  /** The adjoint of im2col: gx[n, c, pos] += every cols entry read from pos (gx zeroed by the caller). */
  col2im(gx: TypedArray, cols: TypedArray, plan: WindowPlan): void;
  /**
   * Ungrouped convolution y (N, O, *out) = w (O, C, *kernel) applied to every window of x
   * (N, C, *in), plus bias (O) when given; overwrites all of y.
   */
  conv(y: TypedArray, x: TypedArray, w: TypedArray, bias: TypedArray | null, plan: ConvPlan): void;
  /**
   * conv, then the fused chain `epilogue` into y, whose input `self` is conv's output (the other
   * inputs are `inputs`, in order, and never share memory with y): the same bits as conv then
   * fused, computed while each region of y is still in cache. Per-channel inputs are per filter.
   */
  convFused(y: TypedArray, x: TypedArray, w: TypedArray, bias: TypedArray | null, plan: ConvPlan, inputs: readonly TypedArray[], epilogue: FusedPlan, self: number): void;
  /** Gradient of conv with respect to x: gx = col2im(wᵀ · g) per sample; overwrites all of gx. */
  convDataGrad(gx: TypedArray, g: TypedArray, w: TypedArray, plan: ConvPlan): void;
  /** Gradient of conv with respect to w: gw = Σn g[n] · im2col(x[n])ᵀ; overwrites all of gw. */
  convWeightGrad(gw: TypedArray, x: TypedArray, g: TypedArray, plan: ConvPlan): void;
  /** Max over each window (cells outside x are ignored; a window with none gives -Infinity). */
  maxPool(out: TypedArray, x: TypedArray, plan: WindowPlan): void;
  /** gx[argmax of each window] += g, from zero (first maximum wins ties); overwrites all of gx. */
  maxPoolGrad(gx: TypedArray, g: TypedArray, x: TypedArray, plan: WindowPlan): void;
  /** Mean over each window; the divisor counts padded cells when `countIncludePad`. */
  avgPool(out: TypedArray, x: TypedArray, plan: AvgPoolPlan): void;
  /** The adjoint of avgPool: gx[pos] = the sum of g / divisor over the windows covering pos; overwrites all of gx. */
  avgPoolGrad(gx: TypedArray, g: TypedArray, plan: AvgPoolPlan): void;
  /** mean[c] = the mean of channel c (summed in double precision). */
  batchNormMean(mean: TypedArray, x: TypedArray, plan: BatchNormPlan): void;
  /** variance[c] = the biased variance of channel c around `mean[c]` (in double precision). */
  batchNormVariance(variance: TypedArray, x: TypedArray, mean: TypedArray, plan: BatchNormPlan): void;
  /** y = (x - mean) / sqrt(variance + eps) · gamma + beta per channel; gamma null = 1, beta null = 0. */
  batchNormForward(y: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray, gamma: TypedArray | null, beta: TypedArray | null, plan: BatchNormPlan): void;
  /**
   * sums[c] = Σ g · x̂ and sums[C + c] = Σ g over channel c (C = channels), with
   * x̂ = (x - mean) / sqrt(variance + eps): the gradients of gamma and beta.
   */
  batchNormGradStats(sums: TypedArray, g: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray, plan: BatchNormPlan): void;
  /**
   * The input's gradient. With `sums` (training: mean and variance are the batch's own, so their
   * dependence on x counts) gx = gamma / sqrt(variance + eps) · (g - (sums[C + c] + x̂ · sums[c]) / M);
   * with `sums` null (fixed statistics) gx = gamma / sqrt(variance + eps) · g. gamma null = 1.
   */
  batchNormGradData(
    gx: TypedArray, g: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
    gamma: TypedArray | null, sums: TypedArray | null, plan: BatchNormPlan,
  ): void;
  /** running = momentum · running + (1 - momentum) · batch, element-wise, in place. */
  movingAverage(running: TypedArray, batch: TypedArray, momentum: number): void;
  /** The last step of a fused element-wise chain into `out` (float32 or float64), one pass. */
  fused(out: TypedArray, inputs: readonly TypedArray[], plan: FusedPlan): void;
  /**
   * A recurrent layer direction over a whole sequence (RnnPlan): per step one GEMM h2h and one
   * fused sweep over the gates. Writes `out` and the workspace `ws`.
   */
  rnnForward(out: TypedArray, ws: TypedArray, xproj: TypedArray, whh: TypedArray, bhh: TypedArray, h0: TypedArray, c0: TypedArray, whr: TypedArray, plan: RnnPlan): void;
  /**
   * Backpropagation through time for `rnnForward`, given the gradient `dout` of its output.
   * Writes into `grads`, packed: dxproj (T*N*G*H), dwhh (G*H*P), dbhh (G*H), dh0 (N*P), then
   * dc0 (N*H) for lstm and dwhr (P*H) with a projection.
   */
  rnnBackward(grads: TypedArray, dout: TypedArray, out: TypedArray, ws: TypedArray, whh: TypedArray, h0: TypedArray, c0: TypedArray, whr: TypedArray, plan: RnnPlan): void;
  /**
   * Gradient clipping: returns the joint L2 norm of the float `arrays` (squares summed in double)
   * and, when it is finite and maxNorm / (norm + 1e-8) < 1, scales every array by that in place.
   */
  clipGlobalNorm(arrays: readonly TypedArray[], maxNorm: number): number;
  /**
   * Fused optimizer updates: one sweep over the weight, its gradient and its state arrays (all of
   * one length), written in place. `mom` is null for SGD without momentum; `gbar` and `delta` are
   * null for plain RMSProp.
   */
  sgdUpdate(weight: TypedArray, grad: TypedArray, mom: TypedArray | null, p: SgdUpdateParams): void;
  adamUpdate(weight: TypedArray, grad: TypedArray, mean: TypedArray, variance: TypedArray, p: AdamUpdateParams): void;
  rmspropUpdate(weight: TypedArray, grad: TypedArray, n: TypedArray, gbar: TypedArray | null, delta: TypedArray | null, p: RmspropUpdateParams): void;
  adagradUpdate(weight: TypedArray, grad: TypedArray, history: TypedArray, p: AdagradUpdateParams): void;
  /**
   * CTC: each sample's negative log-likelihood of its labels under `logp` (T, N, C) into `loss`
   * (N). `labels` (N, L) holds classes padded with -1; `predLengths` and `labelLengths` (N) are
   * read when the plan says so (else empty). Labels and lengths may have any numeric dtype.
   */
  ctcForward(loss: TypedArray, logp: TypedArray, labels: TypedArray, predLengths: TypedArray, labelLengths: TypedArray, plan: CtcPlan): void;
  /** The gradient of `ctcForward` with respect to `logp`, times `g` (N), into `grad` (T, N, C). */
  ctcBackward(grad: TypedArray, g: TypedArray, logp: TypedArray, labels: TypedArray, predLengths: TypedArray, labelLengths: TypedArray, plan: CtcPlan): void;
}
