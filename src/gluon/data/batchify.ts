/**
 * Batchify functions: how the DataLoader turns a list of samples into one batch. The default
 * stacks NDArrays along a new first axis, turns numbers into a 1-D array (int32 when all are
 * integers, float32 otherwise), and batches tuple samples (JavaScript arrays) column by
 * column, so `[image, label]` samples give `[images, labels]`.
 */
import { allocate, promote, type DType } from '../../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { array } from '../../ndarray/creation.js';

/** A batch of samples of type T: tuples become tuples of NDArrays, anything else one NDArray. */
export type Batched<T> = T extends readonly unknown[] ? (number extends T['length'] ? NDArray : { -readonly [K in keyof T]: NDArray }) : NDArray;

/**
 * Stacks arrays of equal shape along a new first axis: n arrays of shape s give (n, ...s).
 * Dtypes are promoted to the widest one.
 * @example gluon.data.stack([nd.array([1, 2]), nd.array([3, 4])])  // (2, 2)
 */
export function stack(items: readonly NDArray[]): NDArray {
  if (items.length === 0) throw new ValueError('stack: needs at least one array');
  const first = items[0]!;
  let dtype: DType = first.dtype;
  for (let k = 1; k < items.length; k++) {
    const x = items[k]!;
    if (x.shape.length !== first.shape.length || x.shape.some((d, j) => d !== first.shape[j])) {
      throw new ShapeError(
        `batchify: sample ${k} has shape ${fmtShape(x.shape)} but sample 0 has ${fmtShape(first.shape)}; ` +
          `samples of a batch must have the same shape (resize or pad them, or pass a custom batchify to the DataLoader)`,
      );
    }
    dtype = promote(dtype, x.dtype);
  }
  const n = first.size;
  const out = allocate(dtype, items.length * n);
  for (let k = 0; k < items.length; k++) out.set(items[k]!.storage, k * n);
  return new NDArray(out, [items.length, ...first.shape], dtype);
}

/**
 * Gluon's default batchify: stacks NDArrays, makes numbers a 1-D array, and batches tuple
 * samples element by element. A JavaScript array sample is always a tuple (`[image, label]`);
 * a sample that is a vector of numbers should be an NDArray.
 * @example const [x, y] = defaultBatchify([[x0, 3], [x1, 7]]);  // x: (2, ...), y: int32 (2,)
 */
export function defaultBatchify<T>(samples: readonly T[]): Batched<T> {
  if (samples.length === 0) throw new ValueError('batchify: cannot batch an empty list of samples');
  const first: unknown = samples[0];
  if (first instanceof NDArray) return stack(samples as readonly NDArray[]) as Batched<T>;
  if (typeof first === 'number' || typeof first === 'boolean') {
    const values = samples as readonly number[];
    const allInt = values.every((v) => Number.isInteger(Number(v)));
    return array(Float64Array.from(values, Number), { dtype: allInt ? 'int32' : 'float32' }) as Batched<T>;
  }
  if (Array.isArray(first)) {
    const width = first.length;
    const columns: NDArray[] = [];
    for (let c = 0; c < width; c++) {
      const column = samples.map((s, k) => {
        if (!Array.isArray(s) || s.length !== width) {
          throw new ValueError(`batchify: sample ${k} is not a tuple of ${width} elements like sample 0`);
        }
        return s[c] as unknown;
      });
      columns.push(defaultBatchify(column) as NDArray);
    }
    return columns as Batched<T>;
  }
  throw new DTypeError(
    `batchify: cannot batch samples of type ${first === null ? 'null' : typeof first}; ` +
      `the default batchify handles NDArrays, numbers and tuples of them: pass { batchify } to the DataLoader`,
  );
}
