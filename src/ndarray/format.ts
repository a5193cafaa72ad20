/**
 * Text form of array values, following NumPy and MXNet: `1.` for whole floats, eight
 * significant digits otherwise, rows aligned, long arrays summarized with `...`.
 */
import type { DType, TypedArray } from '../core/dtype.js';

const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;

function formatNumber(v: number, isInt: boolean, sci: boolean): string {
  if (isInt) return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (sci) return v.toExponential(7).replace(/\.?0+e/, 'e').replace(/e([+-])(\d)$/, 'e$10$2');
  if (Number.isInteger(v)) return `${v}.`;
  return String(Number(v.toPrecision(8))).replace(/^(-?)0\./, '$10.');
}

/** The values of an array as Gluon prints them, without the `<NDArray ...>` trailer. */
export function formatArray(data: TypedArray, shape: readonly number[], dtype: DType): string {
  const isInt = dtype === 'int32' || dtype === 'uint8';
  if (shape.length === 0) return formatNumber(data[0]!, isInt, false);
  // Long axes count too: a zero-element (2^31, 0) array would otherwise print 2^31 empty rows.
  const summarize = data.length > SUMMARY_THRESHOLD || shape.some((d) => d > SUMMARY_THRESHOLD);
  let maxAbs = 0;
  let minAbs = Infinity;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (Number.isFinite(a)) {
      maxAbs = Math.max(maxAbs, a);
      if (a > 0) minAbs = Math.min(minAbs, a);
    }
  }
  const sci = !isInt && (maxAbs >= 1e8 || (minAbs < 1e-4 && maxAbs > 0));
  let width = 0;
  for (let i = 0; i < data.length; i++) width = Math.max(width, formatNumber(data[i]!, isInt, sci).length);

  const strides: number[] = [];
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const indices = (n: number): (number | null)[] =>
    summarize && n > 2 * EDGE_ITEMS
      ? [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), null, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)]
      : Array.from({ length: n }, (_, i) => i);

  const render = (dim: number, offset: number, indent: string): string => {
    const n = shape[dim]!;
    if (dim === shape.length - 1) {
      const items = indices(n).map((i) => (i === null ? '...' : formatNumber(data[offset + i]!, isInt, sci).padStart(width)));
      return `[${items.join(' ')}]`;
    }
    const sep = `\n${'\n'.repeat(Math.max(shape.length - dim - 2, 0))}${indent} `;
    const items = indices(n).map((i) => (i === null ? '...' : render(dim + 1, offset + i * strides[dim]!, `${indent} `)));
    return `[${items.join(sep)}]`;
  };
  return render(0, 0, '');
}
