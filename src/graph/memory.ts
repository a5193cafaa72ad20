/**
 * The memory plan of a graph: which buffer holds each node's output, from each buffer's first
 * and last use.
 *
 * A view (reshape) shares its input's storage, so storage is planned per *root*: the non-view
 * node whose output a chain of views starts from. Roots that must outlive the run (outputs, and
 * values a backward graph reads later) get their own array, allocated for each run. The others
 * share a pool: walking the nodes in order, a node's output takes a free pooled buffer of its
 * dtype (the smallest large enough, else the largest one grown), and the buffers of roots whose
 * last reader is that node are freed after it, never before (a kernel's output never overlaps its
 * inputs). A reused buffer is zeroed before a primitive that needs a zeroed output
 * (`outputInit: 'zero'`); with `staticAlloc` the pool is allocated once and kept across runs.
 */
import type { DType } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import type { Graph } from './graph.js';

/** Where a value's storage comes from in a run. */
export const enum Storage {
  /** An input, parameter or constant: given by the caller. */
  External = -1,
  /** Allocated for each run: outputs and values kept for backward. */
  Own = -2,
  /** Shares a view's input storage (see `rootOf`). */
  View = -3,
}

export interface MemoryPlan {
  /** Per value: a pool buffer index, or a `Storage` code. */
  readonly where: Int32Array;
  /** Per value: the value whose storage it shares (itself unless it is a view). */
  readonly rootOf: Int32Array;
  /** Pool buffers: dtype and length in elements. */
  readonly buffers: readonly { readonly dtype: DType; readonly size: number }[];
  /** Per node: zero the output before computing. */
  readonly zeroFirst: readonly boolean[];
  /** Per node: values (pooled roots excepted) whose last reader it is; the executor drops them. */
  readonly lastUse: readonly (readonly number[])[];
  /** Elements of the largest pool buffers summed: what the pool costs. */
  readonly poolElements: number;
}

/**
 * Plans `graph`'s storage. `keep` lists values whose storage must survive the run (besides the
 * outputs); `staticAlloc` says the pool is reused across runs (so every reuse must be zeroed
 * where the primitive needs it, including the first use in a run).
 */
export function planMemory(graph: Graph, keep: ReadonlySet<number>, staticAlloc: boolean): MemoryPlan {
  const nv = graph.values.length;
  const rootOf = new Int32Array(nv);
  const where = new Int32Array(nv).fill(Storage.External);
  for (let v = 0; v < nv; v++) rootOf[v] = v;
  graph.nodes.forEach((n, i) => {
    if (n.output === null) return;
    if (graph.prims[i]!.view === true) {
      rootOf[n.output] = rootOf[n.inputs[0]!]!;
      where[n.output] = Storage.View;
    }
  });
  // The last node reading each root (directly or through a view), and the roots to keep.
  const last = new Int32Array(nv).fill(-1);
  graph.nodes.forEach((n, i) => {
    for (const v of n.inputs) last[rootOf[v]!] = i;
  });
  const kept = new Set<number>();
  for (const v of [...graph.outputs, ...keep]) kept.add(rootOf[v]!);
  const lastUse: number[][] = graph.nodes.map(() => []);
  for (let v = 0; v < nv; v++) {
    if (last[v]! >= 0 && !kept.has(rootOf[v]!)) lastUse[last[v]!]!.push(v);
  }

  const buffers: { dtype: DType; size: number }[] = [];
  const free: number[] = [];
  const used = new Set<number>();
  const zeroFirst = new Array<boolean>(graph.nodes.length).fill(false);
  graph.nodes.forEach((n, i) => {
    const out = n.output;
    if (out !== null && where[out] !== Storage.View) {
      const { dtype, shape } = graph.values[out]!;
      if (kept.has(out)) where[out] = Storage.Own;
      else {
        const b = takeBuffer(buffers, free, dtype, sizeOf(shape));
        where[out] = b;
        zeroFirst[i] = graph.prims[i]!.outputInit !== 'none' && (staticAlloc || used.has(b));
        used.add(b);
        // An output nobody reads frees its buffer at once.
        if (last[out]! < 0) free.push(b);
      }
    }
    for (const v of n.inputs) {
      const r = rootOf[v]!;
      if (last[r] === i && where[r]! >= 0 && !free.includes(where[r]!)) free.push(where[r]!);
    }
  });
  return { where, rootOf, buffers, zeroFirst, lastUse, poolElements: buffers.reduce((s, b) => s + b.size, 0) };
}

/** A free buffer of `dtype` for `size` elements: the smallest that fits, else the largest grown, else a new one. */
function takeBuffer(buffers: { dtype: DType; size: number }[], free: number[], dtype: DType, size: number): number {
  let fit = -1;
  let largest = -1;
  for (let k = 0; k < free.length; k++) {
    const b = buffers[free[k]!]!;
    if (b.dtype !== dtype) continue;
    if (b.size >= size && (fit < 0 || b.size < buffers[free[fit]!]!.size)) fit = k;
    if (largest < 0 || b.size > buffers[free[largest]!]!.size) largest = k;
  }
  const k = fit >= 0 ? fit : largest;
  if (k >= 0) {
    const b = free[k]!;
    free.splice(k, 1);
    buffers[b]!.size = Math.max(buffers[b]!.size, size);
    return b;
  }
  buffers.push({ dtype, size });
  return buffers.length - 1;
}
