/**
 * Export of a HybridBlock: its forward traced in prediction mode (src/graph/trace.ts) and the
 * graph's primitives written as MXNet 1.x operators, so `net.export` produces the symbol JSON and
 * parameter files MXNet's `SymbolBlock.imports` reads, and `net.exportOnnx` goes through the same
 * symbol graph to ONNX (onnx-export.ts).
 *
 * Each primitive maps to the operator MXNet's own Gluon layer would have emitted (convolution to
 * Convolution, fullyConnected to FullyConnected, a reshape that keeps the batch and merges the
 * rest to Flatten, relu to Activation, an element-wise op with a captured scalar to
 * `_mul_scalar` and its kin...). Nodes are named after the layer whose forward recorded them
 * (`conv0_fwd`, as Gluon's exports): while tracing, each layer's forward is wrapped so the tracer's
 * records are attributed to the innermost layer running. A primitive with no MXNet equivalent
 * (a channels-last grouped convolution's im2col) is an UnsupportedOperatorError naming the op
 * and the layer.
 *
 * Grouped and transposed convolution layers (im2col or col2im around batched GEMMs,
 * src/ops/conv.ts) and gluon.rnn's layers are composites, so while exporting, their forward
 * records one layer-level node instead (layer-ops.ts): the layer's own settings become MXNet's
 * Convolution (num_group), Deconvolution or fused RNN, with no dependence on how the composite
 * is built today.
 */
import { ValueError } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { predictMode } from '../../autograd/state.js';
import { activeTracer, trace, type Tracer } from '../../graph/trace.js';
import type { Graph } from '../../graph/graph.js';
import { UnsupportedOperatorError } from '../../io/model-format-error.js';
import type { SymbolEntry, SymbolGraph, SymbolNode } from '../../io/symbol-json.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { zeros } from '../../ndarray/creation.js';
import type { Block } from '../block.js';
import { Parameter } from '../parameter.js';
import { formatAttrs } from './attrs.js';
import { layerLevelForward, type LayerConvAttrs, type LayerRnnAttrs } from './layer-ops.js';

type AttrValue = boolean | number | string | readonly number[] | undefined;
type Json = Record<string, unknown>;

/** A HybridBlock's forward as MXNet operators: the graph, its input names, and `arg:`/`aux:` arrays. */
export interface ExportedGraph {
  readonly graph: SymbolGraph;
  readonly inputNames: readonly string[];
  /** Parameter arrays keyed as a `.params` file keys them (`arg:conv0_weight`, `aux:...`). */
  readonly arrays: readonly (readonly [string, NDArray])[];
}

/** MXNet's dtype names for Cast. */
const MX_DTYPE: Readonly<Record<string, string>> = { float32: 'float32', float64: 'float64', uint8: 'uint8', int32: 'int32', int8: 'int8', int64: 'int64', float16: 'float16' };

const ACTIVATIONS = new Set(['relu', 'sigmoid', 'tanh', 'softrelu']);
const UNARY: Readonly<Record<string, string>> = {
  exp: 'exp', log: 'log', sqrt: 'sqrt', rsqrt: 'rsqrt', square: 'square', abs: 'abs', neg: 'negative', reciprocal: 'reciprocal', erf: 'erf',
  floor: 'floor', ceil: 'ceil', sin: 'sin', cos: 'cos', expm1: 'expm1', log1p: 'log1p',
};
/** Binary primitives: MXNet's same-shape, broadcasting, scalar and reversed-scalar operators. */
const BINARY: Readonly<Record<string, readonly [string, string, string, string | null]>> = {
  add: ['elemwise_add', 'broadcast_add', '_plus_scalar', '_plus_scalar'],
  sub: ['elemwise_sub', 'broadcast_sub', '_minus_scalar', '_rminus_scalar'],
  mul: ['elemwise_mul', 'broadcast_mul', '_mul_scalar', '_mul_scalar'],
  div: ['elemwise_div', 'broadcast_div', '_div_scalar', '_rdiv_scalar'],
  pow: ['broadcast_power', 'broadcast_power', '_power_scalar', null],
  maximum: ['broadcast_maximum', 'broadcast_maximum', '_maximum_scalar', '_maximum_scalar'],
  minimum: ['broadcast_minimum', 'broadcast_minimum', '_minimum_scalar', '_minimum_scalar'],
  greater: ['broadcast_greater', 'broadcast_greater', '_greater_scalar', '_lesser_scalar'],
  lesser: ['broadcast_lesser', 'broadcast_lesser', '_lesser_scalar', '_greater_scalar'],
};

