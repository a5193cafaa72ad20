/**
 * Epilogue fusion, run after `fuseElementwise`: a forward convolution whose output is read by one
 * node only, a fused element-wise chain or a unary op (BatchNorm then ReLU, BatchNorm then a
 * residual add then ReLU, a ReLU), becomes one `convolutionFused` node. Its kernel applies the
 * chain to each region of the output right after computing it, while the region is still in
 * cache, instead of a second pass re-reading the whole output from memory. The chain's arithmetic
 * is the fused kernel's, so the bits are those of the unfused program.
 *
 * BatchNorm's statistics stay inputs of the chain (never folded into the filters), so new weights
 * or statistics are seen by the next run without retracing. The convolution's output must not be
 * a graph output nor kept for a backward graph; per-channel inputs of the chain must be per filter.
 * The fused node stands where the chain stood (its other inputs may be computed after the
 * convolution).
 */
import { isFloat, type TypedArray } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import { UNARY_OPS, type ConvPlan, type FusedPlan, type UnaryOp } from '../backend/kernels.js';
import { primitive, type Primitive } from '../ops/define.js';
import { fusedPrim } from './fuse.js';
import { Graph, type GraphNode } from './graph.js';

type FusedAttrs = Parameters<(typeof fusedPrim)['infer']>[1];

interface ConvFusedAttrs {
  /** The convolution's own attributes (its plan among them). */
  readonly conv: { readonly plan: ConvPlan };
  /** Inputs that are the convolution's: x, w and the bias when it has one. */
  readonly convInputs: number;
  readonly epilogue: FusedAttrs;
  /** The chain's input that is the convolution's output (left out of the node's inputs). */
  readonly self: number;
}

interface ConvFusedPlan {
  readonly conv: ConvPlan;
  readonly epilogue: FusedPlan;
  readonly convInputs: number;
  readonly self: number;
}

/** A convolution with its element-wise epilogue (made by `fuseEpilogue`, never by users; no gradient). */
export const convFusedPrim: Primitive<ConvFusedAttrs, ConvFusedPlan> = primitive({
  name: 'convolutionFused',
  outputInit: 'none',
  infer: (_inputs, a) => ({
    shape: a.epilogue.shape,
    dtype: a.epilogue.dtype,
    plan: { conv: a.conv.plan, epilogue: fusedPrim.infer([], a.epilogue).plan, convInputs: a.convInputs, self: a.self },
  }),
  compute: (k, y, inputs, p) => {
    const rest: TypedArray[] = [];
    for (let i = p.convInputs; i < inputs.length; i++) rest.push(inputs[i]!);
    k.convFused(y, inputs[0]!, inputs[1]!, p.convInputs > 2 ? inputs[2]! : null, p.conv, rest, p.epilogue, p.self);
  },
});

const UNARY = new Set<string>(UNARY_OPS);

/** The chain node `j` as a fused chain reading value `v` (its only read of v), or null. */
function chainOf(g: Graph, j: number, v: number): { attrs: FusedAttrs; self: number } | null {
  const n = g.nodes[j]!;
  if (n.output === null || n.inputs.filter((u) => u === v).length !== 1) return null;
  const out = g.values[n.output]!;
  const y = g.values[v]!;
  if (out.dtype !== y.dtype || out.shape.length !== y.shape.length || out.shape.some((d, i) => d !== y.shape[i])) return null;
  if (g.prims[j] === (fusedPrim as Primitive<unknown, unknown>)) {
    const attrs = n.attrs as FusedAttrs;
    const self = n.inputs.indexOf(v);
    return attrs.layouts[self] === 0 ? { attrs, self } : null;
  }
  if (!UNARY.has(n.op) || n.inputs.length !== 1 || g.prims[j]!.view === true || g.prims[j]!.effect !== undefined) return null;
  const attrs: FusedAttrs = { shape: out.shape, dtype: out.dtype, inner: 1, channels: 1, layouts: [0], steps: [{ op: n.op as UnaryOp, args: [0] }] };
  return { attrs, self: 0 };
}

/**
 * `g` with every convolution whose output only an element-wise chain reads merged with that chain.
 * `keep` lists values a backward graph reads (they stay materialized). Value ids are unchanged.
 */
export function fuseEpilogue(g: Graph, keep: ReadonlySet<number>): Graph {
  const readers = new Map<number, number[]>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => (readers.get(v) ?? readers.set(v, []).get(v)!).push(i)));
  const pinned = new Set<number>([...keep, ...g.outputs]);
  const merged = new Map<number, { node: GraphNode; plan: ConvFusedPlan }>();
  const dropped = new Set<number>();
  g.nodes.forEach((n, i) => {
    if (n.op !== 'convolution' || n.output === null || pinned.has(n.output)) return;
    const y = g.values[n.output]!;
    const rs = readers.get(n.output) ?? [];
    if (!isFloat(y.dtype) || y.shape.length < 3 || sizeOf(y.shape) === 0 || rs.length !== 1 || merged.has(rs[0]!)) return;
    const j = rs[0]!;
    const chain = chainOf(g, j, n.output);
    if (chain === null) return;
    const { attrs: epilogue, self } = chain;
    const L = sizeOf(y.shape.slice(2));
    if (epilogue.layouts.includes(2) && (epilogue.inner !== L || epilogue.channels !== y.shape[1])) return;
    const attrs: ConvFusedAttrs = { conv: n.attrs as ConvFusedAttrs['conv'], convInputs: n.inputs.length, epilogue, self };
    const sink = g.nodes[j]!;
    const inputs = [...n.inputs, ...sink.inputs.filter((u) => u !== n.output)];
    const node: GraphNode = { id: sink.id, op: convFusedPrim.name, attrs, inputs, output: sink.output, differentiable: false };
    merged.set(j, { node, plan: convFusedPrim.infer([], attrs).plan });
    dropped.add(i);
  });
  if (merged.size === 0) return g;
  const keepIdx = g.nodes.map((_, i) => i).filter((i) => !dropped.has(i));
  return new Graph({
    ...g,
    nodes: keepIdx.map((i, id) => ({ ...(merged.get(i)?.node ?? g.nodes[i]!), id })),
    prims: keepIdx.map((i) => (merged.has(i) ? (convFusedPrim as Primitive<unknown, unknown>) : g.prims[i]!)),
    plans: keepIdx.map((i) => merged.get(i)?.plan ?? g.plans[i]),
  });
}
