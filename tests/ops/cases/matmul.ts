/**
 * Op table rows for dot, batchDot and matmul: hand-computed products, every transpose variant
 * against a triple-loop float64 oracle (sizes that are not multiples of the kernel's tiles, and a
 * k long enough to cross its blocks), vectors, N-D dot, batch broadcasting, empty operands,
 * IEEE values, with gradient checks; and the shape and dtype errors.
 */
import { nd, DTypeError, ShapeError } from '../../../src/index.js';
import type { CaseFile, OpCase } from '../op-table.js';
import { batchMatmulRef, f64, matmulRef, nest, rand } from '../op-table-ref.js';

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const tag = (ta: boolean, tb: boolean): string => `${ta ? 'A^T' : 'A'}·${tb ? 'B^T' : 'B'}`;

/** (m, k) stored as (k, m) when transposed. */
const stored = (rows: number, cols: number, trans: boolean): number[] => (trans ? [cols, rows] : [rows, cols]);

const dotVariants: OpCase[] = FLAGS.flatMap(([ta, tb], i): OpCase[] => [
  {
    name: `dot ${tag(ta, tb)} (3,4)x(4,2) gradient`,
    fn: (a, b) => nd.dot(a!, b!, { transposeA: ta, transposeB: tb }),
    inputs: () => [rand(stored(3, 4, ta), 30 + i), rand(stored(4, 2, tb), 40 + i)],
    oracle: (a, b) => matmulRef(a!, b!, ta, tb),
    shape: [3, 2],
    grad: true,
  },
  {
    name: `dot ${tag(ta, tb)} (17,33)x(33,19) odd sizes vs oracle`,
    fn: (a, b) => nd.dot(a!, b!, { transposeA: ta, transposeB: tb }),
    inputs: () => [rand(stored(17, 33, ta), 50 + i), rand(stored(33, 19, tb), 60 + i)],
    oracle: (a, b) => matmulRef(a!, b!, ta, tb),
    rtol: 1e-12,
    atol: 1e-12,
  },
  {
    name: `batchDot ${tag(ta, tb)} (2,3,4)x(2,4,5) gradient`,
    fn: (a, b) => nd.batchDot(a!, b!, { transposeA: ta, transposeB: tb }),
    inputs: () => [rand([2, ...stored(3, 4, ta)], 70 + i), rand([2, ...stored(4, 5, tb)], 80 + i)],
    oracle: (a, b) => batchMatmulRef(a!, b!, ta, tb),
    shape: [2, 3, 5],
    grad: true,
  },
  {
    name: `matmul ${tag(ta, tb)} batch-broadcast (2,1,..)x(3,..) gradient`,
    fn: (a, b) => nd.matmul(a!, b!, { transposeA: ta, transposeB: tb }),
    inputs: () => [rand([2, 1, ...stored(2, 3, ta)], 90 + i), rand([3, ...stored(3, 4, tb)], 95 + i)],
    shape: [2, 3, 2, 4],
    grad: true,
  },
]);

