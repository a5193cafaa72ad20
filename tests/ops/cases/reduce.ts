/**
 * Op table rows for reductions: sum, mean, prod, max, min and norm over no axis, one axis, a
 * negative axis, several adjacent and non-adjacent axes, with and without keepdims, against a
 * multi-index float64 oracle with gradient checks; argmax/argmin; NaN propagation; empty and 0-d
 * inputs; dtype rules; and axis errors.
 */
import { nd, AxisError, ValueError } from '../../../src/index.js';
import type { CaseFile, OpCase } from '../op-table.js';
import { distinct, f64, rand, reduceRef } from '../op-table-ref.js';

type Axes = number | number[] | null;

const AXES: [Axes, boolean][] = [
  [null, false],
  [null, true],
  [0, false],
  [-1, true],
  [[0, 2], false],
  [[0, 2], true],
  [[1, 2], false],
  [[2, 0], true],
];

const label = (axes: Axes, keepdims: boolean): string => `axis=${JSON.stringify(axes)}${keepdims ? ' keepdims' : ''}`;
const axisList = (axes: Axes): number[] | null => (axes === null ? null : typeof axes === 'number' ? [axes] : axes);

interface Family {
  name: 'sum' | 'mean' | 'prod' | 'max' | 'min';
  f: (acc: number, v: number) => number;
  init: number;
  finish?: (acc: number, count: number) => number;
  input: (seed: number) => nd.NDArray;
}

const FAMILIES: Family[] = [
  { name: 'sum', f: (a, v) => a + v, init: 0, input: (s) => rand([2, 3, 4], s) },
  { name: 'mean', f: (a, v) => a + v, init: 0, finish: (a, n) => a / n, input: (s) => rand([2, 3, 4], s) },
  { name: 'prod', f: (a, v) => a * v, init: 1, input: (s) => rand([2, 3, 4], s, 0.5, 1.5) },
  { name: 'max', f: Math.max, init: -Infinity, input: (s) => distinct([2, 3, 4], s) },
  { name: 'min', f: Math.min, init: Infinity, input: (s) => distinct([2, 3, 4], s) },
];

const reductions: OpCase[] = FAMILIES.flatMap((fam, k) =>
  AXES.map(([axes, keepdims], j): OpCase => ({
    name: `${fam.name} (2,3,4) ${label(axes, keepdims)}`,
    fn: (x) => nd[fam.name](x!, axes, { keepdims }),
    inputs: () => [fam.input(20 * k + j)],
    oracle: (x) => reduceRef(x!, axisList(axes), keepdims, fam.f, fam.init, fam.finish),
    grad: true,
  })),
);

const norms: OpCase[] = [
  { name: 'norm of a vector is Euclidean', fn: (x) => nd.norm(x!), inputs: () => [f64([3, 4])], expected: 5, shape: [], grad: true },
  { name: 'norm ord 1 over axis 1', fn: (x) => x!.norm({ axis: 1, ord: 1 }), inputs: () => [f64([[1, -2], [-3, 4]])], expected: [3, 7], grad: true },
  {
    name: 'norm over non-adjacent axes with keepdims',
    fn: (x) => nd.norm(x!, [0, 2], { keepdims: true }),
    inputs: () => [rand([2, 3, 4], 77)],
    oracle: (x) => reduceRef(x!, [0, 2], true, (a, v) => a + v * v, 0, Math.sqrt),
    grad: true,
  },
  { name: 'norm of int32 gives float32', fn: (x) => nd.norm(x!), inputs: () => [nd.array([3, 4], { dtype: 'int32' })], expected: 5, dtype: 'float32' },
];

