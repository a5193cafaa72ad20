/**
 * Op-table rows for indexing: take, pick, oneHot, where and clip. Expected values are written out
 * by hand. Gradient rows check only the data inputs: index arrays have no gradient (and a finite
 * difference on an index is meaningless).
 */
import { nd, AxisError, DTypeError, ShapeError, ValueError } from '../../../src/index.js';
import type { CaseFile } from '../op-table.js';

const f64 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'float64' });
const i32 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'int32' });
const seq = (shape: number[]) => nd.arange(shape.reduce((a, b) => a * b, 1), undefined, 1, { dtype: 'float64' }).reshape(shape);

export const { cases, errors }: CaseFile = {
  cases: [
    // take
    {
      name: 'take rows with float indices (default axis 0)',
      fn: (x, i) => nd.take(x!, i!),
      inputs: () => [f64([[1, 2], [3, 4], [5, 6]]), f64([2, 0])],
      expected: [[5, 6], [1, 2]],
      grad: [0],
    },
    {
      name: 'take repeated indices accumulate gradients',
      fn: (x, i) => nd.take(x!, i!),
      inputs: () => [f64([10, 20, 30]), i32([1, 1, 0, 1])],
      expected: [20, 20, 10, 20],
      grad: [0],
    },
    {
      name: 'take along axis 1 with a 2-d index array',
      fn: (x, i) => x!.take(i!, { axis: 1 }),
      inputs: () => [seq([2, 3]), i32([[0, 2], [1, 1]])],
      expected: [[[0, 2], [1, 1]], [[3, 5], [4, 4]]],
      shape: [2, 2, 2],
      grad: [0],
    },
    {
      name: 'take along axis -1 from a 3-d array',
      fn: (x, i) => nd.take(x!, i!, { axis: -1 }),
      inputs: () => [seq([2, 2, 3]), i32([2])],
      expected: [[[2], [5]], [[8], [11]]],
      grad: [0],
    },
    {
      name: "take mode 'clip' (default) clamps -1 and 5",
      fn: (x, i) => nd.take(x!, i!),
      inputs: () => [f64([1, 2, 3]), i32([-1, 5, 1])],
      expected: [1, 3, 2],
      grad: [0],
    },
    {
      name: "take mode 'wrap' wraps -1, 4 and -4",
      fn: (x, i) => nd.take(x!, i!, { mode: 'wrap' }),
      inputs: () => [f64([1, 2, 3]), i32([-1, 4, -4])],
      expected: [3, 2, 3],
      grad: [0],
    },
    {
      name: "take mode 'raise' accepts negative indices from the end",
      fn: (x, i) => nd.take(x!, i!, { mode: 'raise' }),
      inputs: () => [f64([1, 2, 3]), i32([-1, -3, 2])],
      expected: [3, 1, 3],
      grad: [0],
    },
    {
      name: 'take truncates fractional float indices toward zero',
      fn: (x, i) => nd.take(x!, i!),
      inputs: () => [f64([1, 2, 3]), f64([1.9, 0.2])],
      expected: [2, 1],
    },
    {
      name: 'take with a 0-d index drops the axis',
      fn: (x, i) => nd.take(x!, i!),
      inputs: () => [f64([[1, 2], [3, 4]]), i32(1)],
      expected: [3, 4],
      shape: [2],
      grad: [0],
    },
    {
      name: 'take with an empty index array',
      fn: (x, i) => nd.take(x!, i!),
      inputs: () => [f64([[1, 2], [3, 4]]), nd.zeros([0], { dtype: 'int32' })],
      shape: [0, 2],
      expected: [],
    },
    {
      name: 'take from int32 data keeps the dtype, indices as a plain list',
      fn: (x) => nd.take(x!, [1, 0]),
      inputs: () => [i32([7, 8])],
      expected: [8, 7],
      dtype: 'int32',
    },
    // pick
    {
      name: 'pick along the last axis (default)',
      fn: (x, i) => nd.pick(x!, i!),
      inputs: () => [f64([[1, 2, 3], [4, 5, 6]]), f64([2, 0])],
      expected: [3, 4],
      grad: [0],
    },
    {
      name: 'pick along axis 0 with keepdims',
      fn: (x, i) => x!.pick(i!, { axis: 0, keepdims: true }),
      inputs: () => [f64([[1, 2, 3], [4, 5, 6]]), i32([1, 0, 1])],
      expected: [[4, 2, 6]],
      shape: [1, 3],
      grad: [0],
    },
    {
      name: 'pick accepts an index with a kept axis of size 1',
      fn: (x, i) => nd.pick(x!, i!, { axis: 1 }),
      inputs: () => [f64([[1, 2], [3, 4]]), i32([[1], [0]])],
      expected: [2, 3],
      shape: [2],
      grad: [0],
    },
    {
      name: 'pick along the middle axis of a 3-d array',
      fn: (x, i) => nd.pick(x!, i!, { axis: 1 }),
      inputs: () => [seq([2, 3, 2]), i32([[2, 0], [1, 1]])],
      expected: [[4, 1], [8, 9]],
      grad: [0],
    },
    {
      name: "pick mode 'clip' clamps and 'wrap' wraps",
      fn: (x, i) => nd.concat([nd.pick(x!, i!), nd.pick(x!, i!, { mode: 'wrap' })]),
      inputs: () => [f64([[1, 2, 3], [4, 5, 6]]), i32([5, -1])],
      expected: [3, 4, 3, 6],
      grad: [0],
    },
    {
      name: 'pick on an empty batch',
      fn: (x, i) => nd.pick(x!, i!),
      inputs: () => [nd.zeros([0, 3]), nd.zeros([0])],
      shape: [0],
      expected: [],
    },
    // oneHot
    {
      name: 'oneHot of [1, 0, 2] with depth 3',
      fn: (i) => nd.oneHot(i!, 3),
      inputs: () => [f64([1, 0, 2])],
      expected: [[0, 1, 0], [1, 0, 0], [0, 0, 1]],
      dtype: 'float32',
    },
    {
      name: 'oneHot out-of-range indices give an off row; on/off values and dtype',
      fn: (i) => i!.oneHot(3, { onValue: 5, offValue: -1, dtype: 'int32' }),
      inputs: () => [i32([2, 3, -1])],
      expected: [[-1, -1, 5], [-1, -1, -1], [-1, -1, -1]],
      dtype: 'int32',
    },
    {
      name: 'oneHot of a 2-d index array appends the depth axis',
      fn: (i) => nd.oneHot(i!, 2),
      inputs: () => [i32([[0, 1], [1, 1]])],
      expected: [[[1, 0], [0, 1]], [[0, 1], [0, 1]]],
      shape: [2, 2, 2],
    },
    {
      name: 'oneHot of an empty and of a 0-d index',
      fn: (a, b) => nd.concat([nd.oneHot(a!, 2).reshape([0]), nd.oneHot(b!, 2)]),
      inputs: () => [nd.zeros([0]), i32(1)],
      expected: [0, 1],
    },
    // where
    {
      name: 'where with three (2,2) arrays',
      fn: (c, a, b) => nd.where(c!, a!, b!),
      inputs: () => [f64([[1, 0], [0, 2]]), f64([[1, 2], [3, 4]]), f64([[10, 20], [30, 40]])],
      expected: [[1, 20], [30, 4]],
      grad: [1, 2],
    },
    {
      name: 'where broadcasts condition (2,1), x (1,3) and y (3,)',
      fn: (c, a, b) => nd.where(c!, a!, b!),
      inputs: () => [f64([[1], [0]]), f64([[1, 2, 3]]), f64([7, 8, 9])],
      expected: [[1, 2, 3], [7, 8, 9]],
      shape: [2, 3],
      grad: [1, 2],
    },
    {
      name: 'where with a number for y (relu)',
      fn: (a) => nd.where(a!.greater(0), a!, 0),
      inputs: () => [f64([-1.5, 2, -0.5, 3])],
      expected: [0, 2, 0, 3],
      grad: true,
    },
    {
      name: 'where with a 0-d condition',
      fn: (c, a, b) => nd.where(c!, a!, b!),
      inputs: () => [f64(0), f64([1, 2]), f64([3, 4])],
      expected: [3, 4],
      grad: [1, 2],
    },
    {
      name: 'where of int32 and float32 promotes; NaN in the condition counts as true',
      fn: (c, a, b) => nd.where(c!, a!, b!),
      inputs: () => [nd.array([NaN, 0]), i32([1, 2]), nd.array([0.5, 0.25])],
      expected: [1, 0.25],
      dtype: 'float32',
    },
    {
      name: 'where with two numbers is float32',
      fn: (c) => nd.where(c!, 1, -1),
      inputs: () => [i32([0, 3])],
      expected: [-1, 1],
      dtype: 'float32',
    },
    {
      name: 'where on empty arrays',
      fn: (c, a) => nd.where(c!, a!, 1),
      inputs: () => [nd.zeros([0, 2]), nd.zeros([1, 2])],
      shape: [0, 2],
      expected: [],
    },
    // clip
    {
      name: 'clip to [0, 1]',
      fn: (x) => nd.clip(x!, 0, 1),
      inputs: () => [f64([-2, 0.5, 3, 0.25])],
      expected: [0, 0.5, 1, 0.25],
      grad: true,
    },
    {
      name: 'clip with only a lower bound',
      fn: (x) => x!.clip(1, null),
      inputs: () => [f64([[0, 2], [5, -1]])],
      expected: [[1, 2], [5, 1]],
      grad: true,
    },
    {
      name: 'clip with only an upper bound',
      fn: (x) => nd.clip(x!, null, -1),
      inputs: () => [f64([0, -2])],
      expected: [-1, -2],
      grad: true,
    },
    {
      name: 'clip with array bounds broadcasts',
      fn: (x, lo, hi) => nd.clip(x!, lo!, hi!),
      inputs: () => [f64([[0, 5], [9, -9]]), f64([1, 2]), f64(4)],
      expected: [[1, 4], [4, 2]],
      grad: [0],
    },
    {
      name: 'clip keeps int32 and NaN',
      fn: (x, y) => nd.concat([nd.clip(x!, 0, 3).astype('float32'), nd.clip(y!, 0, 1)]),
      inputs: () => [i32([-5, 2, 7]), nd.array([NaN])],
      expected: [0, 2, 3, NaN],
    },
    {
      name: 'clip of a 0-d array',
      fn: (x) => nd.clip(x!, -1, 1),
      inputs: () => [f64(-3)],
      expected: -1,
      shape: [],
    },
    {
      name: 'shape-only inputs give shape-only results (take, pick, oneHot, where, clip)',
      fn: () => {
        const so = (shape: number[], dtype: nd.DType = 'float32') => nd.NDArray.shapeOnly(shape, dtype);
        const outs = [
          nd.take(so([5, 3]), so([2, 4], 'int32')),
          nd.take(so([5, 3]), [1, 2], { axis: 1 }),
          nd.pick(so([4, 3]), so([4])),
          nd.oneHot(so([4], 'int32'), 10),
          nd.where(so([2, 1]), nd.ones([3]), 0),
          nd.clip(so([2]), 0, 1),
        ];
        return nd.array(outs.flatMap((o) => [...o.shape, o.isShapeOnly ? -1 : 0]));
      },
      inputs: () => [],
      expected: [2, 4, 3, -1, 5, 2, -1, 4, -1, 4, 10, -1, 2, 3, -1, 2, -1],
    },
  ],
  errors: [
    {
      name: 'take bad axis',
      fn: () => nd.take(nd.ones([3, 2]), [0], { axis: 2 }),
      error: AxisError,
      message: /take.*axis 2.*2 dimension/,
    },
    {
      name: "take out-of-range index with mode 'raise'",
      fn: () => nd.take(nd.ones([3, 2]), [0, 3], { mode: 'raise' }),
      error: ValueError,
      message: /take.*index 3.*axis 0 of shape \(3, 2\).*'raise'/,
    },
    {
      name: "take too negative index with mode 'raise'",
      fn: () => nd.take(nd.ones([2, 3]), [-4], { axis: 1, mode: 'raise' }),
      error: ValueError,
      message: /take.*index -4.*axis 1 of shape \(2, 3\)/,
    },
    {
      name: 'take from an empty axis',
      fn: () => nd.take(nd.ones([0, 2]), [0]),
      error: ShapeError,
      message: /take.*axis 0 of shape \(0, 2\).*length 0/,
    },
    {
      name: 'take from a 0-d array',
      fn: () => nd.take(nd.array(1), [0]),
      error: ShapeError,
      message: /take.*0-d/,
    },
    {
      name: 'take unknown mode',
      fn: () => nd.take(nd.ones([2]), [0], { mode: 'nearest' as 'clip' }),
      error: ValueError,
      message: /take.*unknown mode "nearest"/,
    },
    {
      name: 'pick index of the wrong shape',
      fn: () => nd.pick(nd.ones([2, 3]), nd.ones([3])),
      error: ShapeError,
      message: /pick.*\(3,\).*\(2, 3\).*\(2,\)/,
    },
    {
      name: "pick out-of-range index with mode 'raise'",
      fn: () => nd.pick(nd.ones([2, 3]), [0, 3], { mode: 'raise' }),
      error: ValueError,
      message: /pick.*index 3.*axis 1 of shape \(2, 3\)/,
    },
    {
      name: 'pick bad axis',
      fn: () => nd.pick(nd.ones([2, 3]), [0, 0], { axis: -3 }),
      error: AxisError,
      message: /pick.*axis -3/,
    },
    {
      name: 'oneHot negative depth',
      fn: () => nd.oneHot([0, 1], -2),
      error: ValueError,
      message: /oneHot.*depth.*-2/,
    },
    {
      name: 'where shapes that do not broadcast',
      fn: () => nd.where(nd.ones([2, 3]), nd.ones([4]), 0),
      error: ShapeError,
      message: /where.*\(2, 3\).*\(4,\).*\(\)/,
    },
    {
      name: 'where with a non-array condition',
      fn: () => nd.where(1 as unknown as nd.NDArray, nd.ones([2]), 0),
      error: DTypeError,
      message: /where.*condition.*NDArray/,
    },
    {
      name: 'clip without bounds',
      fn: () => nd.clip(nd.ones([2, 2]), null, null),
      error: ValueError,
      message: /clip.*min.*max.*\(2, 2\)/,
    },
  ],
};
