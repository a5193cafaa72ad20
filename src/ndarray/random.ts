/**
 * `nd.random`: sampling from the one seeded generator (core/rng). Values are drawn in float64 in
 * row-major order and rounded to the requested dtype, so a seed gives the same numbers on every
 * backend.
 */
import { Generator, currentGenerator, globalGenerator } from '../core/rng.js';
import { ValueError } from '../core/errors.js';
import { NDArray } from './ndarray.js';
import { checkDType, toShape, writeValues, type ShapeLike } from './creation.js';
import type { DType, TypedArray } from '../core/dtype.js';

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
export function seed(n: number): void {
  globalGenerator.seed(n);
}

function sample(op: string, options: SampleOptions, draw: (g: Generator) => number): NDArray {
  const out = NDArray.empty(toShape(options.shape ?? [1], op), checkDType(options.dtype ?? 'float32', op));
  const g = options.generator ?? currentGenerator();
  return writeValues(out, (data) => {
    for (let i = 0; i < data.length; i++) data[i] = draw(g);
  });
}

function fill(op: string, options: SampleOptions, draw: (g: Generator, data: TypedArray | Float64Array) => void): NDArray {
  const out = NDArray.empty(toShape(options.shape ?? [1], op), checkDType(options.dtype ?? 'float32', op));
  const g = options.generator ?? currentGenerator();
  return writeValues(out, (data) => draw(g, data));
}

/** Uniform samples in [low, high), defaults 0 and 1. */
export function uniform(options: SampleOptions & { low?: number; high?: number } = {}): NDArray {
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  if (!(high >= low)) throw new ValueError(`random.uniform: high (${high}) must be >= low (${low})`);
  return fill('random.uniform', options, (g, data) => g.fillUniform(data, low, high));
}

/** Normal samples with mean `loc` and standard deviation `scale`, defaults 0 and 1. */
export function normal(options: SampleOptions & { loc?: number; scale?: number } = {}): NDArray {
  const loc = options.loc ?? 0;
  const scale = options.scale ?? 1;
  if (!(scale >= 0)) throw new ValueError(`random.normal: scale must be >= 0, got ${scale}`);
  return fill('random.normal', options, (g, data) => g.fillNormal(data, loc, scale));
}

/** Integers uniform in [low, high); int32 unless another dtype is asked for. */
export function randint(options: SampleOptions & { low?: number; high: number }): NDArray {
  const low = options.low ?? 0;
  const { high } = options;
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`random.randint: need integers low < high, got low=${low}, high=${high}`);
  }
  return sample('random.randint', { dtype: 'int32', ...options }, (g) => g.nextInt(low, high));
}

/** A copy of `x` with its first axis shuffled (Fisher-Yates). */
export function shuffle(x: NDArray, options: { generator?: Generator } = {}): NDArray {
  const g = options.generator ?? currentGenerator();
  const out = NDArray.empty(x.shape, x.dtype);
  const n = x.shape[0] ?? 1;
  const row = n === 0 ? 0 : x.size / n;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.nextInt(0, i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const src = x._raw;
  for (let i = 0; i < n; i++) out._raw.set(src.subarray(perm[i]! * row, (perm[i]! + 1) * row), i * row);
  return out;
}