/** Which layer recorded each traced primitive call, in call order. */
interface Attribution {
  readonly op: string;
  readonly attrs: unknown;
  readonly layer: Block;
}

/** Traces `block` in prediction mode for inputs of these shapes, noting the layer of every call. */
function traceAttributed(block: Block, shapes: readonly (readonly number[])[]): { graph: Graph; paramKeys: readonly object[]; layers: Block[] } {
  const stack: Block[] = [block];
  const calls: Attribution[] = [];
  const restore: (() => void)[] = [];
  const wrap = (b: Block): void => {
    const own = Object.getOwnPropertyDescriptor(b, 'forward');
    const orig = layerLevelForward(b, b.forward as (...args: unknown[]) => unknown) ?? b.forward;
    Object.defineProperty(b, 'forward', {
      value: (...args: unknown[]): unknown => {
        stack.push(b);
        try {
          return (orig as (...a: unknown[]) => unknown).apply(b, args);
        } finally {
          stack.pop();
        }
      },
      writable: true, configurable: true, enumerable: false,
    });
    restore.push(() => (own === undefined ? delete (b as { forward?: unknown }).forward : Object.defineProperty(b, 'forward', own)));
    for (const [, c] of b.namedChildren()) wrap(c);
  };
  for (const [, c] of block.namedChildren()) wrap(c);
  let hooked: Tracer | null = null;
  try {
    const { graph, paramKeys } = predictMode(() => trace(
      block.name,
      shapes.map((shape) => ({ shape, dtype: 'float32' as const })),
      (...xs) => {
        hooked = activeTracer();
        const t = hooked!;
        const record = t.record.bind(t);
        t.record = (prim, ins, attrs, inferred) => {
          calls.push({ op: prim.name, attrs, layer: stack[stack.length - 1]! });
          return record(prim, ins, attrs, inferred);
        };
        return (block.forward as (...a: unknown[]) => unknown)(...xs);
      },
      (r) => {
        if (r !== null && typeof r === 'object' && 'shape' in r) return [r as NDArray];
        if (Array.isArray(r) && r.length > 0) return r as NDArray[];
        throw new ValueError(`${block.name}.export: the forward must return an NDArray or a list of NDArrays`);
      },
      (key) => ({ path: '', name: key instanceof Parameter ? key.name : '(array)' }),
    ));
    // Pruning keeps the recorded calls' order: match each graph node to the next call of its op.
    const layers: Block[] = [];
    let k = 0;
    for (const n of graph.nodes) {
      while (k < calls.length && !(calls[k]!.op === n.op && calls[k]!.attrs === n.attrs)) k++;
      layers.push(calls[k]?.layer ?? block);
      k++;
    }
    return { graph, paramKeys, layers };
  } finally {
    for (const r of restore.reverse()) r();
  }
}

/** Builds the MXNet graph node by node. */
class SymbolWriter {
  readonly nodes: SymbolNode[] = [];
  readonly argNodes: number[] = [];
  readonly #names = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.#names.has(name); i++) name = `${base}${i}`;
    this.#names.add(name);
    return name;
  }

  add(op: string, name: string, inputs: readonly SymbolEntry[], attrs: Record<string, AttrValue> = {}): SymbolEntry {
    this.nodes.push({ op, name: this.unique(name), attrs: formatAttrs(attrs), inputs });
    if (op === 'null') this.argNodes.push(this.nodes.length - 1);
    return { node: this.nodes.length - 1, index: 0, version: 0 };
  }
}

/** What a converter sees of one graph node. */
interface NodeCtx {
  readonly g: Graph;
  readonly op: string;
  readonly attrs: Json;
  readonly ins: readonly number[];
  readonly out: number;
  /** The node's name (`conv0_fwd`) and its layer, for the graph and for messages. */
  readonly name: string;
  readonly layer: Block;
  /** The MXNet entry of value `id`. */
  entry(id: number): SymbolEntry;
  /** The value of input `i` if it is a captured scalar constant. */
  scalar(i: number): number | null;
  shape(id: number): readonly number[];
  emit(op: string, inputs: readonly SymbolEntry[], attrs?: Record<string, AttrValue>): SymbolEntry;
  unsupported(why: string): never;
}

/** Spatial geometry of a conv/pool plan (3-D, leading axes padded with 1) cut to the input's rank. */
function geometry(c: NodeCtx): { kernel: number[]; stride: number[]; pad: number[]; dilate: number[]; inner: number[]; outer: number[] } {
  const plan = c.attrs['plan'] as Record<string, number[]>;
  const rank = c.shape(c.ins[0]!).length - 2;
  const cut = (v: readonly number[]): number[] => v.slice(3 - rank);
  return { kernel: cut(plan['kernel']!), stride: cut(plan['stride']!), pad: cut(plan['pad']!), dilate: cut(plan['dilation']!), inner: cut(plan['in']!), outer: cut(plan['out']!) };
}

