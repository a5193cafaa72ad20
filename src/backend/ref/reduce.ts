/**
 * Reference reductions over the middle axis of an (outer, reduce, inner) view. Sums accumulate in
 * a JavaScript number (float64) and are rounded once on store.
 */
import type { TypedArray } from '../../core/dtype.js';
import type { ArgReduceOp, ArgReduceKernel, ReduceKernel, ReduceOp, ReducePlan } from '../kernels.js';

function sum(out: TypedArray, x: TypedArray, { outer, reduce, inner }: ReducePlan): void {
  for (let o = 0; o < outer; o++) {
    const base = o * reduce * inner;
    if (inner === 1) {
      let s = 0;
      for (let r = 0; r < reduce; r++) s += x[base + r]!;
      out[o] = s;
      continue;
    }
    const acc = new Float64Array(inner);
    for (let r = 0; r < reduce; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i]! += x[row + i]!;
    }
    out.set(acc, o * inner);
  }
}

function prod(out: TypedArray, x: TypedArray, { outer, reduce, inner }: ReducePlan): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let p = 1;
      for (let r = 0; r < reduce; r++) p *= x[(o * reduce + r) * inner + i]!;
      out[o * inner + i] = p;
    }
  }
}

/** max and min propagate NaN, as NumPy does. */
function extreme(sign: 1 | -1): ReduceKernel {
  return (out, x, { outer, reduce, inner }) => {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = sign * -Infinity;
        for (let r = 0; r < reduce; r++) {
          const v = x[(o * reduce + r) * inner + i]!;
          if (v !== v) {
            best = v;
            break;
          }
          if (sign * v > sign * best) best = v;
        }
        out[o * inner + i] = best;
      }
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

export const reduceKernels: Record<ReduceOp, ReduceKernel> = {
  sum,
  prod,
  max: extreme(1),
  min: extreme(-1),
};

export const argReduceKernels: Record<ArgReduceOp, ArgReduceKernel> = {
  argmax: argExtreme(1),
  argmin: argExtreme(-1),
};
