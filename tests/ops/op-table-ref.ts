/**
 * Independent float64 oracles for the op table and the property tests: element-wise maps,
 * index-based NumPy broadcasting, reductions over any axes and matrix products, written as plain
 * loops over multi-indices so they share no code with src/.
 */
import { nd } from '../../src/index.js';

export type Nested = number | Nested[];

export const f64 = (v: Parameters<typeof nd.array>[0], shape?: readonly number[]): nd.NDArray =>
  nd.array(v, { dtype: 'float64', ...(shape ? { shape } : {}) });

/** A small deterministic generator (mulberry32), so inputs do not depend on the library's RNG. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float64 array of `shape` with values uniform in [lo, hi), reproducible from `seed`. */
export function rand(shape: readonly number[], seed: number, lo = -1, hi = 1): nd.NDArray {
  const r = prng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return nd.array(Float64Array.from({ length: n }, () => lo + (hi - lo) * r()), { shape });
}

/** Values spaced at least `gap` apart (shuffled), for max/min/maximum gradients away from ties. */
export function distinct(shape: readonly number[], seed: number, gap = 0.1): nd.NDArray {
  const r = prng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * gap);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return nd.array(Float64Array.from(v), { shape });
}

export function values(x: nd.NDArray): number[] {
  return Array.from(x.storage);
}

/** Builds a nested array of `shape` from a flat list (a number for shape []). */
export function nest(flat: readonly number[], shape: readonly number[]): Nested {
  if (shape.length === 0) return flat[0]!;
  const build = (dim: number, offset: number): Nested[] => {
    const inner = shape.slice(dim + 1).reduce((p, d) => p * d, 1);
    const out: Nested[] = [];
    for (let i = 0; i < shape[dim]!; i++) out.push(dim === shape.length - 1 ? flat[offset + i]! : build(dim + 1, offset + i * inner));
    return out;
  };
  return build(0, 0);
}

/** Multi-index of flat position `i` in a row-major `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

/** NumPy's broadcast result shape, or null when the shapes do not broadcast. */
export function broadcastShapeRef(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The flat value of `x` read at output multi-index `idx` under broadcasting. */
function readBroadcast(x: nd.NDArray, idx: readonly number[]): number {
  const off = idx.length - x.ndim;
  const own = x.shape.map((d, k) => (d === 1 ? 0 : idx[off + k]!));
  return x.storage[ravel(own, x.shape)]!;
}

/** f applied element-wise over the broadcast of `a` and `b`, as nested values. */
export function broadcastRef(a: nd.NDArray, b: nd.NDArray, f: (x: number, y: number) => number): Nested {
  const shape = broadcastShapeRef(a.shape, b.shape)!;
  const n = shape.reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    out.push(f(readBroadcast(a, idx), readBroadcast(b, idx)));
  }
  return nest(out, shape);
}

export function mapRef(x: nd.NDArray, f: (v: number) => number): Nested {
  return nest(values(x).map(f), x.shape);
}

/**
 * Reduces `x` over `axes` (all when null) with `f` from `init`, visiting every element once
 * and routing it to its output cell by multi-index.
 */
export function reduceRef(
  x: nd.NDArray,
  axes: readonly number[] | null,
  keepdims: boolean,
  f: (acc: number, v: number) => number,
  init: number,
  finish: (acc: number, count: number) => number = (acc) => acc,
): Nested {
  const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.ndim : a));
  const outShape = x.shape.filter((_, i) => !ax.includes(i));
  const keptShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const count = ax.reduce((p, a) => p * x.shape[a]!, 1);
  const acc = new Array<number>(outShape.reduce((p, d) => p * d, 1)).fill(init);
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, x.shape).filter((_, k) => !ax.includes(k));
    const o = ravel(idx, outShape);
    acc[o] = f(acc[o]!, x.storage[i]!);
  }
  return nest(acc.map((v) => finish(v, count)), keepdims ? keptShape : outShape);
}

/** C = op(A) op(B) for 2-D float64 inputs, by the textbook triple loop. */
export function matmulRef(a: nd.NDArray, b: nd.NDArray, transA = false, transB = false): Nested {
  const A = (i: number, p: number) => (transA ? a.storage[p * a.shape[1]! + i]! : a.storage[i * a.shape[1]! + p]!);
  const B = (p: number, j: number) => (transB ? b.storage[j * b.shape[1]! + p]! : b.storage[p * b.shape[1]! + j]!);
  const m = transA ? a.shape[1]! : a.shape[0]!;
  const k = transA ? a.shape[0]! : a.shape[1]!;
  const n = transB ? b.shape[0]! : b.shape[1]!;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
      out.push(s);
    }
  }
  return nest(out, [m, n]);
}

/** Batched matmulRef over the leading axis of two 3-D arrays. */
export function batchMatmulRef(a: nd.NDArray, b: nd.NDArray, transA = false, transB = false): Nested {
  const out: Nested[] = [];
  for (let t = 0; t < a.shape[0]!; t++) {
    const slice = (x: nd.NDArray) => {
      const sz = x.shape[1]! * x.shape[2]!;
      return nd.array(x.storage.subarray(t * sz, (t + 1) * sz) as Float64Array, { shape: [x.shape[1]!, x.shape[2]!] });
    };
    out.push(matmulRef(slice(a), slice(b), transA, transB));
  }
  return out;
}