function pool(c: NodeCtx, type: 'max' | 'avg'): SymbolEntry {
  const { kernel, stride, pad, inner, outer } = geometry(c);
  const plan = c.attrs['plan'] as { countIncludePad?: boolean };
  const floorOut = inner.map((d, i) => Math.floor((d + 2 * pad[i]! - kernel[i]!) / stride[i]!) + 1);
  const global = pad.every((p) => p === 0) && kernel.every((k, i) => k === inner[i]) && outer.every((o) => o === 1);
  return c.emit('Pooling', [c.entry(c.ins[0]!)], {
    pool_type: type, kernel, stride, pad,
    pooling_convention: floorOut.every((o, i) => o === outer[i]) ? 'valid' : 'full',
    ...(global ? { global_pool: true } : {}),
    ...(type === 'avg' ? { count_include_pad: plan.countIncludePad ?? true } : {}),
  });
}

/** The axes a reduce plan (outer, reduce, inner extents) covers in an input of shape `shape`. */
function reduceAxes(c: NodeCtx, shape: readonly number[]): number[] {
  const { outer, reduce } = c.attrs['plan'] as { outer: number; reduce: number };
  let a = 0;
  while (a < shape.length && sizeOf(shape.slice(0, a)) < outer) a++;
  let b = a;
  while (b < shape.length && sizeOf(shape.slice(a, b)) < reduce) b++;
  if (sizeOf(shape.slice(0, a)) !== outer || sizeOf(shape.slice(a, b)) !== reduce) {
    c.unsupported(`cannot recover the reduced axes of plan ${JSON.stringify(c.attrs['plan'])} for shape (${shape.join(', ')})`);
  }
  return Array.from({ length: b - a }, (_, i) => a + i);
}

