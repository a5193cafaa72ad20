/**
 * Pooling layers with Gluon's options and defaults: MaxPool1D/2D/3D and AvgPool1D/2D/3D (strides
 * default to the pool size, `ceilMode` rounds the output size up, `countIncludePad` for averages)
 * and the global forms, which reduce every spatial axis to 1. They have no parameters. Channels-last
 * layouts (NWC, NHWC, NDHWC) transpose around the channels-first op (see layout.ts).
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { pooling, type PoolType } from '../../ops/pool.js';
import { spatialTuple, type SpatialArg } from '../../ops/conv.js';
import { Block, type BlockOptions } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { parseLayout, toChannelsFirst, toChannelsLast } from './layout.js';

export interface PoolOptions extends BlockOptions {
  /** Step between windows; default: the pool size (non-overlapping windows). */
  strides?: SpatialArg | null;
  /** Implicit padding on both sides of each axis (default 0), at most half the pool size. */
  padding?: SpatialArg;
  /** Round the output size up instead of down (MXNet's pooling_convention 'full'); default false. */
  ceilMode?: boolean;
  /** 'NCW', 'NCHW' or 'NCDHW' (channels first, the default for the layer's rank), or 'NWC', 'NHWC', 'NDHWC'. */
  layout?: string;
}

export interface AvgPoolOptions extends PoolOptions {
  /** Whether padded cells count in each window's divisor (default true, as Gluon). */
  countIncludePad?: boolean;
}

