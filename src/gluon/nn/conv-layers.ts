/**
 * Convolution layers: Conv1D/2D/3D and their transposed forms Conv1DTranspose/2D/3D, with Gluon's
 * options and defaults. The input channel count is deferred (`inChannels = 0`): the weight is
 * declared with a 0 in that slot and `paramShapes` completes it from the input's shape, so
 * `net.initialize({ inputShape })` materializes a whole convolutional network without data.
 *
 * Weight layouts are MXNet's: (channels, inChannels / groups, *kernel) for convolution and
 * (inChannels, channels / groups, *kernel) for transposed convolution. With a channels-last data
 * layout (NWC, NHWC, NDHWC) the weight is channels-last too, as MXNet's NHWC convolution:
 * (channels, *kernel, inChannels / groups), and (inChannels, *kernel, channels / groups) for the
 * transposed form. Channels-last layers transpose around the channels-first op (see layout.ts).
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { convolution, convolutionActivated, deconvolution, spatialTuple, type SpatialArg } from '../../ops/conv.js';
import { isConvActivation } from '../../ops/conv-fused.js';
import { isCapturing } from '../../ops/define.js';
import { hasForwardHooks } from '../hooks.js';
import type { InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import { type BlockOptions, type ParamShapes } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { Activation, activationOf, type ActivationType } from './activations.js';
import { parseLayout, toChannelsFirst, toChannelsLast } from './layout.js';
import { channelsLastError } from './conv-hints.js';

export interface ConvOptions extends BlockOptions {
  /** Step between windows (default 1 on every axis). */
  strides?: SpatialArg;
  /** Zero padding on both sides of each spatial axis (default 0). */
  padding?: SpatialArg;
  /** Spacing between kernel taps (default 1). */
  dilation?: SpatialArg;
  /** Channel groups (default 1); both channel counts must be divisible by it. */
  groups?: number;
  /**
   * 'NCW', 'NCHW' or 'NCDHW' (channels first, the default for the layer's rank), or 'NWC',
   * 'NHWC', 'NDHWC' (channels last; the weight is then channels-last too).
   */
  layout?: string;
  /** Input channels; 0 (default) infers them from the first input. */
  inChannels?: number;
  /** Activation applied to the output, e.g. 'relu'; none by default. */
  activation?: ActivationType | null;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** The weight's own initializer; default: the one given to initialize(). */
  weightInitializer?: InitLike | null;
  /** The bias's own initializer (default 'zeros'). */
  biasInitializer?: InitLike | null;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Extra size added to one side of each output axis (MXNet's adj); smaller than the stride or dilation. */
  outputPadding?: SpatialArg;
}

