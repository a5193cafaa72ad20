/**
 * Reference batch-normalization kernels over x viewed as (outer, channels, inner). Sums and each
 * element's arithmetic are in double precision, rounded once when stored, so float32 results are
 * within an ulp or two of a float64 computation; faster backends are checked against these.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { BatchNormPlan } from '../kernels.js';

/** Calls `visit(start)` for each contiguous run of `inner` elements of channel `c`. */
function forEachRun(plan: BatchNormPlan, c: number, visit: (start: number) => void): void {
  const { outer, channels, inner } = plan;
  for (let o = 0; o < outer; o++) visit((o * channels + c) * inner);
}

export function batchNormMean(mean: TypedArray, x: TypedArray, plan: BatchNormPlan): void {
  const m = plan.outer * plan.inner;
  for (let c = 0; c < plan.channels; c++) {
    let s = 0;
    forEachRun(plan, c, (start) => {
      for (let i = start; i < start + plan.inner; i++) s += x[i]!;
    });
    mean[c] = s / m;
  }
}

export function batchNormVariance(variance: TypedArray, x: TypedArray, mean: TypedArray, plan: BatchNormPlan): void {
  const m = plan.outer * plan.inner;
  for (let c = 0; c < plan.channels; c++) {
    const mu = mean[c]!;
    let s = 0;
    forEachRun(plan, c, (start) => {
      for (let i = start; i < start + plan.inner; i++) {
        const d = x[i]! - mu;
        s += d * d;
      }
    });
    variance[c] = s / m;
  }
}

/** 1 / sqrt(variance[c] + eps) in double precision. */
function invStd(variance: TypedArray, c: number, eps: number): number {
  return 1 / Math.sqrt(variance[c]! + eps);
}

export function batchNormForward(
  y: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
  gamma: TypedArray | null, beta: TypedArray | null, plan: BatchNormPlan,
): void {
  for (let c = 0; c < plan.channels; c++) {
    const mu = mean[c]!;
    const scale = invStd(variance, c, plan.eps) * (gamma === null ? 1 : gamma[c]!);
    const shift = beta === null ? 0 : beta[c]!;
    forEachRun(plan, c, (start) => {
      for (let i = start; i < start + plan.inner; i++) y[i] = (x[i]! - mu) * scale + shift;
    });
  }
}

export function batchNormGradStats(sums: TypedArray, g: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray, plan: BatchNormPlan): void {
  const C = plan.channels;
  for (let c = 0; c < C; c++) {
    const mu = mean[c]!;
    let gx = 0;
    let gs = 0;
    forEachRun(plan, c, (start) => {
      for (let i = start; i < start + plan.inner; i++) {
        gx += g[i]! * (x[i]! - mu);
        gs += g[i]!;
      }
    });
    sums[c] = gx * invStd(variance, c, plan.eps);
    sums[C + c] = gs;
  }
}

export function batchNormGradData(
  gx: TypedArray, g: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
  gamma: TypedArray | null, sums: TypedArray | null, plan: BatchNormPlan,
): void {
  const C = plan.channels;
  const m = plan.outer * plan.inner;
  for (let c = 0; c < C; c++) {
    const s = invStd(variance, c, plan.eps);
    const k = s * (gamma === null ? 1 : gamma[c]!);
    if (sums === null) {
      forEachRun(plan, c, (start) => {
        for (let i = start; i < start + plan.inner; i++) gx[i] = g[i]! * k;
      });
      continue;
    }
    const mu = mean[c]!;
    const meanG = sums[C + c]! / m;
    const meanGxhat = sums[c]! / m;
    forEachRun(plan, c, (start) => {
      for (let i = start; i < start + plan.inner; i++) gx[i] = k * (g[i]! - meanG - (x[i]! - mu) * s * meanGxhat);
    });
  }
}

export function movingAverage(running: TypedArray, batch: TypedArray, momentum: number): void {
  for (let i = 0; i < running.length; i++) running[i] = momentum * running[i]! + (1 - momentum) * batch[i]!;
}