const tuple = (v: readonly number[]): string => `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;

function checkInput(name: string, x: NDArray, rank: number, layout: string): void {
  if (!NDArray.isInstance(x)) throw new ValueError(`${name}: forward expects an NDArray, got ${fmtValue(x)}`);
  if (x.ndim !== rank + 2) {
    throw new ShapeError(`${name}: input of shape ${fmtShape(x.shape)} must have ${rank + 2} axes (${layout}); add a batch axis with expandDims(0) for a single sample`);
  }
}

/** Runs the channels-first `op` on `x`, transposing around it when the layout is channels last. */
function inLayout(x: NDArray, channelsLast: boolean, op: (x: NDArray) => NDArray): NDArray {
  return channelsLast ? toChannelsLast(op(toChannelsFirst(x))) : op(x);
}

/** The spatial rank a concrete layer class declares (`static readonly rank = 2`). */
function rankOf(layer: Block, cls: string): number {
  const rank = (layer.constructor as { rank?: number }).rank ?? 0;
  if (rank < 1 || rank > 3) throw new ValueError(`${cls}: a pooling layer class must declare static rank 1, 2 or 3`);
  return rank;
}

/**
 * Shared implementation of the windowed pooling layers. MaxPoolND and AvgPoolND fix the pool
 * type, and each concrete class its number of spatial axes (`static readonly rank`).
 */
export abstract class PoolBase extends HybridBlock {
  static override readonly alias: string | undefined = 'pool';
  /** Number of spatial axes (1, 2 or 3); set by each concrete class. */
  static readonly rank: number = 0;
  readonly poolSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: readonly number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly layout: string;
  readonly poolType: PoolType;
  readonly #rank: number;
  readonly #channelsLast: boolean;

  protected constructor(poolType: PoolType, poolSize: SpatialArg, options: AvgPoolOptions) {
    super(options);
    const cls = this.constructor.name;
    const rank = rankOf(this, cls);
    this.#rank = rank;
    this.poolType = poolType;
    const layout = parseLayout(cls, rank, options.layout);
    this.layout = layout.name;
    this.#channelsLast = layout.channelsLast;
    this.poolSize = spatialTuple(poolSize, rank, 'poolSize', cls, 1);
    this.strides = spatialTuple(options.strides ?? this.poolSize, rank, 'strides', cls, 1);
    this.padding = spatialTuple(options.padding ?? 0, rank, 'padding', cls, 0);
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  override forward(x: NDArray): NDArray {
    checkInput(this.name, x, this.#rank, this.layout);
    const options = {
      kernel: this.poolSize,
      stride: this.strides,
      pad: this.padding,
      poolType: this.poolType,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    };
    return inLayout(x, this.#channelsLast, (h) => pooling(h, options));
  }

  /** Gluon's form: `MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False)`. */
  override toString(): string {
    const parts = [`size=${tuple(this.poolSize)}`, `stride=${tuple(this.strides)}`, `padding=${tuple(this.padding)}`, `ceil_mode=${this.ceilMode ? 'True' : 'False'}`];
    if (this.poolType === 'avg') parts.push(`count_include_pad=${this.countIncludePad ? 'True' : 'False'}`);
    return `${this.constructor.name}(${parts.join(', ')})`;
  }
}

/** Max pooling over windows; pool size default 2 on every axis, strides default to the pool size. */
export abstract class MaxPoolND extends PoolBase {
  constructor(poolSize: SpatialArg = 2, options: PoolOptions = {}) {
    super('max', poolSize, options);
  }
}

/** Average pooling over windows; pool size default 2 on every axis, strides default to the pool size. */
export abstract class AvgPoolND extends PoolBase {
  constructor(poolSize: SpatialArg = 2, options: AvgPoolOptions = {}) {
    super('avg', poolSize, options);
  }
}

/** Max over windows of (N, C, W); pool size default 2. */
export class MaxPool1D extends MaxPoolND {
  static override readonly rank = 1;
}

/**
 * Max over windows of (N, C, H, W); pool size default (2, 2), strides default to the pool size.
 * @example new nn.MaxPool2D(3, { strides: 2, padding: 1 }) // ResNet's stem pooling
 */
export class MaxPool2D extends MaxPoolND {
  static override readonly rank = 2;
}

/** Max over windows of (N, C, D, H, W). */
export class MaxPool3D extends MaxPoolND {
  static override readonly rank = 3;
}

/** Average over windows of (N, C, W). */
export class AvgPool1D extends AvgPoolND {
  static override readonly rank = 1;
}

/**
 * Average over windows of (N, C, H, W).
 * @example new nn.AvgPool2D(2, { strides: 2 }) // LeNet's pooling in D2L
 */
export class AvgPool2D extends AvgPoolND {
  static override readonly rank = 2;
}

/** Average over windows of (N, C, D, H, W). */
export class AvgPool3D extends AvgPoolND {
  static override readonly rank = 3;
}

/**
 * Shared implementation of global pooling: (N, C, *spatial) to (N, C, 1, ...). GlobalMaxPoolND
 * and GlobalAvgPoolND fix the pool type, each concrete class its rank.
 */
export abstract class GlobalPoolBase extends HybridBlock {
  static override readonly alias: string | undefined = 'pool';
  /** Number of spatial axes (1, 2 or 3); set by each concrete class. */
  static readonly rank: number = 0;
  readonly layout: string;
  readonly poolType: PoolType;
  readonly #rank: number;
  readonly #channelsLast: boolean;

  protected constructor(poolType: PoolType, options: PoolOptions) {
    super(options);
    this.#rank = rankOf(this, this.constructor.name);
    this.poolType = poolType;
    const layout = parseLayout(this.constructor.name, this.#rank, options.layout);
    this.layout = layout.name;
    this.#channelsLast = layout.channelsLast;
  }

  override forward(x: NDArray): NDArray {
    checkInput(this.name, x, this.#rank, this.layout);
    return inLayout(x, this.#channelsLast, (h) => pooling(h, { globalPool: true, poolType: this.poolType }));
  }

  override toString(): string {
    return `${this.constructor.name}(size=global, pool_type=${this.poolType})`;
  }
}

/** Max over every spatial position. */
export abstract class GlobalMaxPoolND extends GlobalPoolBase {
  constructor(options: PoolOptions = {}) {
    super('max', options);
  }
}

/** Mean over every spatial position. */
export abstract class GlobalAvgPoolND extends GlobalPoolBase {
  constructor(options: PoolOptions = {}) {
    super('avg', options);
  }
}

/** Max over all of W: (N, C, W) to (N, C, 1). */
export class GlobalMaxPool1D extends GlobalMaxPoolND {
  static override readonly rank = 1;
}

/**
 * Max over all of H and W: (N, C, H, W) to (N, C, 1, 1).
 * @example new nn.GlobalMaxPool2D().forward(nd.zeros([2, 8, 7, 7])).shape // [2, 8, 1, 1]
 */
export class GlobalMaxPool2D extends GlobalMaxPoolND {
  static override readonly rank = 2;
}

/** Max over all of D, H and W: (N, C, D, H, W) to (N, C, 1, 1, 1). */
export class GlobalMaxPool3D extends GlobalMaxPoolND {
  static override readonly rank = 3;
}

/** Mean over all of W: (N, C, W) to (N, C, 1). */
export class GlobalAvgPool1D extends GlobalAvgPoolND {
  static override readonly rank = 1;
}

/**
 * Mean over all of H and W: (N, C, H, W) to (N, C, 1, 1), as at the end of ResNet and NiN.
 * @example new nn.GlobalAvgPool2D().forward(nd.ones([2, 8, 7, 7])) // ones, shape (2, 8, 1, 1)
 */
export class GlobalAvgPool2D extends GlobalAvgPoolND {
  static override readonly rank = 2;
}

/** Mean over all of D, H and W: (N, C, D, H, W) to (N, C, 1, 1, 1). */
export class GlobalAvgPool3D extends GlobalAvgPoolND {
  static override readonly rank = 3;
}
