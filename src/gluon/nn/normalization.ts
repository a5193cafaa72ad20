/**
 * Normalization layers: BatchNorm, LayerNorm, InstanceNorm and GroupNorm, with Gluon's options
 * and defaults. Each one's channel count is deferred (`inChannels = 0`), completed from the
 * input's shape by `paramShapes`.
 *
 * BatchNorm normalizes with the batch's statistics in training mode (`autograd.record()`) and
 * folds them into `running_mean` / `running_var` (parameters with gradReq 'null', as in Gluon):
 * running = momentum * running + (1 - momentum) * batch, the variance being the biased batch
 * variance as MXNet uses. In prediction mode it uses the running statistics. Forward passes on
 * shape-only arrays (shape inference) never touch the running statistics. It is one call of
 * `nd.batchNorm` (src/ops/batch-norm.ts), whose primitives carry the fused kernels and gradients
 * and make the running-statistics update an explicit step of a hybridized graph.
 *
 * The other layers are written with nd ops, so their gradients come from autograd.
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { normalizeAxis } from '../../core/shape.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { add, mul, sub } from '../../ops/binary.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { rsqrt, square } from '../../ops/unary.js';
import { isTraining } from '../../autograd/state.js';
import { batchNorm } from '../../ops/batch-norm.js';
import type { InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import { type BlockOptions, type ParamShapes } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { channelAxisOf } from './layout.js';

export interface NormOptions extends BlockOptions {
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
  /** Learn a shift `beta` (default true). */
  center?: boolean;
  /** Learn a scale `gamma` (default true, false for InstanceNorm as in Gluon). */
  scale?: boolean;
  betaInitializer?: InitLike | null;
  gammaInitializer?: InitLike | null;
  /** Number of channels; 0 (default) infers it from the first input. */
  inChannels?: number;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

export interface BatchNormOptions extends NormOptions {
  /** The channel axis (default 1, NCHW). */
  axis?: number;
  /**
   * The data layout, another way to give the channel axis: 'NCW', 'NCHW', 'NCDHW' (axis 1) or
   * channels last, 'NWC', 'NHWC', 'NDHWC' (the last axis); inputs must then have that many axes.
   */
  layout?: string;
  /** Weight of the old running statistics in each update (default 0.9). */
  momentum?: number;
  /** Use the running statistics in training mode too (default false). */
  useGlobalStats?: boolean;
  runningMeanInitializer?: InitLike | null;
  runningVarianceInitializer?: InitLike | null;
}

/** Normalizes `x` with `m` and `v` (broadcastable) and applies the optional scale and shift. */
function affine(x: NDArray, m: NDArray, v: NDArray, eps: number, gamma: NDArray | null, beta: NDArray | null): NDArray {
  let y = mul(sub(x, m), rsqrt(add(v, eps)));
  if (gamma !== null) y = mul(y, gamma);
  if (beta !== null) y = add(y, beta);
  return y;
}

/** Shared parts: epsilon, gamma and beta of shape (C,), C deferred, and the shape checks. */
abstract class NormBase extends HybridBlock {
  static override readonly floatInput = true;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly gamma: Parameter;
  readonly beta: Parameter;

  protected constructor(options: NormOptions, defaultScale: boolean) {
    super(options);
    const cls = this.constructor.name;
    const inChannels = options.inChannels ?? 0;
    if (!Number.isInteger(inChannels) || inChannels < 0) throw new ValueError(`${cls}: inChannels must be a non-negative integer (0 = infer), got ${fmtValue(inChannels)}`);
    this.epsilon = options.epsilon ?? 1e-5;
    if (typeof this.epsilon !== 'number' || !(this.epsilon >= 0)) throw new ValueError(`${cls}: epsilon must be non-negative, got ${fmtValue(this.epsilon)}`);
    this.center = options.center ?? true;
    this.scale = options.scale ?? defaultScale;
    const dtype = options.dtype ?? 'float32';
    this.gamma = this.params.get('gamma', {
      shape: [inChannels], dtype, init: options.gammaInitializer ?? 'ones', gradReq: this.scale ? 'write' : 'null', allowDeferredInit: true,
    });
    this.beta = this.params.get('beta', {
      shape: [inChannels], dtype, init: options.betaInitializer ?? 'zeros', gradReq: this.center ? 'write' : 'null', allowDeferredInit: true,
    });
  }

