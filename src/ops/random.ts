/**
 * Random sampling as primitives (`effect: 'random'`): Dropout's scaled keep mask and the `nd.random`
 * samplers. A graph traced from a forward (hybridize) then draws new numbers on every run from the
 * seeded generator, instead of baking in the numbers drawn while tracing.
 *
 * Eagerly the samplers are the ones of src/ndarray/random.ts (same draws, same order); only while
 * a graph is traced do they go through `apply`. A sampler given its own `generator` always draws
 * at once: a generator object cannot be part of a graph.
 */
import { isFloat, type DType, type TypedArray } from '../core/dtype.js';
import { ValueError, fmtValue } from '../core/errors.js';
import { publicOp } from '../core/public.js';
import { checkShape } from '../core/shape.js';
import { currentGenerator } from '../core/rng.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { checkDType, toShape } from '../ndarray/creation.js';
import * as eager from '../ndarray/random.js';
import { apply, isCapturing, primitive, type Primitive } from './define.js';

export { seed, shuffle, type SampleOptions } from '../ndarray/random.js';

/** `v` as an element of `like`'s dtype would store it (float32 rounding, integer truncation). */
function stored(like: TypedArray, v: number): number {
  const one = new (like.constructor as Float64ArrayConstructor)(1);
  one[0] = v;
  return one[0]!;
}

interface MaskAttrs {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly rate: number;
}

/**
 * Inverted dropout's mask: 1 / (1 - rate) where a uniform draw is >= rate, else 0. The input only
 * gives the data's shape-only-ness (shape inference draws nothing); its values are not read.
 */
const dropoutMaskPrim: Primitive<MaskAttrs, null> = primitive({
  name: 'dropoutMask',
  outputInit: 'none',
  effect: 'random',
  infer: (_inputs, a) => ({ shape: a.shape, dtype: a.dtype, plan: null }),
  compute(_k, out, _inputs, _p, { rate }) {
    currentGenerator().fillUniform(out, 0, 1);
    // Threshold and scale rounded to the mask's dtype first, so the mask equals
    // greaterEqual(u, rate) * (1 / (1 - rate)) computed with arrays of that dtype.
    const t = stored(out, rate);
    const s = stored(out, 1 / (1 - rate));
    for (let i = 0; i < out.length; i++) out[i] = out[i]! >= t ? s : 0;
  },
});

/**
 * @internal Dropout's keep mask for `x` (shape `maskShape`, broadcastable to x's), scaled by
 * 1 / (1 - rate), drawn from the current generator when it computes.
 */
export const dropoutMask = publicOp('random.dropoutMask', function dropoutMask(x: NDArray, rate: number, maskShape: readonly number[]): NDArray {
  expectArray('dropout', x);
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new ValueError(`dropout: rate must be in [0, 1), got ${fmtValue(rate)}`);
  return apply(dropoutMaskPrim, [x], { shape: checkShape(maskShape, 'dropout'), dtype: isFloat(x.dtype) ? x.dtype : 'float32', rate });
});

type Draw = { readonly kind: 'uniform'; readonly low: number; readonly high: number } | { readonly kind: 'normal'; readonly loc: number; readonly scale: number } | { readonly kind: 'randint'; readonly low: number; readonly high: number };

type SampleAttrs = Draw & { readonly shape: readonly number[]; readonly dtype: DType };

/** The samplers of src/ndarray/random.ts, drawing into `out` in the same order. */
const samplePrim: Primitive<SampleAttrs, null> = primitive({
  name: 'randomSample',
  outputInit: 'none',
  effect: 'random',
  infer: (_inputs, a) => ({ shape: a.shape, dtype: a.dtype, plan: null }),
  compute(_k, out, _inputs, _p, a) {
    const g = currentGenerator();
    if (a.kind === 'uniform') g.fillUniform(out, a.low, a.high);
    else if (a.kind === 'normal') g.fillNormal(out, a.loc, a.scale);
    else for (let i = 0; i < out.length; i++) out[i] = g.nextInt(a.low, a.high);
  },
});

function traced(op: string, options: eager.SampleOptions, draw: Draw, defaultDType: DType): NDArray {
  const shape = toShape(options.shape ?? [1], op);
  const dtype = checkDType(options.dtype ?? defaultDType, op);
  return apply(samplePrim, [], { ...draw, shape, dtype });
}

/** Uniform samples in [low, high), defaults 0 and 1. */
export const uniform = publicOp('random.uniform', function uniform(options: eager.SampleOptions & { low?: number; high?: number } = {}): NDArray {
  if (!isCapturing() || options.generator !== undefined) return eager.uniform(options);
  const { low = 0, high = 1 } = options;
  if (typeof low !== 'number' || typeof high !== 'number' || !(high >= low)) throw new ValueError(`random.uniform: need numbers low <= high, got low=${fmtValue(low)}, high=${fmtValue(high)}`);
  return traced('random.uniform', options, { kind: 'uniform', low, high }, 'float32');
}, 0);

/** Normal samples with mean `loc` and standard deviation `scale`, defaults 0 and 1. */
export const normal = publicOp('random.normal', function normal(options: eager.SampleOptions & { loc?: number; scale?: number } = {}): NDArray {
  if (!isCapturing() || options.generator !== undefined) return eager.normal(options);
  const { loc = 0, scale = 1 } = options;
  if (typeof loc !== 'number' || typeof scale !== 'number' || !(scale >= 0)) throw new ValueError(`random.normal: need a number loc and a number scale >= 0, got loc=${fmtValue(loc)}, scale=${fmtValue(scale)}`);
  return traced('random.normal', options, { kind: 'normal', loc, scale }, 'float32');
}, 0);

/** Integers uniform in [low, high); int32 unless another dtype is asked for. */
export const randint = publicOp('random.randint', function randint(options: eager.SampleOptions & { low?: number; high: number }): NDArray {
  if (!isCapturing() || options === undefined || options.generator !== undefined) return eager.randint(options);
  const { low = 0, high } = options;
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`random.randint: need integers low < high, got low=${fmtValue(low)}, high=${fmtValue(high)}`);
  }
  return traced('random.randint', options, { kind: 'randint', low, high }, 'int32');
}, 0);