const dots: OpCase[] = [
  { name: 'dot 2x2 · 2x2', fn: (a, b) => nd.dot(a!, b!), inputs: () => [f64([[1, 2], [3, 4]]), f64([[5, 6], [7, 8]])], expected: [[19, 22], [43, 50]], grad: true },
  { name: 'batchDot method form', fn: (a, b) => a!.batchDot(b!, { transposeB: true }), inputs: () => [f64([[[1, 2]]]), f64([[[3, 4]]])], expected: [[[11]]] },
  { name: 'dot method form', fn: (a, b) => a!.dot(b!), inputs: () => [f64([[1, 2]]), f64([[3], [4]])], expected: [[11]] },
  { name: 'dot vector · vector is 0-d', fn: (a, b) => nd.dot(a!, b!), inputs: () => [f64([1, 2, 3]), f64([4, 5, 6])], expected: 32, shape: [], grad: true },
  { name: 'dot matrix · vector', fn: (a, b) => nd.dot(a!, b!), inputs: () => [f64([[1, 2], [3, 4], [5, 6]]), f64([1, -1])], expected: [-1, -1, -1], grad: true },
  { name: 'dot vector · matrix', fn: (a, b) => nd.dot(a!, b!), inputs: () => [f64([1, -1, 2]), f64([[1, 2], [3, 4], [5, 6]])], expected: [8, 10], grad: true },
  { name: 'dot vector^T · matrix^T (1-D transpose flags are no-ops)', fn: (a, b) => nd.dot(a!, b!, { transposeA: true, transposeB: true }), inputs: () => [f64([1, -1]), f64([[1, 2], [3, 4], [5, 6]])], expected: [-1, -1, -1] },
  {
    name: 'dot N-D (2,3,4)·(4,5) contracts last with first',
    fn: (a, b) => nd.dot(a!, b!),
    inputs: () => [rand([2, 3, 4], 1), rand([4, 5], 2)],
    oracle: (a, b) => nest(((matmulRef(a!.reshape([6, 4]), b!) as number[][]).flat()), [2, 3, 5]),
    grad: true,
  },
  {
    name: 'dot N-D (3,4)·(4,2,2) contracts last with first',
    fn: (a, b) => nd.dot(a!, b!),
    inputs: () => [rand([3, 4], 3), rand([4, 2, 2], 4)],
    oracle: (a, b) => nest(((matmulRef(a!, b!.reshape([4, 4])) as number[][]).flat()), [3, 2, 2]),
    grad: true,
  },
  {
    name: 'dot transposeA of a 3-D operand reverses all its axes',
    fn: (a, b) => nd.dot(a!, b!, { transposeA: true }),
    inputs: () => [rand([4, 3, 2], 5), rand([4, 2], 6)],
    oracle: (a, b) => nest(((matmulRef(a!.transpose().reshape([6, 4]), b!) as number[][]).flat()), [2, 3, 2]),
    grad: true,
  },
  {
    name: 'dot with k crossing kernel blocks (5,600)x(600,6)',
    fn: (a, b) => nd.dot(a!, b!),
    inputs: () => [rand([5, 600], 7), rand([600, 6], 8)],
    oracle: (a, b) => matmulRef(a!, b!),
    rtol: 1e-10,
    atol: 1e-12,
  },
  {
    name: 'dot with n crossing kernel column blocks (3,20)x(20,300)^T',
    fn: (a, b) => nd.dot(a!, b!, { transposeB: true }),
    inputs: () => [rand([3, 20], 9), rand([300, 20], 10)],
    oracle: (a, b) => matmulRef(a!, b!, false, true),
    rtol: 1e-12,
    atol: 1e-12,
  },
  {
    name: 'dot float32 (33,300)x(300,40) matches float64 oracle',
    fn: (a, b) => nd.dot(a!, b!),
    inputs: () => [rand([33, 300], 17).astype('float32'), rand([300, 40], 18).astype('float32')],
    oracle: (a, b) => matmulRef(a!.astype('float64'), b!.astype('float64')),
    dtype: 'float32',
    rtol: 1e-4,
    atol: 1e-4,
  },
];

