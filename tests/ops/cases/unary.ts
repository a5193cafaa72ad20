/**
 * Op table rows for unary math and astype: each op against Math on inputs inside its domain, with
 * a float64 gradient check; IEEE special values; integer inputs to float-only ops; empty and 0-d
 * shapes; and the dtype rules of astype.
 */
import { nd, DTypeError } from '../../../src/index.js';
import type { CaseFile, ErrorCase, OpCase } from '../op-table.js';
import { f64, mapRef, rand } from '../op-table-ref.js';

type Unary = (x: nd.NDArray) => nd.NDArray;

const erfRef = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is too coarse for a 1e-6 oracle; integrate exp(-t^2) by Simpson.
  const n = 2000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
};

/** [op, reference, input range low, high, differentiable] */
const TABLE: [string, Unary, (v: number) => number, number, number, boolean][] = [
  ['neg', nd.neg, (v) => -v, -2, 2, true],
  ['abs', nd.abs, Math.abs, 0.1, 2, true],
  ['exp', nd.exp, Math.exp, -3, 3, true],
  ['log', nd.log, Math.log, 0.1, 5, true],
  ['log2', nd.log2, Math.log2, 0.1, 5, true],
  ['log10', nd.log10, Math.log10, 0.1, 5, true],
  ['log1p', nd.log1p, Math.log1p, -0.5, 3, true],
  ['expm1', nd.expm1, Math.expm1, -2, 2, true],
  ['sqrt', nd.sqrt, Math.sqrt, 0.1, 4, true],
  ['rsqrt', nd.rsqrt, (v) => 1 / Math.sqrt(v), 0.2, 4, true],
  ['cbrt', nd.cbrt, Math.cbrt, 0.1, 8, true],
  ['square', nd.square, (v) => v * v, -2, 2, true],
  ['reciprocal', nd.reciprocal, (v) => 1 / v, 0.3, 3, true],
  ['sin', nd.sin, Math.sin, -3, 3, true],
  ['cos', nd.cos, Math.cos, -3, 3, true],
  ['tan', nd.tan, Math.tan, -1.2, 1.2, true],
  ['arcsin', nd.arcsin, Math.asin, -0.9, 0.9, true],
  ['arccos', nd.arccos, Math.acos, -0.9, 0.9, true],
  ['arctan', nd.arctan, Math.atan, -3, 3, true],
  ['sinh', nd.sinh, Math.sinh, -2, 2, true],
  ['cosh', nd.cosh, Math.cosh, -2, 2, true],
  ['tanh', nd.tanh, Math.tanh, -2, 2, true],
  ['arcsinh', nd.arcsinh, Math.asinh, -3, 3, true],
  ['arccosh', nd.arccosh, Math.acosh, 1.2, 4, true],
  ['arctanh', nd.arctanh, Math.atanh, -0.9, 0.9, true],
  ['sigmoid', nd.sigmoid, (v) => 1 / (1 + Math.exp(-v)), -4, 4, true],
  ['relu', nd.relu, (v) => Math.max(v, 0), -2, 2, true],
  ['softrelu', nd.softrelu, (v) => Math.log(1 + Math.exp(v)), -4, 4, true],
  ['erf', nd.erf, erfRef, -2.5, 2.5, true],
  ['sign', nd.sign, Math.sign, -2, 2, true],
  ['floor', nd.floor, Math.floor, -2, 2, true],
  ['ceil', nd.ceil, Math.ceil, -2, 2, true],
  ['trunc', nd.trunc, Math.trunc, -2, 2, true],
  ['round', nd.round, (v) => Math.sign(v) * Math.round(Math.abs(v)), -2, 2, true],
];

/** Inputs kept 0.05 away from 0 and integers, where relu/abs/sign/floor... have kinks or jumps. */
function awayFromKinks(x: nd.NDArray): nd.NDArray {
  const d = x.storage;
  for (let i = 0; i < d.length; i++) {
    const frac = d[i]! - Math.round(d[i]!);
    if (Math.abs(frac) < 0.05) d[i] = Math.round(d[i]!) + (frac < 0 ? -0.05 : 0.05);
    const h = d[i]! - Math.floor(d[i]!) - 0.5;
    if (Math.abs(h) < 0.05) d[i] = Math.floor(d[i]!) + 0.5 + (h < 0 ? -0.05 : 0.05);
  }
  return x;
}

const perOp: OpCase[] = TABLE.flatMap(([name, fn, ref, lo, hi, grad], k) => [
  {
    name: `${name} (2,3,4) float64 vs Math`,
    fn: (x) => fn(x!),
    inputs: () => [awayFromKinks(rand([2, 3, 4], 100 + k, lo, hi))],
    oracle: (x) => mapRef(x!, ref),
    shape: [2, 3, 4],
    dtype: 'float64',
    grad,
  },
  {
    name: `${name} method form, 0-d input`,
    fn: (x) => (x as unknown as Record<string, () => nd.NDArray>)[name]!.call(x),
    inputs: () => [awayFromKinks(rand([], 300 + k, lo, hi))],
    oracle: (x) => ref(x!.item()),
    shape: [],
  },
  {
    name: `${name} empty (0,3)`,
    fn: (x) => fn(x!),
    inputs: () => [nd.zeros([0, 3])],
    expected: [],
    shape: [0, 3],
  },
]);