const args: OpCase[] = [
  { name: 'argmax over axis 1', fn: (x) => nd.argmax(x!, 1), inputs: () => [f64([[1, 5, 2], [7, 0, 7]])], expected: [1, 0], dtype: 'int32' },
  { name: 'argmin over axis 0 keepdims', fn: (x) => x!.argmin(0, { keepdims: true }), inputs: () => [f64([[1, 5, 2], [7, 0, 7]])], expected: [[0, 1, 0]], shape: [1, 3] },
  { name: 'argmax over the flattened array', fn: (x) => x!.argmax(), inputs: () => [f64([[1, 5, 2], [7, 0, 9]])], expected: 5, shape: [] },
  { name: 'argmax flattened with keepdims keeps ndim', fn: (x) => x!.argmax(null, { keepdims: true }), inputs: () => [f64([[1, 5, 2], [7, 0, 9]])], expected: [[5]], shape: [1, 1] },
  { name: 'argmax returns the first of ties', fn: (x) => nd.argmax(x!, -1), inputs: () => [f64([[3, 3, 1], [0, 2, 2]])], expected: [0, 1] },
  { name: 'argmax and argmin pick the first NaN', fn: (x) => nd.argmax(x!, 1).add(nd.argmin(x!, 1).mul(10)), inputs: () => [f64([[1, NaN, 9, NaN], [NaN, 0, 1, 2]])], expected: [11, 0] },
  { name: 'argmax middle axis of (2,3,2)', fn: (x) => nd.argmax(x!, 1), inputs: () => [f64([[[1, 9], [5, 2], [3, 4]], [[0, 0], [1, -1], [-2, 5]]])], expected: [[1, 0], [1, 2]] },
  { name: 'argmax with an options object (axis, keepdims)', fn: (x) => nd.argmax(x!, { axis: 1, keepdims: true }), inputs: () => [f64([[1, 5, 2], [7, 0, 7]])], expected: [[1], [0]], shape: [2, 1] },
  { name: 'argmin method with an options object', fn: (x) => x!.argmin({ axis: -1 }), inputs: () => [f64([[1, 5, 2], [7, 0, 7]])], expected: [0, 1], shape: [2] },
  { name: 'argmax options without axis reduce the flattened array', fn: (x) => x!.argmax({ keepdims: true }), inputs: () => [f64([[1, 5, 2], [7, 0, 9]])], expected: [[5]], shape: [1, 1] },
  { name: 'argmax with -inf everywhere is 0', fn: (x) => nd.argmax(x!, 0), inputs: () => [f64([-Infinity, -Infinity])], expected: 0 },
];

const special: OpCase[] = [
  { name: 'sum propagates NaN and inf', fn: (x) => nd.sum(x!, 1), inputs: () => [f64([[1, NaN], [Infinity, 1], [Infinity, -Infinity]])], expected: [NaN, Infinity, NaN] },
  { name: 'max and min propagate NaN', fn: (x) => nd.max(x!, 1).add(nd.min(x!, 1)), inputs: () => [f64([[1, NaN, 3], [NaN, 0, 1], [1, 2, 3]])], expected: [NaN, NaN, 4] },
  { name: 'max of -inf is -inf', fn: (x) => nd.max(x!), inputs: () => [f64([-Infinity, -Infinity])], expected: -Infinity },
  { name: 'prod with inf and 0 is NaN', fn: (x) => nd.prod(x!), inputs: () => [f64([Infinity, 0, 2])], expected: NaN },
  { name: 'prod gradient with one zero in a row', fn: (x) => nd.prod(x!, 1), inputs: () => [f64([[2, 0, 3], [0.5, 1.5, -2]])], expected: [0, -1.5], grad: true },
  { name: 'prod gradient with two zeros in a row', fn: (x) => nd.prod(x!, 0), inputs: () => [f64([[0, 1], [0, 2], [3, 4]])], expected: [0, 8], grad: true },
  { name: 'max gradient goes to the max element only', fn: (x) => nd.max(x!, 0).mul(f64([1, 2])), inputs: () => [f64([[1, 5], [4, 2]])], expected: [4, 10], grad: true },
  { name: 'mean of a reused input x * mean(x)', fn: (x) => x!.mul(nd.mean(x!)), inputs: () => [rand([2, 3], 5)], grad: true },
];

const shapes: OpCase[] = [
  { name: 'sum of an empty axis is 0', fn: (x) => nd.sum(x!, 0), inputs: () => [nd.zeros([0, 3])], expected: [0, 0, 0], shape: [3] },
  { name: 'prod of an empty axis is 1', fn: (x) => nd.prod(x!, 0), inputs: () => [nd.zeros([0, 3])], expected: [1, 1, 1] },
  { name: 'mean of an empty array is NaN', fn: (x) => nd.mean(x!), inputs: () => [nd.zeros([0])], expected: NaN, shape: [] },
  { name: 'sum over a non-empty axis of an empty array stays empty', fn: (x) => nd.sum(x!, 1, { keepdims: true }), inputs: () => [nd.zeros([0, 3])], shape: [0, 1] },
  { name: 'max over a non-empty axis of an empty array stays empty', fn: (x) => nd.max(x!, 1), inputs: () => [nd.zeros([0, 3])], shape: [0] },
  { name: 'sum of a 0-d array is itself', fn: (x) => nd.sum(x!), inputs: () => [f64(2.5)], expected: 2.5, shape: [], grad: true },
  { name: 'sum of a 0-d array with keepdims stays 0-d', fn: (x) => x!.sum(null, { keepdims: true }), inputs: () => [f64(2.5)], shape: [] },
  { name: 'sum with axis=[] reduces nothing', fn: (x) => nd.sum(x!, []), inputs: () => [f64([[1, 2], [3, 4]])], expected: [[1, 2], [3, 4]], grad: true },
  { name: 'sum options form { axis }', fn: (x) => x!.sum({ axis: 1, keepdims: true }), inputs: () => [f64([[1, 2], [3, 4]])], expected: [[3], [7]] },
  { name: 'sum of (4,1,3,1,2) over axes [1,3] keepdims', fn: (x) => nd.sum(x!, [1, 3], { keepdims: true }), inputs: () => [rand([4, 1, 3, 1, 2], 9)], shape: [4, 1, 3, 1, 2], grad: true },
  { name: 'mean over axes [0,2,3] of (2,3,2,2)', fn: (x) => nd.mean(x!, [0, 2, 3]), inputs: () => [rand([2, 3, 2, 2], 11)], oracle: (x) => reduceRef(x!, [0, 2, 3], false, (a, v) => a + v, 0, (a, n) => a / n), grad: true },
  { name: 'max over axes [0,3] of (2,2,2,3)', fn: (x) => nd.max(x!, [0, 3], { keepdims: true }), inputs: () => [distinct([2, 2, 2, 3], 12)], oracle: (x) => reduceRef(x!, [0, 3], true, Math.max, -Infinity), grad: true },
];

