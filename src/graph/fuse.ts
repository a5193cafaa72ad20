/**
 * Fusion of element-wise chains: consecutive element-wise nodes whose intermediate results nobody
 * else reads become one `fusedElementwise` node, computed in one pass over memory by the kernel
 * table's `fused` kernel (bias or scale then activation, BatchNorm then ReLU, a residual add then
 * ReLU, the tails of losses). Each step rounds to the output dtype as the separate kernel would,
 * so a fused program gives the same bits as the unfused one.
 *
 * Fusable: unary ops, binary ops whose operands each have the output's shape, one element, or
 * one axis of the output's length (a per-channel vector), and BatchNorm's normalization (its
 * statistics, gamma and beta are per channel). A node joins the group of an operand's producer
 * when that operand has the output's shape, is read by no other node, and is neither a graph
 * output nor kept for a backward graph; groups with per-channel inputs must agree on the channel
 * axis. The fused node stands where the group's last node stood.
 *
 * Steps that leave every element where it is join chains too, so they do not cut a loss's tail in
 * pieces: a view of the same size (a reshape) adds no step at all, and a reduction over axes of
 * extent 1 becomes what it computes on one element: a sum adds it to 0 (so -0 becomes 0, as the
 * reduction kernels start from 0), a product, maximum or minimum keeps it. A group is fused only
 * when it has at least two steps.
 */
import { allocate, isFloat, type DType } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import { BINARY_OPS, UNARY_OPS, type FusedPlan, type FusedStep } from '../backend/kernels.js';
import { primitive, type Primitive } from '../ops/define.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Graph, type GraphNode, type GraphValue } from './graph.js';