const special: OpCase[] = [
  {
    name: 'relu propagates NaN and keeps infinities',
    fn: (x) => nd.relu(x!),
    inputs: () => [f64([NaN, -Infinity, Infinity, -1, 2, -0])],
    expected: [NaN, 0, Infinity, 0, 2, 0],
  },
  {
    name: 'sigmoid saturates without NaN at ±1000 and is 0.5 at 0',
    fn: (x) => nd.sigmoid(x!),
    inputs: () => [f64([-1000, 0, 1000, NaN])],
    expected: [0, 0.5, 1, NaN],
  },
  {
    name: 'softrelu is exact at ±1000 and ln 2 at 0',
    fn: (x) => nd.softrelu(x!),
    inputs: () => [f64([1000, -1000, 0])],
    expected: [1000, 0, Math.LN2],
  },
  {
    name: 'softrelu gradient at large |x| is 0 or 1',
    fn: (x) => nd.softrelu(x!),
    inputs: () => [f64([-40, 40, 0.5])],
    grad: true,
  },
  {
    name: 'exp at ±inf and NaN',
    fn: (x) => nd.exp(x!),
    inputs: () => [f64([Infinity, -Infinity, NaN, 1000])],
    expected: [Infinity, 0, NaN, Infinity],
  },
  {
    name: 'log at 0, negatives and inf',
    fn: (x) => nd.log(x!),
    inputs: () => [f64([0, -1, Infinity, -0])],
    expected: [-Infinity, NaN, Infinity, -Infinity],
  },
  {
    name: 'sqrt of negatives is NaN',
    fn: (x) => nd.sqrt(x!),
    inputs: () => [f64([-1, Infinity, 0])],
    expected: [NaN, Infinity, 0],
  },
  {
    name: 'sign keeps NaN and zero',
    fn: (x) => nd.sign(x!),
    inputs: () => [f64([-2, 0, 3, NaN, -Infinity])],
    expected: [-1, 0, 1, NaN, -1],
  },
  {
    name: 'round takes halves away from zero (MXNet)',
    fn: (x) => nd.round(x!),
    inputs: () => [f64([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4])],
    expected: [-3, -2, -1, 1, 2, 3, 2],
  },
  {
    name: 'floor/ceil/trunc of negatives',
    fn: (x) => nd.floor(x!).add(nd.ceil(x!).mul(10)).add(nd.trunc(x!).mul(100)),
    inputs: () => [f64([-1.5, 1.5])],
    expected: [-2 - 10 - 100, 1 + 20 + 100],
  },
  {
    name: 'erf at hand-checked points',
    fn: (x) => nd.erf(x!),
    inputs: () => [f64([0, 0.5, 1, -2, 3.5, 7])],
    expected: [0, 0.5204998778130465, 0.8427007929497149, -0.9953222650189527, 0.9999992569016276, 1],
    rtol: 1e-12,
    atol: 1e-14,
  },
  {
    name: 'float-only op on int32 computes in float32',
    fn: (x) => nd.exp(x!),
    inputs: () => [nd.array([0, 1, 2], { dtype: 'int32' })],
    expected: [1, Math.E, Math.E ** 2],
    dtype: 'float32',
  },
  {
    name: 'sqrt of uint8 computes in float32',
    fn: (x) => nd.sqrt(x!),
    inputs: () => [nd.array([0, 4, 255], { dtype: 'uint8' })],
    expected: [0, 2, Math.sqrt(255)],
    dtype: 'float32',
  },
  {
    name: 'sign-like ops keep int32',
    fn: (x) => nd.relu(x!).add(nd.neg(x!).mul(10)).add(nd.abs(x!).mul(100)),
    inputs: () => [nd.array([-3, 0, 5], { dtype: 'int32' })],
    expected: [330, 0, 455],
    dtype: 'int32',
  },
  {
    name: 'square keeps int32',
    fn: (x) => nd.square(x!),
    inputs: () => [nd.array([-3, 4], { dtype: 'int32' })],
    expected: [9, 16],
    dtype: 'int32',
  },
  {
    name: 'chained unary gradient tanh(exp(x)) * sigmoid(x)',
    fn: (x) => nd.tanh(nd.exp(x!)).mul(nd.sigmoid(x!)),
    inputs: () => [rand([3, 2], 7)],
    grad: true,
  },
];

const cast: OpCase[] = [
  {
    name: 'astype float64 -> int32 truncates toward zero',
    fn: (x) => x!.astype('int32'),
    inputs: () => [f64([1.7, -1.7, 0.2, -0.2])],
    expected: [1, -1, 0, 0],
    dtype: 'int32',
  },
  {
    name: 'astype to uint8 truncates then wraps modulo 256',
    fn: (x) => nd.astype(x!, 'uint8'),
    inputs: () => [f64([3.9, 255, 256, -1])],
    expected: [3, 255, 0, 255],
    dtype: 'uint8',
  },
  {
    name: 'astype int32 -> float32 is exact',
    fn: (x) => x!.astype('float32'),
    inputs: () => [nd.array([-7, 0, 16777216], { dtype: 'int32' })],
    expected: [-7, 0, 16777216],
    dtype: 'float32',
  },
  {
    name: 'astype keeps shape of empty and 0-d arrays',
    fn: (x) => x!.astype('int32').reshape([0, 2]),
    inputs: () => [nd.zeros([2, 0])],
    shape: [0, 2],
  },
  {
    name: 'astype gradient flows back in the input dtype',
    fn: (x) => x!.astype('float64').mul(x!.astype('float64')),
    inputs: () => [f64([0.5, -1.5])],
    expected: [0.25, 2.25],
    grad: true,
  },
];

const errorRows: ErrorCase[] = [
  {
    name: 'astype to an unknown dtype',
    fn: () => nd.ones([2]).astype('float8' as nd.DType),
    error: DTypeError,
    message: /astype.*float8/,
  },
  {
    name: 'unary op given a plain number',
    fn: () => nd.exp(3 as unknown as nd.NDArray),
    error: DTypeError,
    message: /exp.*NDArray/,
  },
];

export const { cases, errors }: CaseFile = { cases: [...perOp, ...special, ...cast], errors: errorRows };