const dtypes: OpCase[] = [
  { name: 'sum of int32 stays int32', fn: (x) => nd.sum(x!), inputs: () => [nd.array([1, 2, -7], { dtype: 'int32' })], expected: -4, dtype: 'int32' },
  { name: 'sum of uint8 computes in int32 (no wrap at 256)', fn: (x) => nd.sum(x!), inputs: () => [nd.array([200, 100, 255], { dtype: 'uint8' })], expected: 555, dtype: 'int32' },
  { name: 'mean of int32 gives float32', fn: (x) => nd.mean(x!), inputs: () => [nd.array([1, 2], { dtype: 'int32' })], expected: 1.5, dtype: 'float32' },
  { name: 'max of uint8 stays uint8', fn: (x) => nd.max(x!, 0), inputs: () => [nd.array([[3, 250], [7, 1]], { dtype: 'uint8' })], expected: [7, 250], dtype: 'uint8' },
  { name: 'sum of float32 accumulates in float64', fn: (x) => nd.sum(x!), inputs: () => [nd.array(new Float32Array(4097).fill(0.1))], expected: Math.fround(Math.fround(0.1) * 4097), rtol: 1e-7 },
  { name: 'sum of float64 stays float64', fn: (x) => nd.sum(x!), inputs: () => [f64([0.1, 0.2])], expected: 0.1 + 0.2, dtype: 'float64', rtol: 1e-16 },
];

export const { cases, errors }: CaseFile = {
  cases: [...reductions, ...norms, ...args, ...special, ...shapes, ...dtypes],
  errors: [
    { name: 'sum axis 2 of a 2-D array', fn: () => nd.sum(nd.ones([2, 3]), 2), error: AxisError, message: /sum: axis 2 .*2 dimension/ },
    { name: 'mean axis -3 of a 2-D array', fn: () => nd.ones([2, 3]).mean(-3), error: AxisError, message: /mean: axis -3/ },
    { name: 'max with a repeated axis', fn: () => nd.max(nd.ones([2, 3]), [1, -1]), error: AxisError, message: /max: repeated axis/ },
    { name: 'sum with a fractional axis', fn: () => nd.sum(nd.ones([2, 3]), 0.5), error: AxisError, message: /sum: axis 0.5/ },
    { name: 'max over an empty axis', fn: () => nd.max(nd.zeros([0, 3]), 0), error: ValueError, message: /max:.*zero-size.*\(0, 3\)/ },
    { name: 'min of an empty array', fn: () => nd.min(nd.zeros([0])), error: ValueError, message: /min:.*\(0,\)/ },
    { name: 'argmax with a list of axes', fn: () => nd.argmax(nd.zeros([2, 3]), { axis: [0, 1] as unknown as number }), error: ValueError, message: /argmax: axis must be one axis/ },
    { name: 'argmax over an empty axis', fn: () => nd.argmax(nd.zeros([2, 0]), 1), error: ValueError, message: /argmax:.*\(2, 0\)/ },
    { name: 'argmin of an empty array', fn: () => nd.argmin(nd.zeros([0, 2])), error: ValueError, message: /argmin:.*\(0, 2\)/ },
    { name: 'argmax bad axis', fn: () => nd.argmax(nd.ones([2]), 1), error: AxisError, message: /argmax: axis 1/ },
    { name: 'norm with ord 3', fn: () => nd.norm(nd.ones([2]), { ord: 3 as 2 }), error: ValueError, message: /norm: ord must be 1 or 2, got 3/ },
  ],
};
