/**
 * Reference reductions over the middle axis of an (outer, reduce, inner) view. Sums accumulate in
 * a JavaScript number (float64) and are rounded once on store.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { ArgReduceOp, ArgReduceKernel, ReduceKernel, ReduceOp, ReducePlan } from '../kernels.js';

function sum(out: TypedArray, x: TypedArray, { outer, reduce, inner }: ReducePlan): void {
  const acc = inner === 1 ? null : new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * reduce * inner;
    if (acc === null) {
      let s = 0;
      for (let r = 0; r < reduce; r++) s += x[base + r]!;
      out[o] = s;
      continue;
    }
    acc.fill(0);
    for (let r = 0; r < reduce; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i]! += x[row + i]!;
    }
    out.set(acc, o * inner);
  }
}

/** Products walk rows of `inner` contiguous values, like sums, so the inner loop is sequential. */
function prod(out: TypedArray, x: TypedArray, { outer, reduce, inner }: ReducePlan): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * reduce * inner;
    acc.fill(1);
    for (let r = 0; r < reduce; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i]! *= x[row + i]!;
    }
    out.set(acc, o * inner);
  }
}

/**
 * max and min propagate NaN, as NumPy does: once a running extreme is NaN no comparison
 * replaces it, and a NaN element always replaces it.
 */
function extreme(sign: 1 | -1): ReduceKernel {
  return (out, x, { outer, reduce, inner }) => {
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * reduce * inner;
      acc.fill(sign * -Infinity);
      for (let r = 0; r < reduce; r++) {
        const row = base + r * inner;
        for (let i = 0; i < inner; i++) {
          const v = x[row + i]!;
          const b = acc[i]!;
          if (sign * v > sign * b || v !== v) acc[i] = v;
        }
      }
      out.set(acc, o * inner);
    }
  };
}

/** argmax and argmin return the first index of the extreme; a NaN wins, as in NumPy. */
function argExtreme(sign: 1 | -1): ArgReduceKernel {
  return (out, x, { outer, reduce, inner }) => {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = x[o * reduce * inner + i]!;
        let at = 0;
        for (let r = 1; r < reduce && best === best; r++) {
          const v = x[(o * reduce + r) * inner + i]!;
          if (sign * v > sign * best || v !== v) {
            best = v;
            at = r;
          }
        }
        out[o * inner + i] = at;
      }
    }
  };
}

/** sum, prod, max and min over the plan's reduced axes. */
export const reduceKernels: Record<ReduceOp, ReduceKernel> = {
  sum,
  prod,
  max: extreme(1),
  min: extreme(-1),
};

/** argmax and argmin along one axis; NaN wins and the first of equal extremes is kept, as NumPy. */
export const argReduceKernels: Record<ArgReduceOp, ArgReduceKernel> = {
  argmax: argExtreme(1),
  argmin: argExtreme(-1),
};