const CONVERTERS: Record<string, (c: NodeCtx) => SymbolEntry> = {
  convolution: (c) => {
    const { kernel, stride, pad, dilate } = geometry(c);
    const x = c.shape(c.ins[0]!);
    const w = c.shape(c.ins[1]!);
    return c.emit('Convolution', c.ins.map((i) => c.entry(i)), { kernel, stride, pad, dilate, num_filter: w[0]!, num_group: x[1]! / w[1]!, no_bias: c.ins.length < 3 });
  },
  layerConvolution: (c) => {
    const a = c.attrs as unknown as LayerConvAttrs;
    const common = { kernel: a.kernel, stride: a.stride, pad: a.pad, dilate: a.dilate, num_filter: a.numFilter, num_group: a.numGroup, no_bias: c.ins.length < 3 };
    return c.emit(a.transposed ? 'Deconvolution' : 'Convolution', c.ins.map((i) => c.entry(i)), a.transposed ? { ...common, adj: a.adj } : common);
  },
  layerRnn: (c) => {
    // As Gluon's _RNNLayer exports: parameters flattened and concatenated in MXNet's packed order
    // (the node's inputs come in that order), zero initial states with the data's batch, one RNN.
    const a = c.attrs as unknown as LayerRnnAttrs;
    let data = c.entry(c.ins[0]!);
    if (a.layout === 'NTC') data = c.emit('transpose', [data], { axes: [1, 0, 2] });
    const flat = c.ins.slice(1).map((i) => c.emit('Reshape', [c.entry(i)], { shape: [-1] }));
    const params = c.emit('_rnn_param_concat', flat, { dim: 0, num_args: flat.length });
    const state = (): SymbolEntry => c.emit('broadcast_like', [c.emit('_zeros', [], { shape: [a.layers * a.directions, 1, a.hidden], dtype: 'float32' }), data], { lhs_axes: [1], rhs_axes: [1] });
    const states = a.mode === 'lstm' ? [state(), state()] : [state()];
    const y = c.emit('RNN', [data, params, ...states], {
      state_size: a.hidden, num_layers: a.layers, bidirectional: a.directions === 2, mode: a.mode, p: a.dropout, state_outputs: false,
    });
    return a.layout === 'NTC' ? c.emit('transpose', [y], { axes: [1, 0, 2] }) : y;
  },
  maxPool: (c) => pool(c, 'max'),
  avgPool: (c) => pool(c, 'avg'),
  fullyConnected: (c) => {
    const w = c.shape(c.ins[1]!);
    return c.emit('FullyConnected', c.ins.map((i) => c.entry(i)), { num_hidden: w[0]!, no_bias: c.attrs['hasBias'] !== true, flatten: c.shape(c.ins[0]!).length === 2 });
  },
  batchNorm: (c) => {
    const a = c.attrs as { plan: { eps: number }; axis: number; scale: boolean; center: boolean; training: boolean };
    const [x, gamma, beta, mean, variance] = c.ins.map((i) => c.entry(i)) as [SymbolEntry, SymbolEntry, SymbolEntry, SymbolEntry, SymbolEntry];
    return c.emit('BatchNorm', [x, gamma, beta, { ...mean, version: 1 }, { ...variance, version: 1 }], {
      eps: a.plan.eps, momentum: 0.9, fix_gamma: !a.scale, use_global_stats: false, axis: a.axis,
    });
  },
  reshape: (c) => {
    const from = c.shape(c.ins[0]!);
    const to = [...c.shape(c.out)];
    const batched = to.length > 0 && from.length > 0 && dependsOnInput(c.g, c.ins[0]!);
    if (batched && from.length > 2 && to.length === 2 && to[0] === from[0]) return c.emit('Flatten', [c.entry(c.ins[0]!)]);
    // The batch axis stays free: MXNet's code 0 copies the input's first dimension, and -1 infers a
    // first axis that merges the batch with the next axes (N*T) or splits it (N*T -> N, T). Only
    // the first axis varies with the batch; the others are the traced extents.
    if (batched && to[0] === from[0]) to[0] = 0;
    else if (batched && from[0]! > 0 && to[0]! > 0 && (to[0]! % from[0]! === 0 || from[0]! % to[0]! === 0)) to[0] = -1;
    return c.emit('Reshape', [c.entry(c.ins[0]!)], { shape: to });
  },
  concat: (c) => {
    if (c.attrs['stacked'] === true) return c.emit('stack', c.ins.map((i) => c.entry(i)), { axis: c.attrs['axis'] as number, num_args: c.ins.length });
    return c.emit('Concat', c.ins.map((i) => c.entry(i)), { dim: c.attrs['axis'] as number, num_args: c.ins.length });
  },
  softmax: (c) => c.emit('softmax', [c.entry(c.ins[0]!)], { axis: (c.attrs['axis'] as number | undefined) ?? -1 }),
  logSoftmax: (c) => c.emit('log_softmax', [c.entry(c.ins[0]!)], { axis: (c.attrs['axis'] as number | undefined) ?? -1 }),
  transpose: (c) => c.emit('transpose', [c.entry(c.ins[0]!)], { axes: c.attrs['axes'] as number[] }),
  sum: (c) => c.emit('sum', [c.entry(c.ins[0]!)], { axis: reduceAxes(c, c.shape(c.ins[0]!)), keepdims: c.shape(c.out).length === c.shape(c.ins[0]!).length }),
  where: (c) => c.emit('where', c.ins.map((i) => c.entry(i))),
  take: (c) => {
    const w = c.shape(c.ins[0]!);
    if (c.attrs['axis'] !== 0 || w.length !== 2 || c.g.values[c.ins[0]!]!.source.kind !== 'param') c.unsupported('only an embedding lookup (rows of a 2-D parameter) has an MXNet form');
    return c.emit('Embedding', [c.entry(c.ins[1]!), c.entry(c.ins[0]!)], { input_dim: w[0]!, output_dim: w[1]! });
  },
  astype: (c) => {
    const dtype = c.g.values[c.out]!.dtype;
    return c.emit('Cast', [c.entry(c.ins[0]!)], { dtype: MX_DTYPE[dtype] ?? c.unsupported(`dtype ${dtype}`) });
  },
};

/** True when value `id` is computed from an input of the graph (so its first axis is the batch). */
function dependsOnInput(g: Graph, id: number): boolean {
  const s = g.values[id]!.source;
  if (s.kind === 'input') return true;
  if (s.kind !== 'node') return false;
  return g.nodes[s.node]!.inputs.some((i) => dependsOnInput(g, i));
}

/**
 * Traces `block` for inputs of these shapes (prediction mode) and writes its graph as MXNet
 * operators. Throws an UnsupportedOperatorError naming the op and the layer for a primitive with no
 * MXNet form.
 */