  /** The normalized channel axis of `x`, after checking it is an NDArray with `minRank` axes. */
  protected channelAxis(x: NDArray, axis: number, minRank: number): number {
    if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: forward expects an NDArray, got ${fmtValue(x)}`);
    if (x.ndim < minRank) throw new ShapeError(`${this.name}: input of shape ${fmtShape(x.shape)} needs at least ${minRank} axes`);
    return normalizeAxis(axis, x.ndim, this.name);
  }

  /** gamma / beta reshaped to broadcast along `axis` of an `ndim`-axis input; null when unused. */
  protected scaleShift(ndim: number, axis: number): [NDArray | null, NDArray | null] {
    const shape = new Array<number>(ndim).fill(1);
    shape[axis] = -1;
    return [this.scale ? reshape(this.gamma.data(), shape) : null, this.center ? reshape(this.beta.data(), shape) : null];
  }
}

/**
 * Batch normalization (Ioffe and Szegedy, 2015) over every axis but `axis`.
 * @example
 * const net = new nn.Sequential().add(new nn.Conv2D(16, 3), new nn.BatchNorm(), new nn.Activation('relu'));
 * net.initialize({ inputShape: [1, 3, 32, 32] });   // gamma, beta, running stats: (16,)
 */
export class BatchNorm extends NormBase {
  readonly axis: number;
  /** The layout given at construction, or null when the channel axis came from `axis`. */
  readonly layout: string | null;
  readonly momentum: number;
  readonly useGlobalStats: boolean;
  readonly runningMean: Parameter;
  readonly runningVar: Parameter;

  constructor(options: BatchNormOptions = {}) {
    super(options, true);
    this.layout = options.layout ?? null;
    this.axis = this.layout === null ? options.axis ?? 1 : channelAxisOf('BatchNorm', this.layout);
    if (this.layout !== null && options.axis !== undefined && options.axis !== this.axis && options.axis !== this.axis - this.layout.length) {
      throw new ValueError(`BatchNorm: axis ${options.axis} contradicts layout '${this.layout}', whose channel axis is ${this.axis}; give one of them`);
    }
    this.momentum = options.momentum ?? 0.9;
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`BatchNorm: momentum must be in [0, 1], got ${fmtValue(this.momentum)}`);
    this.useGlobalStats = options.useGlobalStats ?? false;
    const dtype = options.dtype ?? 'float32';
    const c = this.gamma.shape[0]!;
    this.runningMean = this.params.get('running_mean', {
      shape: [c], dtype, init: options.runningMeanInitializer ?? 'zeros', gradReq: 'null', allowDeferredInit: true,
    });
    this.runningVar = this.params.get('running_var', {
      shape: [c], dtype, init: options.runningVarianceInitializer ?? 'ones', gradReq: 'null', allowDeferredInit: true,
    });
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    if (this.layout !== null && x instanceof NDArray && x.ndim !== this.layout.length) {
      throw new ShapeError(`${this.name}: input of shape ${fmtShape(x.shape)} must have ${this.layout.length} axes for layout '${this.layout}'`);
    }
    const c = [x.shape[this.channelAxis(x, this.axis, 2)]!];
    return { gamma: c, beta: c, running_mean: c, running_var: c };
  }

  override forward(x: NDArray): NDArray {
    const axis = this.channelAxis(x, this.axis, 2);
    return batchNorm(x, this.gamma.data(), this.beta.data(), this.runningMean.data(), this.runningVar.data(), {
      axis, eps: this.epsilon, momentum: this.momentum, fixGamma: !this.scale, center: this.center,
      useGlobalStats: this.useGlobalStats, training: isTraining(),
    });
  }

  /** Gluon's form: `BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, in_channels=16)`. */
  override toString(): string {
    const c = this.gamma.shape[0] || 'None';
    return `BatchNorm(axis=${this.axis}, eps=${this.epsilon}, momentum=${this.momentum}, fix_gamma=${this.scale ? 'False' : 'True'}, ` +
      `use_global_stats=${this.useGlobalStats ? 'True' : 'False'}, in_channels=${c})`;
  }
}

export interface LayerNormOptions extends NormOptions {
  /** The axis normalized over (default -1, the features). */
  axis?: number;
}

/**
 * Layer normalization (Ba et al., 2016) over one axis (default the last), with gamma and beta
 * along that axis; the same computation in training and prediction.
 * @example new nn.LayerNorm().forward(nd.array([[1, 2, 3]])) // ≈ [[-1.2247, 0, 1.2247]]
 */
export class LayerNorm extends NormBase {
  readonly axis: number;

  constructor(options: LayerNormOptions = {}) {
    super(options, true);
    this.axis = options.axis ?? -1;
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    const c = [x.shape[this.channelAxis(x, this.axis, 1)]!];
    return { gamma: c, beta: c };
  }

  override forward(x: NDArray): NDArray {
    const axis = this.channelAxis(x, this.axis, 1);
    const m = mean(x, { axis, keepdims: true });
    const v = mean(square(sub(x, m)), { axis, keepdims: true });
    const [gamma, beta] = this.scaleShift(x.ndim, axis);
    return affine(x, m, v, this.epsilon, gamma, beta);
  }

  override toString(): string {
    return `LayerNorm(axis=${this.axis}, eps=${this.epsilon}, center=${this.center}, scale=${this.scale}, in_channels=${this.gamma.shape[0] || 'None'})`;
  }
}

export interface InstanceNormOptions extends NormOptions {
  /** The channel axis (default 1). */
  axis?: number;
}

/**
 * Instance normalization (Ulyanov et al., 2016): each (sample, channel) is normalized over its
 * spatial axes. Gluon's default has no learned scale (`scale: false`) but a shift.
 * @example new nn.InstanceNorm({ scale: true }) // gamma and beta of shape (C,)
 */
export class InstanceNorm extends NormBase {
  readonly axis: number;

  constructor(options: InstanceNormOptions = {}) {
    super(options, false);
    this.axis = options.axis ?? 1;
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    const c = [x.shape[this.channelAxis(x, this.axis, 3)]!];
    return { gamma: c, beta: c };
  }

  override forward(x: NDArray): NDArray {
    const axis = this.channelAxis(x, this.axis, 3);
    const reduce = x.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
    const m = mean(x, { axis: reduce, keepdims: true });
    const v = mean(square(sub(x, m)), { axis: reduce, keepdims: true });
    const [gamma, beta] = this.scaleShift(x.ndim, axis);
    return affine(x, m, v, this.epsilon, gamma, beta);
  }

  override toString(): string {
    return `InstanceNorm(axis=${this.axis}, eps=${this.epsilon}, center=${this.center}, scale=${this.scale}, in_channels=${this.gamma.shape[0] || 'None'})`;
  }
}

export interface GroupNormOptions extends NormOptions {
  /** Number of channel groups (default 1); the channel count must be divisible by it. */
  numGroups?: number;
}

/**
 * Group normalization (Wu and He, 2018) of (N, C, ...): channels are split into `numGroups`
 * groups, each normalized over its channels and spatial positions; gamma and beta are per
 * channel (C,), as in MXNet 2 and PyTorch (MXNet 1.x had one per group).
 * @example new nn.GroupNorm({ numGroups: 4 }) // for 16 or 32 channels
 */
export class GroupNorm extends NormBase {
  readonly numGroups: number;

  constructor(options: GroupNormOptions = {}) {
    super(options, true);
    this.numGroups = options.numGroups ?? 1;
    if (!Number.isInteger(this.numGroups) || this.numGroups < 1) throw new ValueError(`GroupNorm: numGroups must be a positive integer, got ${fmtValue(this.numGroups)}`);
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    const c = x.shape[this.channelAxis(x, 1, 2)]!;
    if (c % this.numGroups !== 0) {
      throw new ShapeError(`${this.name}: input of shape ${fmtShape(x.shape)} has ${c} channels, not divisible by numGroups (${this.numGroups})`);
    }
    return { gamma: [c], beta: [c] };
  }

  override forward(x: NDArray): NDArray {
    this.channelAxis(x, 1, 2);
    const [n, c] = [x.shape[0]!, x.shape[1]!];
    const g = reshape(x, [n, this.numGroups, (c / this.numGroups) * (x.size / Math.max(1, n * c))]);
    const m = mean(g, { axis: 2, keepdims: true });
    const v = mean(square(sub(g, m)), { axis: 2, keepdims: true });
    const normed = reshape(affine(g, m, v, this.epsilon, null, null), x.shape);
    const [gamma, beta] = this.scaleShift(x.ndim, 1);
    let y = normed;
    if (gamma !== null) y = mul(y, gamma);
    if (beta !== null) y = add(y, beta);
    return y;
  }

  override toString(): string {
    return `GroupNorm(num_groups=${this.numGroups}, eps=${this.epsilon}, center=${this.center}, scale=${this.scale}, in_channels=${this.gamma.shape[0] || 'None'})`;
  }
}