const matmuls: OpCase[] = [
  { name: 'matmul 2-D', fn: (a, b) => nd.matmul(a!, b!), inputs: () => [f64([[1, 0], [0, 2]]), f64([[1, 2], [3, 4]])], expected: [[1, 2], [6, 8]], grad: true },
  { name: 'matmul vector · vector is 0-d', fn: (a, b) => a!.matmul(b!), inputs: () => [f64([1, 2]), f64([3, 4])], expected: 11, shape: [], grad: true },
  { name: 'matmul vector · (2,3) -> (3,)', fn: (a, b) => nd.matmul(a!, b!), inputs: () => [f64([1, 2]), f64([[1, 2, 3], [4, 5, 6]])], expected: [9, 12, 15], grad: true },
  { name: 'matmul (2,3) · vector -> (2,)', fn: (a, b) => nd.matmul(a!, b!), inputs: () => [f64([[1, 2, 3], [4, 5, 6]]), f64([1, 0, -1])], expected: [-2, -2], grad: true },
  { name: 'matmul (2,2,3) · vector -> (2,2)', fn: (a, b) => nd.matmul(a!, b!), inputs: () => [rand([2, 2, 3], 21), rand([3], 22)], shape: [2, 2], grad: true },
  {
    name: 'matmul (4,2,3) · (3,5) broadcasts b over the batch',
    fn: (a, b) => nd.matmul(a!, b!),
    inputs: () => [rand([4, 2, 3], 23), rand([3, 5], 24)],
    oracle: (a, b) => nest(((matmulRef(a!.reshape([8, 3]), b!) as number[][]).flat()), [4, 2, 5]),
    grad: true,
  },
  {
    name: 'matmul (2,1,3,4) · (5,4,2) -> (2,5,3,2)',
    fn: (a, b) => nd.matmul(a!, b!),
    inputs: () => [rand([2, 1, 3, 4], 25), rand([5, 4, 2], 26)],
    shape: [2, 5, 3, 2],
    grad: true,
  },
  {
    name: 'matmul batch (3,2,2)x(3,2,2) equals batchDot',
    fn: (a, b) => nd.matmul(a!, b!).sub(nd.batchDot(a!, b!)),
    inputs: () => [rand([3, 2, 2], 27), rand([3, 2, 2], 28)],
    expected: Array.from({ length: 3 }, () => [[0, 0], [0, 0]]),
  },
];

const edge: OpCase[] = [
  { name: 'dot (0,3)·(3,4) is empty (0,4)', fn: (a, b) => nd.dot(a!, b!), inputs: () => [nd.zeros([0, 3]), nd.ones([3, 4])], shape: [0, 4] },
  { name: 'dot (2,0)·(0,3) is zeros (2,3)', fn: (a, b) => nd.dot(a!, b!), inputs: () => [nd.zeros([2, 0]), nd.zeros([0, 3])], expected: [[0, 0, 0], [0, 0, 0]] },
  { name: 'matmul (0,2,3)·(3,4) has an empty batch', fn: (a, b) => nd.matmul(a!, b!), inputs: () => [nd.zeros([0, 2, 3]), nd.ones([3, 4])], shape: [0, 2, 4] },
  { name: 'batchDot of empty batches', fn: (a, b) => nd.batchDot(a!, b!), inputs: () => [nd.zeros([0, 2, 3]), nd.ones([0, 3, 1])], shape: [0, 2, 1] },
  { name: '0 · inf in a product is NaN', fn: (a, b) => nd.dot(a!, b!), inputs: () => [f64([[0, 1], [1, 1]]), f64([[Infinity], [2]])], expected: [[NaN], [Infinity]] },
  { name: 'NaN spreads along its row and column only', fn: (a, b) => nd.dot(a!, b!), inputs: () => [f64([[NaN, 1], [1, 1]]), f64([[1, 0], [1, 1]])], expected: [[NaN, NaN], [2, 1]] },
  { name: 'inf - inf in a product is NaN', fn: (a, b) => nd.matmul(a!, b!), inputs: () => [f64([[1, 1]]), f64([[Infinity], [-Infinity]])], expected: [[NaN]] },
  { name: 'float32 inputs give float32', fn: (a, b) => nd.dot(a!, b!), inputs: () => [nd.ones([2, 2]), nd.ones([2, 2])], expected: [[2, 2], [2, 2]], dtype: 'float32' },
  { name: 'float32 · float64 promotes to float64', fn: (a, b) => nd.dot(a!, b!), inputs: () => [nd.ones([1, 2]), f64([[0.1], [0.2]])], expected: [[0.1 + 0.2]], dtype: 'float64', rtol: 1e-15 },
];

