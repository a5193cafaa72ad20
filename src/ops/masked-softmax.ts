/**
 * `maskedSoftmax`: D2L's masked softmax (section 10.3), a softmax over the last axis that ignores
 * every position at or past each row's valid length, as attention over padded sequences needs. A
 * composite of `where` and `softmax`: masked scores are replaced by a large negative value (so
 * their weight underflows to 0) and gradients flow through the kept ones only.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { arange } from '../ndarray/creation.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { astype } from './cast.js';
import { lesser } from './binary.js';
import { where } from './indexing.js';
import { reshape } from './shape.js';
import { softmax } from './softmax.js';
import { publicOp } from '../core/public.js';

/** Options of `maskedSoftmax`. */
export interface MaskedSoftmaxOptions {
  /** What masked scores become before the softmax (default -1e6, as D2L). */
  value?: number;
}

/**
 * Softmax over the last axis of `x` (B, ..., K) where, in each row, only the first `validLens`
 * positions count: `validLens` is (B,) (one length per batch entry) or of x's shape without the
 * last axis (one per row); null means no mask.
 * @example nd.maskedSoftmax(nd.zeros([2, 2, 4]), nd.array([2, 3])) // rows [0.5 0.5 0 0], [1/3 1/3 1/3 0]
 */
export const maskedSoftmax = publicOp('maskedSoftmax', function maskedSoftmax(x: NDArray, validLens: NDArray | null, options: MaskedSoftmaxOptions = {}): NDArray {
  expectArray('maskedSoftmax', x);
  if (validLens === null) return softmax(x, { axis: -1 });
  expectArray('maskedSoftmax', validLens, 'validLens');
  if (x.ndim < 2) throw new ShapeError(`maskedSoftmax: x must have a batch axis and a last axis to mask, got ${fmtShape(x.shape)}`);
  const value = options.value ?? -1e6;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ValueError(`maskedSoftmax: value must be a number, got ${fmtValue(value)}`);
  const rows = x.shape.slice(0, -1);
  const k = x.shape[x.ndim - 1]!;
  let lens: NDArray;
  if (validLens.ndim === 1 && validLens.shape[0] === x.shape[0]) {
    lens = reshape(validLens, [x.shape[0]!, ...rows.slice(1).map(() => 1), 1]);
  } else if (validLens.ndim === rows.length && validLens.shape.every((d, i) => d === rows[i])) {
    lens = reshape(validLens, [...rows, 1]);
  } else {
    throw new ShapeError(
      `maskedSoftmax: validLens must be (${x.shape[0]},) or ${fmtShape(rows)} for x of shape ${fmtShape(x.shape)}, got ${fmtShape(validLens.shape)}`,
    );
  }
  const positions = arange(k, undefined, 1, { dtype: x.dtype });
  const keep = lesser(positions, astype(lens, x.dtype));
  return softmax(where(keep, x, value), { axis: -1 });
}, 2);
