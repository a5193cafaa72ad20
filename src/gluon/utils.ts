/**
 * `gluon.utils`: helpers around training. `clipGlobalNorm` rescales a set of arrays (usually
 * gradients) so that their joint L2 norm does not exceed a bound, as recurrent networks need.
 */
import { ValueError, fmtValue } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { warn } from './warnings.js';

/** Options of `gluon.utils.clipGlobalNorm`. */
export interface ClipGlobalNormOptions {
  /** Warn when the norm is NaN or infinite (default true); the arrays are then left unchanged. */
  checkIsfinite?: boolean;
}

/**
 * Scales `arrays` in place by `maxNorm / (totalNorm + 1e-8)` when their joint L2 norm
 * `sqrt(sum of squares of every element)` exceeds `maxNorm`; returns the norm before clipping.
 * @example
 * const grads = [...net.collectParams().values()].map((p) => p.grad());
 * gluon.utils.clipGlobalNorm(grads, 1);
 */
export function clipGlobalNorm(arrays: readonly NDArray[], maxNorm: number, options: ClipGlobalNormOptions = {}): number {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new ValueError(`clipGlobalNorm: maxNorm must be a finite positive number, got ${fmtValue(maxNorm)}`);
  if (arrays.length === 0) throw new ValueError('clipGlobalNorm: got no arrays; pass the gradients to clip, e.g. params.map((p) => p.grad())');
  let sq = 0;
  arrays.forEach((a, i) => {
    if (!NDArray.isInstance(a)) throw new ValueError(`clipGlobalNorm: element ${i} is not an NDArray`);
    if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new ValueError(`clipGlobalNorm: element ${i} is ${a.dtype}; only float arrays can be scaled`);
    const d = a.storage;
    for (let j = 0; j < d.length; j++) sq += d[j]! * d[j]!;
  });
  const total = Math.sqrt(sq);
  if (!Number.isFinite(total)) {
    if (options.checkIsfinite ?? true) {
      warn(`clipGlobalNorm: the global norm is ${total} (NaN or Inf in the gradients); the arrays were left unchanged`);
    }
    return total;
  }
  const scale = maxNorm / (total + 1e-8);
  if (scale < 1) {
    for (const a of arrays) {
      const d = a.storage;
      for (let j = 0; j < d.length; j++) d[j] = d[j]! * scale;
    }
  }
  return total;
}