/** x Wᵀ + b by hand: x (2,3), W (2,3), b (2). */
const fcX = [[1, 2, 3], [4, 5, 6]];
const fcW = [[1, 0, -1], [0.5, 0.5, 0.5]];
const fcs: OpCase[] = [
  { name: 'fullyConnected (2,3)·(2,3)ᵀ + b by hand', fn: (x, w, b) => nd.fullyConnected(x!, w!, b!), inputs: () => [f64(fcX), f64(fcW), f64([10, -1])], expected: [[8, 2], [8, 6.5]], grad: true },
  { name: 'fullyConnected without bias', fn: (x, w) => nd.fullyConnected(x!, w!), inputs: () => [f64(fcX), f64(fcW)], expected: [[-2, 3], [-2, 7.5]], grad: true },
  {
    name: 'fullyConnected flattens (2,2,3) to (2,6), odd sizes vs oracle',
    fn: (x, w, b) => nd.fullyConnected(x!, w!, b!),
    inputs: () => [rand([2, 2, 3], 201), rand([5, 6], 202), rand([5], 203)],
    oracle: (x, w, b) => (matmulRef(x!.reshape([2, 6]), w!, false, true) as number[][]).map((r) => r.map((v, j) => v + (b!.toArray() as number[])[j]!)),
    shape: [2, 5],
    grad: true,
  },
  {
    name: 'fullyConnected { flatten: false } applies to the last axis',
    fn: (x, w, b) => nd.fullyConnected(x!, w!, b!, { flatten: false }),
    inputs: () => [rand([2, 2, 3], 204), rand([4, 3], 205), rand([4], 206)],
    shape: [2, 2, 4],
    grad: true,
  },
  { name: 'fullyConnected of a 1-d input without flatten', fn: (x, w, b) => nd.fullyConnected(x!, w!, b!, { flatten: false }), inputs: () => [f64([1, 2, 3]), f64(fcW), f64([0, 1])], expected: [-2, 4] },
  { name: 'fullyConnected k crossing the GEMM blocks', fn: (x, w, b) => nd.fullyConnected(x!, w!, b!), inputs: () => [rand([3, 700], 207), rand([7, 700], 208), rand([7], 209)], oracle: (x, w, b) => (matmulRef(x!, w!, false, true) as number[][]).map((r) => r.map((v, j) => v + (b!.toArray() as number[])[j]!)), rtol: 1e-12, atol: 1e-12 },
  { name: 'fullyConnected of an empty batch', fn: (x, w, b) => nd.fullyConnected(x!, w!, b!), inputs: () => [nd.zeros([0, 3], { dtype: 'float64' }), f64(fcW), f64([1, 2])], shape: [0, 2] },
];

