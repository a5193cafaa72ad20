/**
 * Reference kernel of gradient clipping by global norm (`gluon.utils.clipGlobalNorm`): one pass
 * summing the squares of every element of every array in double precision, then, when the norm
 * is finite and above the bound, one pass scaling each array in place. The native kernel
 * (native/src/clip.cc) does the same with several partial sums, so the norms agree to rounding.
 */
import type { TypedArray } from '../../core/dtype.js';

/** The joint L2 norm of `arrays`; scales them by maxNorm / (norm + 1e-8) when that is below 1. */
export function clipGlobalNorm(arrays: readonly TypedArray[], maxNorm: number): number {
  let sq = 0;
  for (const d of arrays) for (let j = 0; j < d.length; j++) sq += d[j]! * d[j]!;
  const total = Math.sqrt(sq);
  const scale = maxNorm / (total + 1e-8);
  if (Number.isFinite(total) && scale < 1) {
    for (const d of arrays) for (let j = 0; j < d.length; j++) d[j] = d[j]! * scale;
  }
  return total;
}
