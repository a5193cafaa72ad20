/**
 * Unary element-wise math. Ops that only make sense on real numbers (exp, log, sigmoid...) turn an
 * integer input into float32 first; sign-like ops (neg, abs, relu, floor...) keep the dtype.
 * Each gradient rule sits beside its op.
 */
import { isFloat } from '../core/dtype.js';
import type { UnaryOp } from '../backend/kernels.js';
import { expectArray, type NDArray } from '../ndarray/ndarray.js';
import { apply, primitive, type GradContext, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { add, div, mul, reluGrad, sigmoidGrad, softreluGrad, sub, tanhGrad } from './binary.js';
import { installMethods } from './method.js';
import { relabel } from '../core/public.js';

type GradRule = (g: NDArray, x: NDArray, y: NDArray) => NDArray | null;

function define(op: UnaryOp, floatOnly: boolean, grad?: GradRule): (x: NDArray) => NDArray {
  const prim: Primitive<null, null> = primitive({
    name: op,
    outputInit: 'none',
    infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype, plan: null }),
    compute: (k, out, [x]) => k.unary[op](out, x!),
    ...(grad ? { grad: (g: NDArray, { inputs, out }: GradContext<null>) => [grad(g, inputs[0]!, out)] } : {}),
  });
  return (x) => {
    try {
      expectArray(op, x);
      return apply(prim, [floatOnly && !isFloat(x.dtype) ? ensureDType(x, 'float32') : x], null);
    } catch (e) {
      throw relabel(e, op);
    }
  };
}

const LN2 = Math.LN2;
const LN10 = Math.LN10;

/**
 * `-x`, element-wise.
 * @example nd.neg(nd.array([1, -2])) // [-1, 2]
 */
export const neg = define('neg', false, (g) => neg(g));
/** `|x|`; the gradient at 0 is 0. */
export const abs = define('abs', false, (g, x) => mul(g, sign(x)));
/** -1, 0 or 1 by the sign of each element (no gradient). */
export const sign = define('sign', false, () => null);
/**
 * `e^x`.
 * @example nd.exp(nd.array([0, 1])) // [1, 2.7183]
 */
export const exp = define('exp', true, (g, _x, y) => mul(g, y));
/** Natural logarithm; `log(0)` is -Infinity and negative input gives NaN, as IEEE says. */
export const log = define('log', true, (g, x) => div(g, x));
/** Base-2 logarithm. */
export const log2 = define('log2', true, (g, x) => div(g, mul(x, LN2)));
/** Base-10 logarithm. */
export const log10 = define('log10', true, (g, x) => div(g, mul(x, LN10)));
/** `log(1 + x)`, accurate for small x. */
export const log1p = define('log1p', true, (g, x) => div(g, add(x, 1)));
/** `e^x - 1`, accurate for small x. */
export const expm1 = define('expm1', true, (g, _x, y) => mul(g, add(y, 1)));
/**
 * Square root.
 * @example nd.sqrt(nd.array([4, 9])) // [2, 3]
 */
export const sqrt = define('sqrt', true, (g, _x, y) => div(mul(g, 0.5), y));
/** `1 / sqrt(x)`. */
export const rsqrt = define('rsqrt', true, (g, _x, y) => mul(g, mul(-0.5, mul(y, mul(y, y)))));
/** Cube root (defined for negative input too). */
export const cbrt = define('cbrt', true, (g, _x, y) => div(g, mul(3, mul(y, y))));
/** `x * x`, keeping integer dtypes. */
export const square = define('square', false, (g, x) => mul(g, mul(x, 2)));
/** `1 / x`. */
export const reciprocal = define('reciprocal', true, (g, _x, y) => neg(mul(g, mul(y, y))));
/** Sine (radians). */
export const sin = define('sin', true, (g, x) => mul(g, cos(x)));
/** Cosine (radians). */
export const cos = define('cos', true, (g, x) => neg(mul(g, sin(x))));
/** Tangent (radians). */
export const tan = define('tan', true, (g, _x, y) => mul(g, add(mul(y, y), 1)));
/** Inverse sine, in [-pi/2, pi/2]. */
export const arcsin = define('arcsin', true, (g, x) => div(g, sqrt(sub(1, mul(x, x)))));
/** Inverse cosine, in [0, pi]. */
export const arccos = define('arccos', true, (g, x) => neg(div(g, sqrt(sub(1, mul(x, x))))));
/** Inverse tangent, in (-pi/2, pi/2). */
export const arctan = define('arctan', true, (g, x) => div(g, add(mul(x, x), 1)));
/** Hyperbolic sine. */
export const sinh = define('sinh', true, (g, x) => mul(g, cosh(x)));
/** Hyperbolic cosine. */
export const cosh = define('cosh', true, (g, x) => mul(g, sinh(x)));
/**
 * Hyperbolic tangent.
 * @example nd.tanh(nd.array([0])) // [0]
 */
