/**
 * Reference element-wise kernels. Each op is one expression in the tables below; a loop is
 * generated per op so the inner loop is monomorphic and calls no per-element closure. The tables
 * are the readable specification: `x` (and `y` for binary ops) are the operands.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { BinaryKernel, BinaryOp, TernaryPlan, UnaryKernel, UnaryOp } from '../kernels.js';
import { erf } from './special.js';

const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-x',
  abs: 'Math.abs(x)',
  sign: '(x > 0 ? 1 : x < 0 ? -1 : x)',
  exp: 'Math.exp(x)',
  log: 'Math.log(x)',
  log2: 'Math.log2(x)',
  log10: 'Math.log10(x)',
  log1p: 'Math.log1p(x)',
  expm1: 'Math.expm1(x)',
  sqrt: 'Math.sqrt(x)',
  rsqrt: '1 / Math.sqrt(x)',
  cbrt: 'Math.cbrt(x)',
  square: 'x * x',
  reciprocal: '1 / x',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  tan: 'Math.tan(x)',
  arcsin: 'Math.asin(x)',
  arccos: 'Math.acos(x)',
  arctan: 'Math.atan(x)',
  sinh: 'Math.sinh(x)',
  cosh: 'Math.cosh(x)',
  tanh: 'Math.tanh(x)',
  arcsinh: 'Math.asinh(x)',
  arccosh: 'Math.acosh(x)',
  arctanh: 'Math.atanh(x)',
  sigmoid: '(x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))',
  relu: '(x > 0 ? x : (x === x ? 0 : x))',
  // NOTE: log(1 + e^x) overflows for large x; max(x, 0) + log1p(e^-|x|) does not.
  softrelu: '(Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))))',
  erf: 'erf(x)',
  floor: 'Math.floor(x)',
  ceil: 'Math.ceil(x)',
  // NOTE: Math.round rounds halves up; NumPy and MXNet round halves away from zero.
  round: '(x < 0 ? -Math.round(-x) : Math.round(x))',
  trunc: 'Math.trunc(x)',
  logicalNot: '(x === 0 ? 1 : 0)',
};

const BINARY_EXPR: Record<BinaryOp, string> = {
  add: 'x + y',
  sub: 'x - y',
  mul: 'x * y',
  div: 'x / y',
  pow: 'Math.pow(x, y)',
  maximum: '(x > y || x !== x ? x : y)',
  minimum: '(x < y || x !== x ? x : y)',
  // NOTE: floor modulo (the result takes the divisor's sign), as NumPy and MXNet do.
  mod: '(x - Math.floor(x / y) * y)',
  arctan2: 'Math.atan2(x, y)',
  hypot: 'Math.hypot(x, y)',
  equal: '(x === y ? 1 : 0)',
  notEqual: '(x !== y ? 1 : 0)',
  greater: '(x > y ? 1 : 0)',
  greaterEqual: '(x >= y ? 1 : 0)',
  lesser: '(x < y ? 1 : 0)',
  lesserEqual: '(x <= y ? 1 : 0)',
  logicalAnd: '(x !== 0 && y !== 0 ? 1 : 0)',
  logicalOr: '(x !== 0 || y !== 0 ? 1 : 0)',
  logicalXor: '((x !== 0) !== (y !== 0) ? 1 : 0)',
  reluGrad: '(y > 0 ? x : 0)',
  sigmoidGrad: 'x * y * (1 - y)',
  tanhGrad: 'x * (1 - y * y)',
  softreluGrad: '(y >= 0 ? x / (1 + Math.exp(-y)) : x * Math.exp(y) / (1 + Math.exp(y)))',
};

function makeUnary(expr: string): UnaryKernel {
  const body = `const n = out.length; for (let i = 0; i < n; i++) { const x = src[i]; out[i] = ${expr}; }`;
  return new Function('erf', `return function unary(out, src) { ${body} };`)(erf) as UnaryKernel;
}

function makeBinary(expr: string): BinaryKernel {
  const body = `
    const n = out.length;
    if (n === 0) return;
    if (a.length === n && b.length === n) {
      for (let i = 0; i < n; i++) { const x = a[i], y = b[i]; out[i] = ${expr}; }
      return;
    }
    if (b.length === 1 && a.length === n) {
      const y = b[0];
      for (let i = 0; i < n; i++) { const x = a[i]; out[i] = ${expr}; }
      return;
    }
    if (a.length === 1 && b.length === n) {
      const x = a[0];
      for (let i = 0; i < n; i++) { const y = b[i]; out[i] = ${expr}; }
      return;
    }
    const shape = plan.shape, as = plan.aStrides, bs = plan.bStrides, nd = shape.length;
    const last = shape[nd - 1], sa = as[nd - 1], sb = bs[nd - 1];
    const idx = new Array(nd).fill(0);
    const rows = n / last;
    let ai = 0, bi = 0, o = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < last; j++) { const x = a[ai + j * sa], y = b[bi + j * sb]; out[o++] = ${expr}; }
      for (let d = nd - 2; d >= 0; d--) {
        idx[d]++; ai += as[d]; bi += bs[d];
        if (idx[d] < shape[d]) break;
        ai -= as[d] * shape[d]; bi -= bs[d] * shape[d]; idx[d] = 0;
      }
    }`;
  return new Function(`return function binary(out, a, b, plan) { ${body} };`)() as BinaryKernel;
}

function buildTable<K extends string, F>(exprs: Record<K, string>, make: (e: string) => F): { [P in K]: F } {
  const table = {} as { [P in K]: F };
  for (const key of Object.keys(exprs) as K[]) table[key] = make(exprs[key]);
  return table;
}

/** One kernel per unary op, each a plain loop compiled from its expression in UNARY_EXPR. */
export const unaryKernels = buildTable(UNARY_EXPR, makeUnary);
/** One kernel per binary op, broadcasting through the plan's strides (BINARY_EXPR). */
export const binaryKernels = buildTable(BINARY_EXPR, makeBinary);

/** `out[i] = cond[i] !== 0 ? a[i] : b[i]`, each operand read through its broadcast strides. */
export function where(out: TypedArray, cond: TypedArray, a: TypedArray, b: TypedArray, plan: TernaryPlan): void {
  const n = out.length;
  if (n === 0) return;
  const { shape, cStrides, aStrides, bStrides } = plan;
  const nd = shape.length;
  if (nd === 0) {
    out[0] = cond[0] !== 0 ? a[0]! : b[0]!;
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  let ci = 0;
  let ai = 0;
  let bi = 0;
  for (let o = 0; o < n; o++) {
    out[o] = cond[ci] !== 0 ? a[ai]! : b[bi]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      ci += cStrides[d]!;
      ai += aStrides[d]!;
      bi += bStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      ci -= cStrides[d]! * shape[d]!;
      ai -= aStrides[d]! * shape[d]!;
      bi -= bStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Converts `x` into `out`'s dtype element by element (uint8 wraps modulo 256, as a C cast). */
export function cast(out: TypedArray, x: TypedArray): void {
  if (out instanceof Uint8Array && !(x instanceof Uint8Array)) {
    // NOTE: typed-array conversion to uint8 wraps modulo 256, like a C cast.
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]!);
    return;
  }
  if (out instanceof Int32Array && !(x instanceof Int32Array)) {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]!);
    return;
  }
  out.set(x);
}
