/**
 * Unary element-wise math. Ops that only make sense on real numbers (exp, log, sigmoid...) turn an
 * integer input into float32 first; sign-like ops (neg, abs, relu, floor...) keep the dtype.
 * Each gradient rule sits beside its op.
 */
import { isFloat } from '../core/dtype.js';
import type { UnaryOp } from '../backend/kernels.js';
import { NDArray } from '../ndarray/ndarray.js';
import { DTypeError } from '../core/errors.js';
import { apply, type GradContext, type Primitive } from './define.js';
import { ensureDType } from './cast.js';
import { add, div, mul, reluGrad, sigmoidGrad, softreluGrad, sub, tanhGrad } from './binary.js';
import { installMethods } from './method.js';

type GradRule = (g: NDArray, x: NDArray, y: NDArray) => NDArray | null;

function define(op: UnaryOp, floatOnly: boolean, grad?: GradRule): (x: NDArray) => NDArray {
  const prim: Primitive<null, null> = {
    name: op,
    infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype, plan: null }),
    compute: (k, out, [x]) => k.unary[op](out, x!),
    ...(grad ? { grad: (g: NDArray, { inputs, out }: GradContext<null>) => [grad(g, inputs[0]!, out)] } : {}),
  };
  return (x) => {
    if (!(x instanceof NDArray)) throw new DTypeError(`${op}: expects an NDArray, got ${typeof x}; wrap values with nd.array()`);
    return apply(prim, [floatOnly && !isFloat(x.dtype) ? ensureDType(x, 'float32') : x], null);
  };
}

const LN2 = Math.LN2;
const LN10 = Math.LN10;

export const neg = define('neg', false, (g) => neg(g));
export const abs = define('abs', false, (g, x) => mul(g, sign(x)));
export const sign = define('sign', false, () => null);
export const exp = define('exp', true, (g, _x, y) => mul(g, y));
export const log = define('log', true, (g, x) => div(g, x));
export const log2 = define('log2', true, (g, x) => div(g, mul(x, LN2)));
export const log10 = define('log10', true, (g, x) => div(g, mul(x, LN10)));
export const log1p = define('log1p', true, (g, x) => div(g, add(x, 1)));
export const expm1 = define('expm1', true, (g, _x, y) => mul(g, add(y, 1)));
export const sqrt = define('sqrt', true, (g, _x, y) => div(mul(g, 0.5), y));
export const rsqrt = define('rsqrt', true, (g, _x, y) => mul(g, mul(-0.5, mul(y, mul(y, y)))));
export const cbrt = define('cbrt', true, (g, _x, y) => div(g, mul(3, mul(y, y))));
export const square = define('square', false, (g, x) => mul(g, mul(x, 2)));
export const reciprocal = define('reciprocal', true, (g, _x, y) => neg(mul(g, mul(y, y))));
export const sin = define('sin', true, (g, x) => mul(g, cos(x)));
export const cos = define('cos', true, (g, x) => neg(mul(g, sin(x))));
export const tan = define('tan', true, (g, _x, y) => mul(g, add(mul(y, y), 1)));
export const arcsin = define('arcsin', true, (g, x) => div(g, sqrt(sub(1, mul(x, x)))));
export const arccos = define('arccos', true, (g, x) => neg(div(g, sqrt(sub(1, mul(x, x))))));
export const arctan = define('arctan', true, (g, x) => div(g, add(mul(x, x), 1)));
export const sinh = define('sinh', true, (g, x) => mul(g, cosh(x)));
export const cosh = define('cosh', true, (g, x) => mul(g, sinh(x)));
export const tanh = define('tanh', true, (g, _x, y) => tanhGrad(g, y));
export const arcsinh = define('arcsinh', true, (g, x) => div(g, sqrt(add(mul(x, x), 1))));
export const arccosh = define('arccosh', true, (g, x) => div(g, sqrt(sub(mul(x, x), 1))));
export const arctanh = define('arctanh', true, (g, x) => div(g, sub(1, mul(x, x))));
export const sigmoid = define('sigmoid', true, (g, _x, y) => sigmoidGrad(g, y));
export const relu = define('relu', false, (g, x) => reluGrad(g, x));
/** log(1 + e^x), computed without overflow. */
export const softrelu = define('softrelu', true, (g, x) => softreluGrad(g, x));
export const erf = define('erf', true, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
export const floor = define('floor', false, () => null);
export const ceil = define('ceil', false, () => null);
/** Rounds halves away from zero, as MXNet does (NumPy rounds halves to even). */
export const round = define('round', false, () => null);
export const trunc = define('trunc', false, () => null);
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