interface FusedAttrs extends Omit<FusedPlan, 'size'> {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A fused element-wise chain (made by `fuseElementwise`, never by users; no gradient). */
export const fusedPrim: Primitive<FusedAttrs, FusedPlan> = primitive({
  name: 'fusedElementwise',
  outputInit: 'none',
  infer: (_inputs, a) => ({ shape: a.shape, dtype: a.dtype, plan: { size: sizeOf(a.shape), inner: a.inner, channels: a.channels, layouts: a.layouts, steps: a.steps } }),
  compute: (k, out, inputs, plan) => k.fused(out, inputs, plan),
});

const UNARY = new Set<string>(UNARY_OPS);
const BINARY = new Set<string>(BINARY_OPS);

/** An operand's layout: 0 full, 1 scalar, or a channel axis [inner, channels]. */
type Layout = 0 | 1 | readonly [number, number];

/** How an operand of shape `s` reads against an output of shape `out`, or null if not fusable. */
function layoutOf(s: readonly number[], out: readonly number[]): Layout | null {
  if (s.length === out.length && s.every((d, i) => d === out[i])) return 0;
  if (sizeOf(s) === 1) return 1;
  if (s.length > out.length) return null;
  const pad = [...new Array<number>(out.length - s.length).fill(1), ...s];
  const axes = pad.flatMap((d, i) => (d === 1 ? [] : [i]));
  if (axes.length !== 1 || pad[axes[0]!] !== out[axes[0]!]) return null;
  const k = axes[0]!;
  return [sizeOf(out.slice(k + 1)), out[k]!];
}

interface Candidate {
  readonly layouts: readonly Layout[];
  readonly channel: readonly [number, number] | null;
  /** The step from its operands' registers (a zero register last when `zero`); null: no step, the operand passes through. */
  readonly step: ((args: number[]) => FusedStep) | null;
  /** The step also reads a scalar 0 of the output's dtype. */
  readonly zero?: boolean;
}

const REDUCTIONS = new Set(['sum', 'prod', 'max', 'min']);

/** Node `i` as a step that keeps every element where it is (see the header), or null. */
function inPlaceStep(g: Graph, i: number): Candidate | null {
  const n = g.nodes[i]!;
  const prim = g.prims[i]!;
  if (n.output === null || n.inputs.length !== 1 || prim.effect !== undefined) return null;
  const out = g.values[n.output]!;
  const x = g.values[n.inputs[0]!]!;
  if (!isFloat(out.dtype) || x.dtype !== out.dtype || sizeOf(x.shape) !== sizeOf(out.shape) || out.shape.includes(0)) return null;
  if (prim.view === true) return { layouts: [0], channel: null, step: null };
  const plan = g.plans[i] as { reduce?: number } | undefined;
  if (!REDUCTIONS.has(n.op) || plan?.reduce !== 1) return null;
  if (n.op !== 'sum') return { layouts: [0], channel: null, step: null };
  return { layouts: [0], channel: null, zero: true, step: (args) => ({ op: 'add', args: [args[0]!, args[1]!] }) };
}

/** The fusion view of node `i`, or null when it is not an element-wise op this pass fuses. */
function candidate(g: Graph, i: number): Candidate | null {
  const same = inPlaceStep(g, i);
  if (same !== null) return same;
  const n = g.nodes[i]!;
  const prim = g.prims[i]!;
  if (n.output === null || prim.view === true || prim.effect !== undefined) return null;
  const out = g.values[n.output]!;
  if (!isFloat(out.dtype) || out.shape.includes(0)) return null;
  const inputs = n.inputs.map((v) => g.values[v]!);
  if (inputs.some((v) => v.dtype !== out.dtype)) return null;
  let layouts: (Layout | null)[];
  let step: (args: number[]) => FusedStep;
  if (UNARY.has(n.op) && inputs.length === 1) {
    layouts = [layoutOf(inputs[0]!.shape, out.shape)];
    step = (args) => ({ op: n.op, args: [args[0]!] }) as FusedStep;
  } else if (BINARY.has(n.op) && inputs.length === 2) {
    layouts = inputs.map((v) => layoutOf(v.shape, out.shape));
    step = (args) => ({ op: n.op, args: [args[0]!, args[1]!] }) as FusedStep;
  } else if (n.op === 'batchNorm' && inputs.length === 5) {
    const a = n.attrs as { plan: { inner: number; channels: number; eps: number }; scale: boolean; center: boolean };
    const ch: Layout = [a.plan.inner, a.plan.channels];
    layouts = [layoutOf(inputs[0]!.shape, out.shape), ch, ch, ch, ch];
    step = (args) => ({ op: 'batchNorm', args: [args[0]!, args[3]!, args[4]!, args[1]!, args[2]!], eps: a.plan.eps, scale: a.scale, center: a.center });
  } else return null;
  if (layouts.some((l) => l === null) || (n.op === 'batchNorm' && layouts[0] !== 0)) return null;
  const channels = layouts.filter((l): l is readonly [number, number] => Array.isArray(l));
  if (channels.some((c) => c[0] !== channels[0]![0] || c[1] !== channels[0]![1])) return null;
  return { layouts: layouts as Layout[], channel: channels[0] ?? null, step };
}

/**
 * `g` with its element-wise chains fused. `keep` lists values that must stay materialized besides
 * the outputs (those a backward graph reads). Value ids are unchanged; the values fused away are
 * simply no longer produced.
 */
export function fuseElementwise(g: Graph, keep: ReadonlySet<number>): Graph {
  const readers = new Map<number, Set<number>>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => (readers.get(v) ?? readers.set(v, new Set()).get(v)!).add(i)));
  const pinned = new Set<number>([...keep, ...g.outputs]);
  const cands = g.nodes.map((_, i) => candidate(g, i));
  const group = new Int32Array(g.nodes.length).fill(-1);
  const members = new Map<number, number[]>();
  const channelOf = new Map<number, readonly [number, number] | null>();
  g.nodes.forEach((n, i) => {
    const c = cands[i];
    if (!c) return;
    let channel = c.channel;
    const joined: number[] = [];
    n.inputs.forEach((v, k) => {
      const src = g.values[v]!.source;
      if (src.kind !== 'node' || c.layouts[k] !== 0 || pinned.has(v) || readers.get(v)!.size !== 1) return;
      const p = group[src.node]!;
      if (p < 0 || joined.includes(p)) return;
      const pc = channelOf.get(p) ?? null;
      if (pc !== null && channel !== null && (pc[0] !== channel[0] || pc[1] !== channel[1])) return;
      channel ??= pc;
      joined.push(p);
    });
    const mine = [i];
    for (const p of joined) mine.unshift(...members.get(p)!);
    for (const p of joined) members.delete(p);
    mine.sort((a, b) => a - b);
    for (const m of mine) group[m] = i;
    members.set(i, mine);
    channelOf.set(i, channel);
  });
  const fusedAt = new Map<number, GraphNode>();
  const dropped = new Set<number>();
  const prims = [...g.prims];
  const plans = [...g.plans];
  const values: GraphValue[] = [...g.values];
  const constants: NDArray[] = [...g.constants];
  const zeros = new Map<DType, number>();
  const zeroOf = (dtype: DType): number => {
    let v = zeros.get(dtype);
    if (v === undefined) {
      zeros.set(dtype, (v = values.length));
      values.push({ id: v, shape: [], dtype, source: { kind: 'const', index: constants.length } });
      constants.push(new NDArray(allocate(dtype, 1), [], dtype));
    }
    return v;
  };
  for (const [sink, list] of members) {
    if (list.filter((m) => cands[m]!.step !== null).length < 2) continue;
    const node = emit(g, list, cands, channelOf.get(sink) ?? null, zeroOf);
    fusedAt.set(sink, node);
    prims[sink] = fusedPrim as Primitive<unknown, unknown>;
    plans[sink] = fusedPrim.infer([], node.attrs as FusedAttrs).plan;
    for (const m of list) if (m !== sink) dropped.add(m);
  }
  if (fusedAt.size === 0) return g;
  const keepIdx = g.nodes.map((_, i) => i).filter((i) => !dropped.has(i));
  return new Graph({
    ...g,
    values,
    constants,
    nodes: keepIdx.map((i, id) => ({ ...(fusedAt.get(i) ?? g.nodes[i]!), id })),
    prims: keepIdx.map((i) => prims[i]!),
    plans: keepIdx.map((i) => plans[i]),
  });
}

