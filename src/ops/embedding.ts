/**
 * nn.Embedding's lookup: the `take` primitive along axis 0 with a strict index check (every
 * index an integer in [0, rows), the error naming the layer). The check runs when the primitive
 * computes, so a hybridized embedding checks every batch. Kept out of `nd` (this file is not
 * re-exported): users call `nd.take` or the layer.
 */
import { ShapeError, fmtShape } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitiveByName } from './define.js';
import './indexing.js';

/**
 * Rows of `weight` (rows, ...) at `indices` (any shape): shape indices.shape + weight.shape[1:].
 * @example embeddingLookup(w, nd.array([[1, 2]]), 'embedding0') // shape (1, 2, outputDim)
 */
export function embeddingLookup(weight: NDArray, indices: NDArray, block: string): NDArray {
  expectArray(block, weight, 'the weight');
  expectArray(block, indices, 'the indices');
  if (weight.ndim === 0) throw new ShapeError(`${block}: the weight of shape ${fmtShape(weight.shape)} has no rows to look up`);
  const shape = [...indices.shape, ...weight.shape.slice(1)];
  const plan = { outer: 1, axisLen: weight.shape[0]!, inner: sizeOf(weight.shape.slice(1)) };
  const attrs = { shape, full: weight.shape, plan, axis: 0, mode: 'clip', strict: { block, indexShape: indices.shape } };
  return apply(primitiveByName('take')!, [weight, indices], attrs);
}