export function exportGraph(block: Block, shapes: readonly (readonly number[])[]): ExportedGraph {
  const { graph: g, paramKeys, layers } = traceAttributed(block, shapes);
  const w = new SymbolWriter();
  const entries = new Map<number, SymbolEntry>();
  const arrays: [string, NDArray][] = [];
  const aux = new Set<number>();
  // A BatchNorm without center ignores its beta; MXNet's adds it, so it leaves as zeros (as
  // Gluon's own export writes the untrained beta of center=False).
  const zeroed = new Set<number>();
  g.nodes.forEach((n) => {
    if (n.op !== 'batchNorm') return;
    [3, 4].forEach((k) => aux.add(n.inputs[k]!));
    if ((n.attrs as { center?: boolean }).center === false) zeroed.add(n.inputs[2]!);
  });
  const inputNames = g.inputs.map((_, i) => (g.inputs.length === 1 ? 'data' : `data${i}`));
  const entry = (id: number): SymbolEntry => {
    const known = entries.get(id);
    if (known !== undefined) return known;
    const s = g.values[id]!.source;
    let e: SymbolEntry;
    if (s.kind === 'input') e = w.add('null', inputNames[s.index]!, []);
    else if (s.kind === 'param') {
      const key = paramKeys[s.index]!;
      const name = g.params[s.index]!.name;
      e = w.add('null', name, []);
      const held = key instanceof Parameter ? key.data() : (key as NDArray);
      const value = zeroed.has(id) ? zeros(held.shape, { dtype: held.dtype }) : held;
      arrays.push([`${aux.has(id) ? 'aux' : 'arg'}:${w.nodes[e.node]!.name}`, value]);
    } else if (s.kind === 'const') {
      e = w.add('null', `${block.name}_const${s.index}`, []);
      arrays.push([`arg:${w.nodes[e.node]!.name}`, g.constants[s.index]!]);
    } else throw new ValueError(`export: value ${id} is used before the node computing it`);
    entries.set(id, e);
    return e;
  };
  g.nodes.forEach((n, i) => {
    const layer = layers[i]!;
    if (n.output === null) return;
    const where = `${n.op} (node ${i}, in layer ${layer.name}: ${layer.constructor.name})`;
    const scalar = (k: number): number | null => {
      const id = n.inputs[k]!;
      const s = g.values[id]!.source;
      if (s.kind !== 'const' || g.constants[s.index]!.size !== 1) return null;
      const other = g.values[n.inputs[1 - k]!]!;
      const out = g.values[n.output!]!;
      return other.shape.length === out.shape.length && other.shape.every((d, j) => d === out.shape[j]) ? g.constants[s.index]!.storage[0]! as number : null;
    };
    const c: NodeCtx = {
      g, op: n.op, attrs: (n.attrs ?? {}) as Json, ins: n.inputs, out: n.output, layer,
      name: `${layer.name}_fwd`, entry, scalar,
      shape: (id) => g.values[id]!.shape,
      emit: (op, inputs, attrs = {}) => w.add(op, `${layer.name}_fwd`, inputs, attrs),
      unsupported: (why) => {
        throw new UnsupportedOperatorError('tsgluon', n.op, `${layer.name}_fwd`, `${why}; it comes from layer ${layer.name} (${layer.constructor.name}), node ${i} of ${block.name}'s graph (${where})`);
      },
    };
    entries.set(n.output, convert(c));
  });
  const heads = g.outputs.map((id) => entry(id));
  return { graph: { nodes: w.nodes, argNodes: w.argNodes, heads }, inputNames, arrays };
}

function convert(c: NodeCtx): SymbolEntry {
  const conv = CONVERTERS[c.op];
  if (conv !== undefined) return conv(c);
  if (ACTIVATIONS.has(c.op)) return c.emit('Activation', [c.entry(c.ins[0]!)], { act_type: c.op });
  const unary = UNARY[c.op];
  if (unary !== undefined) return c.emit(unary, [c.entry(c.ins[0]!)]);
  const binary = BINARY[c.op];
  if (binary !== undefined) {
    const [same, broadcast, scalarOp, reversed] = binary;
    const right = c.scalar(1);
    if (right !== null) return c.emit(scalarOp, [c.entry(c.ins[0]!)], { scalar: right });
    const left = c.scalar(0);
    if (left !== null && reversed !== null) return c.emit(reversed, [c.entry(c.ins[1]!)], { scalar: left });
    const [a, b] = [c.shape(c.ins[0]!), c.shape(c.ins[1]!)];
    const equal = a.length === b.length && a.every((d, i) => d === b[i]);
    return c.emit(equal ? same : broadcast, [c.entry(c.ins[0]!), c.entry(c.ins[1]!)]);
  }
  return c.unsupported(`MXNet has no operator for tsgluon's ${c.op} primitive`);
}