/** The fused node for the group `list` (node indices in order, the last one the sink). */
function emit(g: Graph, list: readonly number[], cands: readonly (Candidate | null)[], channel: readonly [number, number] | null, zeroOf: (dtype: DType) => number): GraphNode {
  const externals: number[] = [];
  const layouts: number[] = [];
  const reg = new Map<number, number>();
  const steps: ((k: number) => FusedStep)[] = [];
  const external = (v: number, l: Layout): { ext: number } => {
    if (!reg.has(v)) {
      reg.set(v, externals.length);
      externals.push(v);
      layouts.push(Array.isArray(l) ? 2 : (l as number));
    }
    return { ext: reg.get(v)! };
  };
  // Where each value of the group comes from: an external input, or the register of a step.
  const source = new Map<number, { ext: number } | { inside: number }>();
  for (const i of list) {
    const n = g.nodes[i]!;
    const c = cands[i]!;
    const refs = n.inputs.map((v, k) => source.get(v) ?? external(v, c.layouts[k]!));
    if (c.step === null) {
      source.set(n.output!, refs[0]!);
      continue;
    }
    if (c.zero === true) refs.push(external(zeroOf(g.values[n.output!]!.dtype), 1));
    const at = steps.length;
    const step = c.step;
    steps.push((k) => step(refs.map((r) => ('ext' in r ? r.ext : k + r.inside))));
    source.set(n.output!, { inside: at });
  }
  const sink = g.nodes[list[list.length - 1]!]!;
  const out = g.values[sink.output!]!;
  const attrs: FusedAttrs = {
    shape: out.shape,
    dtype: out.dtype,
    inner: channel?.[0] ?? 1,
    channels: channel?.[1] ?? 1,
    layouts,
    steps: steps.map((s) => s(externals.length)),
  };
  return { id: sink.id, op: fusedPrim.name, attrs, inputs: externals, output: sink.output, differentiable: false };
}
