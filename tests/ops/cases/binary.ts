/**
 * Op table rows for binary element-wise ops: every op against an index-based float64 broadcasting
 * oracle (same shapes, trailing-axis, two-sided and scalar broadcasts) with gradient checks;
 * comparisons and logic with hand-computed 0/1 results; IEEE special values; dtype promotion;
 * empty and 0-d shapes; and broadcast-mismatch errors.
 */
import { nd, DTypeError, ShapeError } from '../../../src/index.js';
import type { CaseFile, OpCase } from '../op-table.js';
import { broadcastRef, distinct, f64, rand } from '../op-table-ref.js';

type Binary = (a: nd.NDArray | number, b: nd.NDArray | number) => nd.NDArray;

const floorMod = (x: number, y: number): number => x - Math.floor(x / y) * y;

/** [op, reference, a range, b range, differentiable] */
const TABLE: [string, Binary, (x: number, y: number) => number, [number, number], [number, number], boolean][] = [
  ['add', nd.add, (x, y) => x + y, [-2, 2], [-2, 2], true],
  ['sub', nd.sub, (x, y) => x - y, [-2, 2], [-2, 2], true],
  ['mul', nd.mul, (x, y) => x * y, [-2, 2], [-2, 2], true],
  ['div', nd.div, (x, y) => x / y, [-2, 2], [0.5, 2], true],
  ['pow', nd.pow, Math.pow, [0.2, 2], [-2, 2], true],
  ['mod', nd.mod, floorMod, [0.1, 0.9], [1.2, 2], true],
  ['arctan2', nd.arctan2, Math.atan2, [-2, 2], [0.2, 2], true],
  ['hypot', nd.hypot, Math.hypot, [0.2, 2], [-2, -0.2], true],
];

/** Shape pairs: same shape, trailing broadcast, two-sided broadcast, scalar array. */
const SHAPES: [readonly number[], readonly number[]][] = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[2, 1, 3], [4, 1]],
  [[], [2, 2]],
];

const arith: OpCase[] = TABLE.flatMap(([name, fn, ref, [alo, ahi], [blo, bhi], grad], k) =>
  SHAPES.map(([sa, sb], s): OpCase => ({
    name: `${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`,
    fn: (a, b) => fn(a!, b!),
    inputs: () => [rand(sa, 10 * k + s, alo, ahi), rand(sb, 10 * k + s + 500, blo, bhi)],
    oracle: (a, b) => broadcastRef(a!, b!, ref),
    dtype: 'float64',
    grad,
  })),
);

/** maximum/minimum need inputs away from ties for their gradient. */
const extremes: OpCase[] = (['maximum', 'minimum'] as const).flatMap((name) => {
  const fn = nd[name];
  const ref = name === 'maximum' ? Math.max : Math.min;
  return SHAPES.map(([sa, sb], s): OpCase => ({
    name: `${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}`,
    fn: (a, b) => fn(a!, b!),
    inputs: () => [distinct(sa, s + 1), distinct(sb, s + 40).add(0.025)],
    oracle: (a, b) => broadcastRef(a!, b!, ref),
    grad: true,
  }));
});

const scalars: OpCase[] = [
  { name: 'add array + scalar', fn: (a) => nd.add(a!, 2), inputs: () => [f64([[1, 2], [3, 4]])], expected: [[3, 4], [5, 6]], grad: true },
  { name: 'sub scalar - array', fn: (a) => nd.sub(10, a!), inputs: () => [f64([1, 2.5])], expected: [9, 7.5], grad: true },
  { name: 'div scalar / array', fn: (a) => nd.div(1, a!), inputs: () => [f64([2, -4])], expected: [0.5, -0.25], grad: true },
  { name: 'pow array ** scalar', fn: (a) => a!.pow(3), inputs: () => [f64([-2, 0.5])], expected: [-8, 0.125], grad: true },
  { name: 'pow scalar ** array', fn: (a) => nd.pow(2, a!), inputs: () => [f64([3, -1, 0.5])], expected: [8, 0.5, Math.SQRT2], grad: true },
  { name: 'mul method with scalar keeps float32', fn: (a) => a!.mul(0.5), inputs: () => [nd.array([2, 3])], expected: [1, 1.5], dtype: 'float32' },
  { name: 'two scalars give a float32 0-d array', fn: () => nd.mul(3, 4), inputs: () => [], expected: 12, shape: [], dtype: 'float32' },
  { name: 'mod of negatives takes the divisor sign', fn: (a, b) => nd.mod(a!, b!), inputs: () => [f64([-7, 7, -7, 7, 5.5]), f64([3, -3, -3, 3, 2])], expected: [2, -2, -1, 1, 1.5] },
  { name: 'x * x reuses one input (gradient 2x)', fn: (a) => a!.mul(a!), inputs: () => [f64([1.5, -2])], expected: [2.25, 4], grad: true },
  { name: 'a * b + a / b chain', fn: (a, b) => a!.mul(b!).add(a!.div(b!)), inputs: () => [rand([3, 1], 3), rand([1, 4], 4, 0.5, 2)], grad: true },
];

