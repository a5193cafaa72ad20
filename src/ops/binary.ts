/**
 * Binary element-wise ops with NumPy broadcasting: arithmetic, comparison and logic. Either
 * operand may be a JavaScript number. Comparisons return 0/1 in the operands' dtype, as MXNet
 * does, so `pred.equal(label).mean()` works directly.
 *
 * Dtypes: two arrays promote to the wider dtype; a scalar takes the array's dtype unless it is
 * fractional (an integer array then computes in float32) or an integer outside the array's range
 * (uint8 widens to int32, int32 to float64). `div`, `pow`, `arctan2` and `hypot` are true float
 * ops: integer operands compute in float32. `mod` is floor modulo (the sign of the divisor).
 */
import { isFloat, promote, promoteScalar, type DType } from '../core/dtype.js';
import { DTypeError } from '../core/errors.js';
import { broadcastShapes, broadcastStrides } from '../core/shape.js';
import type { BinaryOp, BroadcastPlan } from '../backend/kernels.js';
import { NDArray, describeValue } from '../ndarray/ndarray.js';
import { full } from '../ndarray/creation.js';
import { apply, primitive, wantsGrad, type GradContext, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { installMethods } from './method.js';
import { relabel } from '../core/public.js';
import { floor, log, neg } from './unary.js';

/** An operand of a binary op: an array, or a number that broadcasts as a 0-d array of the array's dtype. */
export type Operand = NDArray | number;

type GradRule = (g: NDArray, ctx: GradContext<null>) => (NDArray | null)[];

function binaryPrim(op: BinaryOp, grad?: GradRule): Primitive<null, BroadcastPlan> {
  return primitive({
    name: op,
    outputInit: 'none',
    infer([a, b]) {
      const shape = broadcastShapes(a!.shape, b!.shape, op);
      const plan = { shape, aStrides: broadcastStrides(a!.shape, shape), bStrides: broadcastStrides(b!.shape, shape) };
      return { shape, dtype: a!.dtype, plan };
    },
    compute: (k, out, [a, b], plan) => k.binary[op](out, a!, b!, plan),
    ...(grad ? { grad } : {}),
  });
}

const FLOAT_ONLY = new Set<BinaryOp>(['div', 'pow', 'arctan2', 'hypot']);

const INT_RANGE: Partial<Record<DType, readonly [number, number]>> = { uint8: [0, 255], int32: [-2147483648, 2147483647] };

/**
 * The dtype of `array op scalar`: core/dtype's rule, widened when an integer scalar does not fit
 * the integer array's dtype (`u8.greater(-1)` must not compare with 255): to int32 when it fits
 * there, to float64 otherwise.
 */
function scalarDType(dtype: DType, scalar: number): DType {
  const out = promoteScalar(dtype, scalar);
  const range = INT_RANGE[out];
  if (range === undefined || (scalar >= range[0] && scalar <= range[1])) return out;
  const int32 = INT_RANGE.int32!;
  return scalar >= int32[0] && scalar <= int32[1] ? 'int32' : 'float64';
}

/** Brings both operands to one NDArray dtype, following the promotion rules in core/dtype. */
function operands(op: BinaryOp, a: Operand, b: Operand): [NDArray, NDArray] {
  let dtype: DType;
  const arrA = NDArray.isInstance(a);
  const arrB = NDArray.isInstance(b);
  if (arrA && arrB) dtype = promote(a.dtype, b.dtype);
  else if (arrA && typeof b === 'number') dtype = scalarDType(a.dtype, b);
  else if (arrB && typeof a === 'number') dtype = scalarDType(b.dtype, a);
  else if (typeof a === 'number' && typeof b === 'number') dtype = 'float32';
  else throw new DTypeError(`${op}: operands must be NDArrays or numbers, got ${describe(a)} and ${describe(b)}`);
  if (FLOAT_ONLY.has(op) && !isFloat(dtype)) dtype = 'float32';
  const lift = (v: Operand): NDArray => (typeof v === 'number' ? full([], v, { dtype }) : ensureDType(v, dtype));
  return [lift(a), lift(b)];
}

function describe(v: unknown): string {
  return NDArray.isInstance(v) ? 'an NDArray' : describeValue(v);
}

function define(op: BinaryOp, grad?: GradRule): (a: Operand, b: Operand) => NDArray {
  const prim = binaryPrim(op, grad);
  return (a, b) => {
    try {
      return apply(prim, operands(op, a, b), null);
    } catch (e) {
      throw relabel(e, op);
    }
  };
}

/**
 * `a + b` with broadcasting; either operand may be a number.
 * @example nd.add(nd.array([[1], [2]]), nd.array([10, 20])) // [[11, 21], [12, 22]]
 */
export const add = define('add', (g) => [g, g]);
/** `a - b` with broadcasting. */
export const sub = define('sub', (g) => [g, neg(g)]);
/** Runs `f` only when input `i` needs a gradient (skips, e.g., the gradient of a scalar exponent). */
const only = (ctx: GradContext<null>, i: number, f: () => NDArray): NDArray | null => (wantsGrad(ctx, i) ? f() : null);

/**
 * `a * b` (element-wise) with broadcasting.
 * @example nd.mul(nd.array([1, 2]), 3) // [3, 6]
 */
export const mul = define('mul', (g, ctx) => [only(ctx, 0, () => mul(g, ctx.inputs[1]!)), only(ctx, 1, () => mul(g, ctx.inputs[0]!))]);
/** `a / b` with broadcasting; integer operands divide in float32. */
export const div = define('div', (g, ctx) => {
  const [, b] = ctx.inputs;
  return [only(ctx, 0, () => div(g, b!)), only(ctx, 1, () => neg(mul(g, div(ctx.out, b!))))];
});
/**
 * `a ** b` with broadcasting; integer operands compute in float32.
 * @example nd.pow(nd.array([2, 3]), 2) // [4, 9]
 */
export const pow = define('pow', (g, ctx) => {
  const [a, b] = ctx.inputs;
  return [only(ctx, 0, () => mul(g, mul(b!, pow(a!, sub(b!, 1))))), only(ctx, 1, () => mul(g, mul(ctx.out, log(a!))))];
});
/** Element-wise maximum; on ties the gradient goes to `a`. */
export const maximum = define('maximum', (g, { inputs: [a, b] }) => [mul(g, greaterEqual(a!, b!)), mul(g, lesser(a!, b!))]);
/** Element-wise minimum; on ties the gradient goes to `a`. */
export const minimum = define('minimum', (g, { inputs: [a, b] }) => [mul(g, lesserEqual(a!, b!)), mul(g, greater(a!, b!))]);
/** Floor modulo: the result has the sign of `b` (Python's `%`). */
export const mod = define('mod', (g, { inputs: [a, b] }) => [g, neg(mul(g, floor(div(a!, b!))))]);
/** `atan2(a, b)`: the angle of the point (b, a), in (-pi, pi]. */
export const arctan2 = define('arctan2', (g, { inputs: [a, b] }) => {
  const r2 = add(mul(a!, a!), mul(b!, b!));
  return [mul(g, div(b!, r2)), neg(mul(g, div(a!, r2)))];
});
/** `sqrt(a^2 + b^2)` without intermediate overflow. */
export const hypot = define('hypot', (g, { inputs: [a, b], out }) => [mul(g, div(a!, out)), mul(g, div(b!, out))]);

/**
 * 1 where `a == b`, else 0, in the operands' dtype (no gradient).
 * @example nd.equal(nd.array([1, 2]), 2) // [0, 1]
 */
export const equal = define('equal');
/** 1 where `a != b`, else 0. */
export const notEqual = define('notEqual');
/** 1 where `a > b`, else 0. */
export const greater = define('greater');
/** 1 where `a >= b`, else 0. */
export const greaterEqual = define('greaterEqual');
/** 1 where `a < b`, else 0. */
export const lesser = define('lesser');
/** 1 where `a <= b`, else 0. */
export const lesserEqual = define('lesserEqual');
/** 1 where both are non-zero, else 0. */
export const logicalAnd = define('logicalAnd');
/** 1 where either is non-zero, else 0. */
export const logicalOr = define('logicalOr');
/** 1 where exactly one is non-zero, else 0. */
export const logicalXor = define('logicalXor');

// Fused gradient kernels behind the backward rules of relu, sigmoid, tanh and softrelu: one pass
// instead of three or four ops, and not differentiable themselves.
/** @internal `g * (x > 0)`. */
export const reluGrad = define('reluGrad');
/** @internal `g * y * (1 - y)` for the sigmoid output y. */
export const sigmoidGrad = define('sigmoidGrad');
/** @internal `g * (1 - y^2)` for the tanh output y. */
export const tanhGrad = define('tanhGrad');
/** @internal `g * sigmoid(x)`, the derivative of softrelu. */
export const softreluGrad = define('softreluGrad');

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    add(b: Operand): NDArray;
    sub(b: Operand): NDArray;
    mul(b: Operand): NDArray;
    div(b: Operand): NDArray;
    pow(b: Operand): NDArray;
    maximum(b: Operand): NDArray;
    minimum(b: Operand): NDArray;
    mod(b: Operand): NDArray;
    equal(b: Operand): NDArray;
    notEqual(b: Operand): NDArray;
    greater(b: Operand): NDArray;
    greaterEqual(b: Operand): NDArray;
    lesser(b: Operand): NDArray;
    lesserEqual(b: Operand): NDArray;
  }
}

installMethods({
  add, sub, mul, div, pow, maximum, minimum, mod,
  equal, notEqual, greater, greaterEqual, lesser, lesserEqual,
});