const tuple = (v: readonly number[]): string => `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;

/**
 * Shared implementation of every convolution layer. ConvND and ConvTransposeND fix the direction,
 * and each concrete class its number of spatial axes (`static readonly rank`).
 */
export abstract class ConvBase extends HybridBlock {
  static override readonly alias: string | undefined = 'conv';
  static override readonly floatInput = true;
  /** Number of spatial axes (1, 2 or 3); set by each concrete class. */
  static readonly rank: number = 0;
  readonly channels: number;
  readonly kernelSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly outputPadding: readonly number[];
  readonly groups: number;
  readonly layout: string;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly act: Activation | null;
  readonly #rank: number;
  readonly #transposed: boolean;
  readonly #channelsLast: boolean;

  protected constructor(transposed: boolean, channels: number, kernelSize: SpatialArg, options: ConvTransposeOptions) {
    super(options);
    const cls = this.constructor.name;
    const rank = (this.constructor as typeof ConvBase).rank;
    if (rank < 1 || rank > 3) throw new ValueError(`${cls}: a convolution layer class must declare static rank 1, 2 or 3`);
    if (!Number.isInteger(channels) || channels <= 0) throw new ValueError(`${cls}: channels must be a positive integer, got ${fmtValue(channels)}`);
    const inChannels = options.inChannels ?? 0;
    if (!Number.isInteger(inChannels) || inChannels < 0) throw new ValueError(`${cls}: inChannels must be a non-negative integer (0 = infer), got ${fmtValue(inChannels)}`);
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) throw new ValueError(`${cls}: groups must be a positive integer, got ${fmtValue(groups)}`);
    if (channels % groups !== 0 || inChannels % groups !== 0) {
      throw new ValueError(`${cls}: channels (${channels}) and inChannels (${inChannels}) must both be divisible by groups (${groups})`);
    }
    const layout = parseLayout(cls, rank, options.layout);
    this.#channelsLast = layout.channelsLast;
    this.#rank = rank;
    this.#transposed = transposed;
    this.channels = channels;
    this.groups = groups;
    this.layout = layout.name;
    this.kernelSize = spatialTuple(kernelSize, rank, 'kernelSize', cls, 1);
    this.strides = spatialTuple(options.strides ?? 1, rank, 'strides', cls, 1);
    this.padding = spatialTuple(options.padding ?? 0, rank, 'padding', cls, 0);
    this.dilation = spatialTuple(options.dilation ?? 1, rank, 'dilation', cls, 1);
    this.outputPadding = spatialTuple(options.outputPadding ?? 0, rank, 'outputPadding', cls, 0);
    const dtype = options.dtype ?? 'float32';
    const shape = this.#weightShape(transposed ? inChannels : channels, transposed ? channels / groups : inChannels / groups);
    this.weight = this.params.get('weight', { shape, dtype, init: options.weightInitializer ?? null, allowDeferredInit: true });
    this.bias = options.useBias === false
      ? null
      : this.params.get('bias', { shape: [channels], dtype, init: options.biasInitializer === undefined ? 'zeros' : options.biasInitializer });
    this.act = activationOf(cls, options.activation, this.prefix);
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: forward expects an NDArray, got ${fmtValue(x)}`);
    if (x.ndim !== this.#rank + 2) {
      throw new ShapeError(
        `${this.name}: input of shape ${fmtShape(x.shape)} must have ${this.#rank + 2} axes (${this.layout}); ` +
          `add a batch axis with expandDims(0) for a single sample`,
      );
    }
    if (this.#rank === 2 && !this.#channelsLast) {
      const hint = channelsLastError(this.name, x, this.#transposed ? this.weight.shape[0]! : this.weight.shape[1]! * this.groups);
      if (hint !== null) throw hint;
    }
    const c = x.shape[this.#channelsLast ? x.ndim - 1 : 1]!;
    if (c % this.groups !== 0) {
      throw new ShapeError(`${this.name}: input of shape ${fmtShape(x.shape)} (${this.layout}) has ${c} channels, not divisible by groups (${this.groups})`);
    }
    return { weight: this.#transposed ? this.#weightShape(c, this.channels / this.groups) : this.#weightShape(this.channels, c / this.groups) };
  }

  /** The weight's shape for its two channel dimensions, in this layer's layout. */
  #weightShape(outer: number, inner: number): number[] {
    return this.#channelsLast ? [outer, ...this.kernelSize, inner] : [outer, inner, ...this.kernelSize];
  }

  override forward(x: NDArray): NDArray {
    const last = this.#channelsLast;
    const w = last ? toChannelsFirst(this.weight.data()) : this.weight.data();
    const b = this.bias === null ? null : this.bias.data();
    const input = last ? toChannelsFirst(x) : x;
    const geometry = { stride: this.strides, pad: this.padding, dilation: this.dilation, numGroup: this.groups };
    // Eagerly, the activation runs in the convolution's epilogue (ops/conv-fused.ts): one array
    // a layer instead of two. A traced graph keeps the pair and fuses it itself; shape-only
    // passes (summary) and an activation block with hooks call the block.
    const act = this.act?.activation;
    if (
      !this.#transposed && !last && act !== undefined && isConvActivation(act) && !isCapturing() && !input.isShapeOnly && !hasForwardHooks(this.act!)
    ) {
      return convolutionActivated(input, w, b, geometry, act);
    }
    const conv = this.#transposed ? deconvolution(input, w, b, { ...geometry, adj: this.outputPadding }) : convolution(input, w, b, geometry);
    const y = last ? toChannelsLast(conv) : conv;
    return this.act === null ? y : this.act.forward(y);
  }

  /** Gluon's form: `Conv2D(3 -> 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))`. */
  override toString(): string {
    const inC = this.#transposed ? this.weight.shape[0] : this.weight.shape[this.#channelsLast ? this.#rank + 1 : 1]! * this.groups;
    const parts = [`${inC || 'None'} -> ${this.channels}`, `kernel_size=${tuple(this.kernelSize)}`, `stride=${tuple(this.strides)}`];
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=${tuple(this.padding)}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${tuple(this.dilation)}`);
    if (this.outputPadding.some((d) => d !== 0)) parts.push(`output_padding=${tuple(this.outputPadding)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=False');
    if (this.act !== null) parts.push(this.act.toString());
    return `${this.constructor.name}(${parts.join(', ')})`;
  }
}

/** Convolution over (N, C, *spatial); the input channel count is inferred at the first forward. */
export abstract class ConvND extends ConvBase {
  constructor(channels: number, kernelSize: SpatialArg, options: ConvOptions = {}) {
    super(false, channels, kernelSize, options);
  }
}

/** Transposed convolution over (N, C, *spatial), the gradient of convolution with respect to its input. */
export abstract class ConvTransposeND extends ConvBase {
  constructor(channels: number, kernelSize: SpatialArg, options: ConvTransposeOptions = {}) {
    super(true, channels, kernelSize, options);
  }
}

/**
 * 1-D convolution over (N, C, W).
 * @example new nn.Conv1D(16, 3, { padding: 1 }) // (N, C, W) -> (N, 16, W)
 */
export class Conv1D extends ConvND {
  static override readonly rank = 1;
}

/**
 * 2-D convolution over (N, C, H, W); the input channel count is inferred at the first forward.
 * @example
 * const conv = new nn.Conv2D(6, 5, { padding: 2, activation: 'sigmoid' });
 * conv.initialize();
 * conv.forward(nd.zeros([1, 1, 28, 28])).shape // [1, 6, 28, 28]
 */
export class Conv2D extends ConvND {
  static override readonly rank = 2;
}

/** 3-D convolution over (N, C, D, H, W). */
export class Conv3D extends ConvND {
  static override readonly rank = 3;
}

/** 1-D transposed convolution (N, C, W) -> (N, channels, (W - 1) s - 2 p + d (k - 1) + 1 + outputPadding). */
export class Conv1DTranspose extends ConvTransposeND {
  static override readonly rank = 1;
}

/**
 * 2-D transposed convolution ("deconvolution"), e.g. to upsample by the stride.
 * @example new nn.Conv2DTranspose(8, 4, { strides: 2, padding: 1 }) // (N, C, H, W) -> (N, 8, 2H, 2W)
 */
export class Conv2DTranspose extends ConvTransposeND {
  static override readonly rank = 2;
}

/** 3-D transposed convolution. */
export class Conv3DTranspose extends ConvTransposeND {
  static override readonly rank = 3;
}
