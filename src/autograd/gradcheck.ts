/**
 * Finite-difference gradient checking, exported for users who write their own ops or layers.
 *
 * The function is evaluated in float64. Its output is projected onto fixed random weights
 * (so that errors cannot cancel in a plain sum), the analytic gradient of that projection is taken
 * with backward, and each input element is compared with a central difference.
 */
import { TsGluonError, ValueError } from '../core/errors.js';
import { Generator } from '../core/rng.js';
import { NDArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { mul } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { attachGrad, backward } from './backward.js';
import { pause, record } from './state.js';

/** Options of `checkGradient`. */
export interface GradCheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-7). */
  atol?: number;
  /** Indices of inputs to check (default: all float inputs). */
  wrt?: readonly number[];
}

/** The outcome of `checkGradient`. */
export interface GradCheckResult {
  /** True when every checked element is within tolerance. */
  readonly ok: boolean;
  /** Largest |analytic - numeric| - rtol * |numeric| over all checked elements. */
  readonly worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/** Thrown by `assertGradient` when analytic and numeric gradients disagree beyond tolerance. */
export class GradientCheckError extends TsGluonError {}

/**
 * Checks `fn`'s gradients against central differences; returns the worst element.
 * @example autograd.checkGradient((x) => x.exp().sum(), [nd.array([0.5, 1])]).ok === true
 */
export function checkGradient(fn: (...xs: NDArray[]) => NDArray, inputs: readonly NDArray[], options: GradCheckOptions = {}): GradCheckResult {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-7 } = options;
  const xs = inputs.map((x) => (x.dtype === 'float32' || x.dtype === 'float64' ? array(x, { dtype: 'float64' }) : x));
  const wrt = options.wrt ?? xs.map((_, i) => i).filter((i) => xs[i]!.dtype === 'float64');
  // A check of nothing would report ok: true and let a test pass that cannot fail.
  if (wrt.length === 0) {
    throw new ValueError(
      `checkGradient: no input to check (dtypes ${xs.map((x) => x.dtype).join(', ') || 'none'}); give at least one float32/float64 input, or list the inputs in wrt`,
    );
  }
  for (const i of wrt) {
    if (!Number.isInteger(i) || xs[i] === undefined || xs[i]!.dtype !== 'float64') {
      throw new ValueError(`checkGradient: wrt lists input ${i}, which is ${xs[i] === undefined ? `not among the ${xs.length} inputs` : `of dtype ${xs[i]!.dtype}; only float inputs have gradients`}`);
    }
  }
  const probe = pause(() => fn(...xs));
  const gen = new Generator(1234);
  const weights = array(Float64Array.from({ length: probe.size }, () => gen.nextFloat() + 0.5), { shape: probe.shape });
  const objective = (): NDArray => sum(mul(fn(...xs), weights));

  for (const i of wrt) attachGrad(xs[i]!);
  backward(record(objective));
  let worst: GradCheckResult['worst'] = null;
  let worstExcess = -Infinity;
  let ok = true;
  for (const i of wrt) {
    const x = xs[i]!;
    const analytic = x.grad!.storage;
    const data = x.storage;
    for (let j = 0; j < x.size; j++) {
      const saved = data[j]!;
      data[j] = saved + eps;
      const fp = pause(objective).item();
      data[j] = saved - eps;
      const fm = pause(objective).item();
      data[j] = saved;
      const numeric = (fp - fm) / (2 * eps);
      const a = analytic[j]!;
      const excess = Math.abs(a - numeric) - rtol * Math.abs(numeric) - atol;
      const bad = !(excess <= 0) && !(Number.isNaN(a) && Number.isNaN(numeric));
      if (bad) ok = false;
      if (bad ? excess > worstExcess || worst === null || Number.isNaN(excess) : worst === null) {
        worstExcess = excess;
        worst = { input: i, index: j, analytic: a, numeric };
      }
    }
  }
  return { ok, worst };
}

/** `checkGradient` that throws a GradientCheckError describing the worst element. */
export function assertGradient(fn: (...xs: NDArray[]) => NDArray, inputs: readonly NDArray[], options: GradCheckOptions = {}): void {
  const r = checkGradient(fn, inputs, options);
  if (!r.ok && r.worst) {
    const w = r.worst;
    throw new GradientCheckError(
      `gradient check failed for input ${w.input}, element ${w.index}: analytic ${w.analytic} vs numeric ${w.numeric}`,
    );
  }
}