const compare: OpCase[] = [
  { name: 'equal', fn: (a, b) => nd.equal(a!, b!), inputs: () => [f64([1, 2, 3]), f64([1, 0, 3])], expected: [1, 0, 1], dtype: 'float64' },
  { name: 'notEqual', fn: (a, b) => a!.notEqual(b!), inputs: () => [f64([1, 2, 3]), f64([1, 0, 3])], expected: [0, 1, 0] },
  { name: 'greater broadcast (2,1)>(3,)', fn: (a, b) => nd.greater(a!, b!), inputs: () => [f64([[1], [2]]), f64([0, 1, 2])], expected: [[1, 0, 0], [1, 1, 0]] },
  { name: 'greaterEqual', fn: (a, b) => a!.greaterEqual(b!), inputs: () => [f64([[1], [2]]), f64([0, 1, 2])], expected: [[1, 1, 0], [1, 1, 1]] },
  { name: 'lesser', fn: (a, b) => nd.lesser(a!, b!), inputs: () => [f64([[1], [2]]), f64([0, 1, 2])], expected: [[0, 0, 1], [0, 0, 0]] },
  { name: 'lesserEqual', fn: (a, b) => a!.lesserEqual(b!), inputs: () => [f64([[1], [2]]), f64([0, 1, 2])], expected: [[0, 1, 1], [0, 0, 1]] },
  { name: 'comparison with scalar', fn: (a) => a!.greater(1.5), inputs: () => [nd.array([1, 2])], expected: [0, 1], dtype: 'float32' },
  {
    name: 'comparisons with NaN are false except notEqual',
    fn: (a, b) => nd.equal(a!, b!).add(nd.notEqual(a!, b!).mul(10)).add(nd.greater(a!, b!).mul(100)).add(nd.lesserEqual(a!, b!).mul(1000)),
    inputs: () => [f64([NaN, NaN, 1]), f64([NaN, 1, NaN])],
    expected: [10, 10, 10],
  },
  { name: 'logicalAnd/Or/Xor', fn: (a, b) => nd.logicalAnd(a!, b!).add(nd.logicalOr(a!, b!).mul(10)).add(nd.logicalXor(a!, b!).mul(100)), inputs: () => [f64([0, 0, 2, -1]), f64([0, 3, 0, 1])], expected: [0, 110, 110, 11] },
  { name: 'comparison gradient is zero', fn: (a, b) => nd.greater(a!, b!).mul(a!), inputs: () => [f64([1, 3]), f64([2, 2])], expected: [0, 3], grad: true },
];

const ieee: OpCase[] = [
  { name: 'maximum/minimum propagate NaN from either side', fn: (a, b) => nd.maximum(a!, b!).add(nd.minimum(b!, a!)), inputs: () => [f64([NaN, 1, 2]), f64([1, NaN, 3])], expected: [NaN, NaN, 5] },
  { name: 'maximum with ±inf', fn: (a, b) => nd.maximum(a!, b!), inputs: () => [f64([-Infinity, Infinity]), f64([0, 0])], expected: [0, Infinity] },
  { name: 'div by ±0 gives ±inf and 0/0 NaN', fn: (a, b) => nd.div(a!, b!), inputs: () => [f64([1, -1, 0, 1]), f64([0, 0, 0, -0])], expected: [Infinity, -Infinity, NaN, -Infinity] },
  { name: 'inf - inf and 0 * inf are NaN', fn: (a, b) => nd.sub(a!, b!).add(nd.mul(a!, 0)), inputs: () => [f64([Infinity, 1]), f64([Infinity, 1])], expected: [NaN, 0] },
  { name: 'mod by zero is NaN', fn: (a) => nd.mod(a!, 0), inputs: () => [f64([5, -5])], expected: [NaN, NaN] },
];