export const { cases, errors }: CaseFile = {
  cases: [...dots, ...dotVariants, ...matmuls, ...edge, ...fcs],
  errors: [
    { name: 'fullyConnected weight of the wrong width', fn: () => nd.fullyConnected(nd.ones([2, 3]), nd.ones([4, 5])), error: ShapeError, message: /fullyConnected.*\(units, 3\).*\(2, 3\).*\(4, 5\)/ },
    { name: 'fullyConnected bias of the wrong length', fn: () => nd.fullyConnected(nd.ones([2, 3]), nd.ones([4, 3]), nd.ones([3])), error: ShapeError, message: /fullyConnected.*bias.*\(4,\).*\(3,\)/ },
    { name: 'fullyConnected of integers', fn: () => nd.fullyConnected(nd.ones([2, 3], { dtype: 'int32' }), nd.ones([4, 3], { dtype: 'int32' })), error: DTypeError, message: /fullyConnected.*int32/ },
    { name: 'fullyConnected needs a batch axis when flattening', fn: () => nd.fullyConnected(nd.ones([3]), nd.ones([4, 3])), error: ShapeError, message: /fullyConnected.*\(3,\).*batch/ },
    { name: 'dot inner dimension mismatch', fn: () => nd.dot(nd.ones([2, 3]), nd.ones([4, 2])), error: ShapeError, message: /dot.*\(2, 3\).*\(4, 2\)/ },
    { name: 'dot (2,3)·(2,3) names the contracted sizes', fn: () => nd.dot(nd.ones([2, 3]), nd.ones([2, 3])), error: ShapeError, message: /dot.*\(2, 3\).*\(2, 3\).*3 with 2/ },
    { name: 'dot transposed operand is marked in the message', fn: () => nd.dot(nd.ones([2, 3]), nd.ones([2, 3]), { transposeB: true, transposeA: true }), error: ShapeError, message: /dot.*\(2, 3\) \(transposed\).*\(2, 3\) \(transposed\)/ },
    { name: 'dot of two vectors of different length', fn: () => nd.dot(nd.ones([3]), nd.ones([4])), error: ShapeError, message: /dot.*\(3,\).*\(4,\)/ },
    { name: 'dot of a 0-d operand', fn: () => nd.dot(nd.ones([]), nd.ones([2])), error: ShapeError, message: /dot.*\(\).*\(2,\)/ },
    { name: 'matmul inner dimension mismatch', fn: () => nd.matmul(nd.ones([5, 2, 3]), nd.ones([4, 2])), error: ShapeError, message: /matmul.*\(5, 2, 3\).*\(4, 2\).*3 with 4/ },
    { name: 'matmul inner mismatch with transposeA', fn: () => nd.matmul(nd.ones([2, 3]), nd.ones([3, 4]), { transposeA: true }), error: ShapeError, message: /matmul.*\(2, 3\) \(transposed\).*\(3, 4\).*2 with 3/ },
    { name: 'matmul batch dimensions do not broadcast', fn: () => nd.matmul(nd.ones([2, 3, 4]), nd.ones([3, 4, 5])), error: ShapeError, message: /matmul.*\(2, 3, 4\).*\(3, 4, 5\)/ },
    { name: 'matmul of a 0-d operand', fn: () => nd.matmul(nd.ones([2]), nd.array(1)), error: ShapeError, message: /matmul.*\(2,\).*\(\)/ },
    { name: 'batchDot with different batch sizes', fn: () => nd.batchDot(nd.ones([2, 3, 4]), nd.ones([3, 4, 5])), error: ShapeError, message: /batchDot.*\(2, 3, 4\).*\(3, 4, 5\)/ },
    { name: 'batchDot of 2-D arrays', fn: () => nd.batchDot(nd.ones([3, 4]), nd.ones([4, 5])), error: ShapeError, message: /batchDot.*3-D.*\(3, 4\).*\(4, 5\)/ },
    { name: 'batchDot inner mismatch', fn: () => nd.batchDot(nd.ones([2, 3, 4]), nd.ones([2, 3, 4])), error: ShapeError, message: /batchDot.*\(2, 3, 4\).*\(2, 3, 4\).*4 with 3/ },
    { name: 'matmul refuses int32', fn: () => nd.matmul(nd.ones([2, 2], { dtype: 'int32' }), nd.ones([2, 2], { dtype: 'int32' })), error: DTypeError, message: /matmul.*int32.*astype/ },
    { name: 'dot refuses uint8', fn: () => nd.dot(nd.ones([2, 2], { dtype: 'uint8' }), nd.ones([2, 2], { dtype: 'uint8' })), error: DTypeError, message: /dot.*uint8/ },
    { name: 'batchDot refuses int32', fn: () => nd.batchDot(nd.ones([1, 2, 2], { dtype: 'int32' }), nd.ones([1, 2, 2], { dtype: 'int32' })), error: DTypeError, message: /batchDot.*int32/ },
  ],
};
