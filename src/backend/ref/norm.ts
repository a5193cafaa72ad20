/**
 * Reference batch-normalization kernels over x viewed as (outer, channels, inner). Sums and each
 * element's arithmetic are in double precision, rounded once when stored, so float32 results are
 * within an ulp or two of a float64 computation; faster backends are checked against these.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { BatchNormPlan } from '../kernels.js';

export function batchNormMean(mean: TypedArray, x: TypedArray, { outer, channels, inner }: BatchNormPlan): void {
  const m = outer * inner;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const start = (o * channels + c) * inner;
      for (let i = start; i < start + inner; i++) s += x[i]!;
    }
    mean[c] = s / m;
  }
}

export function batchNormVariance(variance: TypedArray, x: TypedArray, mean: TypedArray, { outer, channels, inner }: BatchNormPlan): void {
  const m = outer * inner;
  for (let c = 0; c < channels; c++) {
    const mu = mean[c]!;
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const start = (o * channels + c) * inner;
      for (let i = start; i < start + inner; i++) {
        const d = x[i]! - mu;
        s += d * d;
      }
    }
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
  const { outer, channels, inner } = plan;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const mu = mean[c]!;
      const scale = invStd(variance, c, plan.eps) * (gamma === null ? 1 : gamma[c]!);
      const shift = beta === null ? 0 : beta[c]!;
      const start = (o * channels + c) * inner;
      for (let i = start; i < start + inner; i++) y[i] = (x[i]! - mu) * scale + shift;
    }
  }
}

export function batchNormGradStats(sums: TypedArray, g: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray, plan: BatchNormPlan): void {
  const { outer, channels, inner } = plan;
  for (let c = 0; c < channels; c++) {
    const mu = mean[c]!;
    let gx = 0;
    let gs = 0;
    for (let o = 0; o < outer; o++) {
      const start = (o * channels + c) * inner;
      for (let i = start; i < start + inner; i++) {
        gx += g[i]! * (x[i]! - mu);
        gs += g[i]!;
      }
    }
    sums[c] = gx * invStd(variance, c, plan.eps);
    sums[channels + c] = gs;
  }
}

export function batchNormGradData(
  gx: TypedArray, g: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
  gamma: TypedArray | null, sums: TypedArray | null, plan: BatchNormPlan,
): void {
  const { outer, channels, inner } = plan;
  const m = outer * inner;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const s = invStd(variance, c, plan.eps);
      const k = s * (gamma === null ? 1 : gamma[c]!);
      const start = (o * channels + c) * inner;
      if (sums === null) {
        for (let i = start; i < start + inner; i++) gx[i] = g[i]! * k;
        continue;
      }
      const mu = mean[c]!;
      const meanG = sums[channels + c]! / m;
      const meanGxhat = sums[c]! / m;
      for (let i = start; i < start + inner; i++) gx[i] = k * (g[i]! - meanG - (x[i]! - mu) * s * meanGxhat);
    }
  }
}

export function movingAverage(running: TypedArray, batch: TypedArray, momentum: number): void {
  for (let i = 0; i < running.length; i++) running[i] = momentum * running[i]! + (1 - momentum) * batch[i]!;
}