const dtypes: OpCase[] = [
  { name: 'int32 + float32 -> float32', fn: (a, b) => nd.add(a!, b!), inputs: () => [nd.array([1, 2], { dtype: 'int32' }), nd.array([0.5, 0.25])], expected: [1.5, 2.25], dtype: 'float32' },
  { name: 'uint8 + int32 -> int32', fn: (a, b) => nd.add(a!, b!), inputs: () => [nd.array([250, 3], { dtype: 'uint8' }), nd.array([10, -5], { dtype: 'int32' })], expected: [260, -2], dtype: 'int32' },
  { name: 'float32 * float64 -> float64', fn: (a, b) => nd.mul(a!, b!), inputs: () => [nd.array([0.1]), f64([3])], expected: [Math.fround(0.1) * 3], dtype: 'float64', rtol: 1e-15 },
  { name: 'int32 + integer scalar stays int32', fn: (a) => a!.add(2), inputs: () => [nd.array([1, -4], { dtype: 'int32' })], expected: [3, -2], dtype: 'int32' },
  { name: 'int32 + fractional scalar -> float32', fn: (a) => a!.add(0.5), inputs: () => [nd.array([1, -4], { dtype: 'int32' })], expected: [1.5, -3.5], dtype: 'float32' },
  { name: 'uint8 * 2 stays uint8 (wraps like MXNet)', fn: (a) => a!.mul(2), inputs: () => [nd.array([3, 200], { dtype: 'uint8' })], expected: [6, 144], dtype: 'uint8' },
  { name: 'uint8 compared with -1 widens to int32', fn: (a) => a!.greater(-1), inputs: () => [nd.array([0, 255], { dtype: 'uint8' })], expected: [1, 1], dtype: 'int32' },
  { name: 'int32 + 2^40 widens to float64', fn: (a) => a!.add(2 ** 40), inputs: () => [nd.array([1], { dtype: 'int32' })], expected: [2 ** 40 + 1], dtype: 'float64' },
  { name: 'int32 div is true division in float32', fn: (a, b) => nd.div(a!, b!), inputs: () => [nd.array([7, -7], { dtype: 'int32' }), nd.array([2, 2], { dtype: 'int32' })], expected: [3.5, -3.5], dtype: 'float32' },
  { name: 'int32 mod is floor modulo and stays int32', fn: (a) => a!.mod(3), inputs: () => [nd.array([7, -7], { dtype: 'int32' })], expected: [1, 2], dtype: 'int32' },
  { name: 'int32 pow computes in float32', fn: (a) => a!.pow(0.5), inputs: () => [nd.array([4, 9], { dtype: 'int32' })], expected: [2, 3], dtype: 'float32' },
  { name: 'int32 + NaN scalar -> float32 NaN', fn: (a) => a!.add(NaN), inputs: () => [nd.array([1], { dtype: 'int32' })], expected: [NaN], dtype: 'float32' },
];

const shapes: OpCase[] = [
  { name: 'empty (0,3) + (3,) -> (0,3)', fn: (a, b) => nd.add(a!, b!), inputs: () => [nd.zeros([0, 3]), nd.ones([3])], shape: [0, 3], expected: [] },
  { name: 'empty (0,1) * (1,4) -> (0,4)', fn: (a, b) => nd.mul(a!, b!), inputs: () => [nd.zeros([0, 1]), nd.ones([1, 4])], shape: [0, 4] },
  { name: 'empty broadcast against 0-d', fn: (a) => nd.sub(a!, 1), inputs: () => [nd.zeros([2, 0])], shape: [2, 0] },
  { name: '0-d + 0-d stays 0-d', fn: (a, b) => nd.add(a!, b!), inputs: () => [f64(2), f64(3)], expected: 5, shape: [], grad: true },
  { name: '0-d * (2,2) broadcasts', fn: (a, b) => nd.mul(a!, b!), inputs: () => [f64(2), f64([[1, 2], [3, 4]])], expected: [[2, 4], [6, 8]], grad: true },
  { name: '(3,1,1) + (1,2,1) + (1,1,4) broadcasts three ways', fn: (a, b, c) => a!.add(b!).mul(c!), inputs: () => [rand([3, 1, 1], 1), rand([1, 2, 1], 2), rand([4], 3)], shape: [3, 2, 4], grad: true },
];

export const { cases, errors }: CaseFile = {
  cases: [...arith, ...extremes, ...scalars, ...compare, ...ieee, ...dtypes, ...shapes],
  errors: [
    { name: 'add (2,3) + (4,) do not broadcast', fn: () => nd.add(nd.ones([2, 3]), nd.ones([4])), error: ShapeError, message: /add.*\(2, 3\).*\(4,\)/ },
    { name: 'mul (2,3) * (3,2) do not broadcast', fn: () => nd.ones([2, 3]).mul(nd.ones([3, 2])), error: ShapeError, message: /mul.*\(2, 3\).*\(3, 2\)/ },
    { name: 'greater (0,) vs (2,) do not broadcast', fn: () => nd.greater(nd.zeros([0]), nd.ones([2])), error: ShapeError, message: /greater.*\(0,\).*\(2,\)/ },
    { name: 'maximum (2,3,4) vs (3,3,4)', fn: () => nd.maximum(nd.ones([2, 3, 4]), nd.ones([3, 3, 4])), error: ShapeError, message: /maximum.*\(2, 3, 4\).*\(3, 3, 4\)/ },
    { name: 'add with a JavaScript array operand', fn: () => nd.add(nd.ones([2]), [1, 2] as unknown as number), error: DTypeError, message: /add.*nd\.array/ },
    { name: 'sub with a string operand', fn: () => nd.sub('1' as unknown as number, nd.ones([2])), error: DTypeError, message: /sub.*string/ },
  ],
};