export const tanh = define('tanh', true, (g, _x, y) => tanhGrad(g, y));
/** Inverse hyperbolic sine. */
export const arcsinh = define('arcsinh', true, (g, x) => div(g, sqrt(add(mul(x, x), 1))));
/** Inverse hyperbolic cosine (x >= 1). */
export const arccosh = define('arccosh', true, (g, x) => div(g, sqrt(sub(mul(x, x), 1))));
/** Inverse hyperbolic tangent (|x| < 1). */
export const arctanh = define('arctanh', true, (g, x) => div(g, sub(1, mul(x, x))));
/**
 * The logistic function `1 / (1 + e^-x)`.
 * @example nd.sigmoid(nd.array([0])) // [0.5]
 */
export const sigmoid = define('sigmoid', true, (g, _x, y) => sigmoidGrad(g, y));
/**
 * `max(x, 0)`; the gradient at 0 is 0.
 * @example nd.relu(nd.array([-1, 2])) // [0, 2]
 */
// NOTE: the rule reads the output (y > 0 exactly where x > 0, NaN included), so a graph need not
// keep relu's input alive for backward: BatchNorm's output before a relu is dropped early.
export const relu = define('relu', false, (g, _x, y) => reluGrad(g, y));
/**
 * Softplus `log(1 + e^x)`, computed without overflow.
 * @example nd.softrelu(nd.array([0])) // [0.6931]
 */
export const softrelu = define('softrelu', true, (g, x) => softreluGrad(g, x));
/** The Gauss error function. */
export const erf = define('erf', true, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
/** Rounds down (no gradient). */
export const floor = define('floor', false, () => null);
/** Rounds up (no gradient). */
export const ceil = define('ceil', false, () => null);
/** Rounds to the nearest integer, halves away from zero as MXNet does (NumPy rounds halves to even; no gradient). */
export const round = define('round', false, () => null);
/** Rounds toward zero (no gradient). */
export const trunc = define('trunc', false, () => null);
/** 1 where the element is 0, else 0, in the input dtype (no gradient). */
export const logicalNot = define('logicalNot', false);

declare module '../ndarray/ndarray.js' {
  interface NDArray {
    neg(): NDArray;
    abs(): NDArray;
    sign(): NDArray;
    exp(): NDArray;
    log(): NDArray;
    log2(): NDArray;
    log10(): NDArray;
    log1p(): NDArray;
    expm1(): NDArray;
    sqrt(): NDArray;
    rsqrt(): NDArray;
    cbrt(): NDArray;
    square(): NDArray;
    reciprocal(): NDArray;
    sin(): NDArray;
    cos(): NDArray;
    tan(): NDArray;
    arcsin(): NDArray;
    arccos(): NDArray;
    arctan(): NDArray;
    sinh(): NDArray;
    cosh(): NDArray;
    tanh(): NDArray;
    arcsinh(): NDArray;
    arccosh(): NDArray;
    arctanh(): NDArray;
    sigmoid(): NDArray;
    relu(): NDArray;
    softrelu(): NDArray;
    erf(): NDArray;
    floor(): NDArray;
    ceil(): NDArray;
    round(): NDArray;
    trunc(): NDArray;
  }
}

installMethods({
  neg, abs, sign, exp, log, log2, log10, log1p, expm1, sqrt, rsqrt, cbrt, square, reciprocal,
  sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh,
  sigmoid, relu, softrelu, erf, floor, ceil, round, trunc,
});
