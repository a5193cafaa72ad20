/**
 * `nd.random`: sampling from the one seeded generator (core/rng). Values are drawn in float64 in
 * row-major order and rounded to the requested dtype, so a seed gives the same numbers on every
 * backend.
 */
import { Generator, currentGenerator, globalGenerator } from '../core/rng.js';
import { ValueError, fmtValue } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import { NDArray, expectArray } from './ndarray.js';
import { checkDType, toShape, writeValues, type ShapeLike } from './creation.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { publicOp } from '../core/public.js';

/** Options shared by every sampler. */
export interface SampleOptions {
  /** Shape of the result (default [1], as MXNet). */
  shape?: ShapeLike;
  /** Dtype of the result (default float32); values are drawn in float64 and rounded. */
  dtype?: DType;
  /** Draw from this generator instead of the global one. */
  generator?: Generator;
}

/** Resets the global generator: the same seed gives the same numbers afterwards. */
export const seed = publicOp('random.seed', function seed(n: number): void {
  if (!Number.isInteger(n)) throw new ValueError(`random.seed: the seed must be an integer, got ${fmtValue(n)}`);
  globalGenerator.seed(n);
});

/** The generator to draw from: `options.generator` (checked) or the current one. */
function generatorOf(op: string, options: { generator?: Generator }): Generator {
  const g = options.generator;
  if (g === undefined) return currentGenerator();
  if (!(g instanceof Generator)) throw new ValueError(`${op}: generator must be a Generator (new Generator(seed)), got ${fmtValue(g)}`);
  return g;
}

/** `value` (or `fallback` when undefined), which must be a number. */
function numberOption(op: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new ValueError(`${op}: ${name} must be a number, got ${fmtValue(value)}`);
  return value;
}

function sample(op: string, options: SampleOptions, draw: (g: Generator) => number): NDArray {
  const g = generatorOf(op, options);
  const out = NDArray.empty(toShape(options.shape ?? [1], op), checkDType(options.dtype ?? 'float32', op));
  return writeValues(out, (data) => {
    for (let i = 0; i < data.length; i++) data[i] = draw(g);
  });
}

function fill(op: string, options: SampleOptions, draw: (g: Generator, data: TypedArray | Float64Array) => void): NDArray {
  const g = generatorOf(op, options);
  const out = NDArray.empty(toShape(options.shape ?? [1], op), checkDType(options.dtype ?? 'float32', op));
  return writeValues(out, (data) => draw(g, data));
}

/** Uniform samples in [low, high), defaults 0 and 1. */
export const uniform = publicOp('random.uniform', function uniform(options: SampleOptions & { low?: number; high?: number } = {}): NDArray {
  const low = numberOption('random.uniform', 'low', options.low, 0);
  const high = numberOption('random.uniform', 'high', options.high, 1);
  if (!(high >= low) || !Number.isFinite(high - low)) throw new ValueError(`random.uniform: need finite low <= high, got low=${low}, high=${high}`);
  return fill('random.uniform', options, (g, data) => g.fillUniform(data, low, high));
}, 0);

/** Normal samples with mean `loc` and standard deviation `scale`, defaults 0 and 1. */
export const normal = publicOp('random.normal', function normal(options: SampleOptions & { loc?: number; scale?: number } = {}): NDArray {
  const loc = numberOption('random.normal', 'loc', options.loc, 0);
  const scale = numberOption('random.normal', 'scale', options.scale, 1);
  if (!(scale >= 0) || !Number.isFinite(scale) || !Number.isFinite(loc)) throw new ValueError(`random.normal: need a finite loc and a finite scale >= 0, got loc=${loc}, scale=${scale}`);
  return fill('random.normal', options, (g, data) => g.fillNormal(data, loc, scale));
}, 0);

const INT_RANGES: Partial<Record<DType, readonly [number, number]>> = { uint8: [0, 256], int32: [-(2 ** 31), 2 ** 31] };

/** Integers uniform in [low, high); int32 unless another dtype is asked for. */
export const randint = publicOp('random.randint', function randint(options: SampleOptions & { low?: number; high: number }): NDArray {
  if (options === undefined) throw new ValueError('random.randint: give at least the upper bound, e.g. randint({ high: 10 })');
  const low = options.low ?? 0;
  const { high } = options;
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
    throw new ValueError(`random.randint: need integers low < high, got low=${fmtValue(low)}, high=${fmtValue(high)}`);
  }
  const dtype = checkDType(options.dtype ?? 'int32', 'random.randint');
  const range = INT_RANGES[dtype];
  if (range !== undefined && (low < range[0] || high > range[1])) {
    throw new ValueError(`random.randint: [${low}, ${high}) does not fit ${dtype}, which holds [${range[0]}, ${range[1]}); use a wider dtype`);
  }
  return sample('random.randint', { ...options, dtype }, (g) => g.nextInt(low, high));
}, 0);

/**
 * A copy of `x` with its first axis shuffled (Fisher-Yates). An empty array comes back as a copy
 * without drawing, whatever its first dimension.
 */
export const shuffle = publicOp('random.shuffle', function shuffle(x: NDArray, options: { generator?: Generator } = {}): NDArray {
  expectArray('random.shuffle', x);
  const g = generatorOf('random.shuffle', options);
  const out = NDArray.empty(x.shape, x.dtype);
  if (x.size === 0 || x.ndim === 0) {
    out.storage.set(x.storage);
    return out;
  }
  const n = x.shape[0]!;
  const row = x.size / n;
  checkAllocation(n, n < 2 ** 31 ? 4 : 8, () => `a permutation of ${n} rows`);
  const perm = n < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.nextInt(0, i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  const src = x._raw;
  const dst = out._raw;
  for (let i = 0; i < n; i++) dst.set(src.subarray(perm[i]! * row, (perm[i]! + 1) * row), i * row);
  return out;
}, 1);
