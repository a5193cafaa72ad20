/**
 * MXNet symbol to ONNX: writes a SymbolBlock's graph as an ONNX model (opset 17, IR version 8),
 * node by node, as MXNet's `mx2onnx` exporter does. The graph is first run on shape-only arrays
 * (no computation) so every intermediate shape is known: MXNet's Reshape codes become explicit
 * shapes and per-channel parameters get the axes ONNX's broadcasting needs. Parameters become
 * initializers with their values; the model computes what the block computes in prediction mode
 * (Dropout is the identity, BatchNorm uses the running statistics). An operator with no ONNX
 * form here is an UnsupportedOperatorError naming the op and the node.
 */
import { ValueError } from '../../core/errors.js';
import { UnsupportedOperatorError } from '../../io/model-format-error.js';
import { ONNX_TYPE_OF, encodeOnnx, int64Tensor, tensorProto } from '../../io/onnx/codec.js';
import type { SymbolNode } from '../../io/symbol-json.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { full, ones } from '../../ndarray/creation.js';
import { pause } from '../../autograd/state.js';
import { withShapeOnlyParams } from '../parameter.js';
import { Attrs } from './attrs.js';
import { mxnetReshapeShape } from './ops.js';
import { RNN_EXPORTERS } from './onnx-rnn.js';
import type { SymbolBlock } from './symbol-block.js';

/** The opset and IR version written. */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

type Obj = Record<string, unknown>;
export type OnnxAttrs = Record<string, number | string | readonly number[] | readonly string[] | undefined>;

function attrProto(name: string, v: number | string | readonly number[] | readonly string[]): Obj {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (typeof v !== 'number' && v.length > 0 && typeof v[0] === 'string') return { name, type: 8, strings: (v as readonly string[]).map((t) => new TextEncoder().encode(t)) };
  if (typeof v === 'number') return Number.isInteger(v) && !name.startsWith('f:') ? { name, type: 2, i: v } : { name: name.replace(/^f:/, ''), type: 1, f: v };
  return { name, type: 7, ints: [...(v as readonly number[])] };
}

export class Emitter {
  readonly nodes: Obj[] = [];
  readonly initializers: Obj[] = [];
  #count = 0;

  node(op: string, inputs: readonly string[], attrs: OnnxAttrs = {}, output?: string, outputs = 1): string[] {
    const name = output ?? `${op.toLowerCase()}_${this.#count++}`;
    const outs = outputs === 1 ? [name] : Array.from({ length: outputs }, (_, i) => `${name}_${i}`);
    const attribute = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => attrProto(k, v!));
    this.nodes.push({ op_type: op, name, input: [...inputs], output: outs, attribute });
    return outs;
  }

  constant(name: string, value: NDArray): string {
    this.initializers.push(tensorProto(name, value));
    return name;
  }

  ints(name: string, values: readonly number[]): string {
    this.initializers.push(int64Tensor(name, values));
    return name;
  }
}

export interface Ctx {
  readonly e: Emitter;
  readonly a: Attrs;
  readonly node: SymbolNode;
  /** ONNX tensor names of the node's inputs. */
  readonly ins: readonly string[];
  /** Shapes of the node's inputs and outputs. */
  readonly inShapes: readonly (readonly number[])[];
  readonly outShapes: readonly (readonly number[])[];
  readonly out: string;
  /** True when input `k` is a zero initial state that is not written (ONNX's RNNs start from zeros). */
  zeroState(k: number): boolean;
}

const unsupported = (c: Ctx, why: string): never => {
  throw new UnsupportedOperatorError('tsgluon', c.node.op, c.node.name, why);
};
const same = (op: string, attrs: OnnxAttrs = {}) => (c: Ctx): string[] => c.e.node(op, c.ins, attrs, c.out);
const scalarOp = (op: string, reversed = false) => (c: Ctx): string[] => {
  const s = c.e.constant(`${c.out}_scalar`, full([], c.a.float('scalar'), { dtype: 'float32' }));
  return c.e.node(op, reversed ? [s, c.ins[0]!] : [c.ins[0]!, s], {}, c.out);
};

function spatial(c: Ctx, key: string, fallback: number): number[] {
  const rank = (c.a.ints('kernel') ?? []).length;
  const v = c.a.ints(key) ?? [];
  return v.length === 0 ? new Array<number>(rank).fill(fallback) : v;
}

function convAttrs(c: Ctx): OnnxAttrs {
  const pad = spatial(c, 'pad', 0);
  return { kernel_shape: c.a.ints('kernel')!, strides: spatial(c, 'stride', 1), dilations: spatial(c, 'dilate', 1), pads: [...pad, ...pad], group: c.a.int('num_group', 1) };
}

/** A per-channel vector (C,) reshaped to (C, 1, ...) so it broadcasts along axis 1 of a rank-`rank` input. */
function perChannel(c: Ctx, name: string, rank: number): string {
  return c.e.node('Reshape', [name, c.e.ints(`${name}_shape_${c.out}`, [-1, ...new Array<number>(Math.max(0, rank - 2)).fill(1)])])[0]!;
}

const EXPORTERS: Record<string, (c: Ctx) => string[]> = {
  FullyConnected: (c) => {
    const bias = c.a.bool('no_bias', false) ? [] : [c.ins[2]!];
    // A 2-D input is one Gemm either way (and imports back as the same FullyConnected).
    if (c.a.bool('flatten', true) || c.inShapes[0]!.length === 2) {
      const x = c.inShapes[0]!.length === 2 ? c.ins[0]! : c.e.node('Flatten', [c.ins[0]!], { axis: 1 })[0]!;
      return c.e.node('Gemm', [x, c.ins[1]!, ...bias], { transB: 1 }, c.out);
    }
    const wt = c.e.node('Transpose', [c.ins[1]!], { perm: [1, 0] })[0]!;
    if (bias.length === 0) return c.e.node('MatMul', [c.ins[0]!, wt], {}, c.out);
    return c.e.node('Add', [c.e.node('MatMul', [c.ins[0]!, wt])[0]!, bias[0]!], {}, c.out);
  },
  Convolution: (c) => c.e.node('Conv', c.a.bool('no_bias', false) ? c.ins.slice(0, 2) : c.ins.slice(0, 3), convAttrs(c), c.out),
  Deconvolution: (c) => c.e.node('ConvTranspose', c.a.bool('no_bias', true) ? c.ins.slice(0, 2) : c.ins.slice(0, 3), { ...convAttrs(c), output_padding: spatial(c, 'adj', 0) }, c.out),
  Pooling: (c) => {
    const type = c.a.str('pool_type', 'max');
    if (type !== 'max' && type !== 'avg') return unsupported(c, `pool_type ${type}`);
    if (c.a.bool('global_pool', false)) return c.e.node(type === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', c.ins, {}, c.out);
    const pad = spatial(c, 'pad', 0);
    return c.e.node(type === 'max' ? 'MaxPool' : 'AveragePool', c.ins, {
      kernel_shape: c.a.ints('kernel')!, strides: spatial(c, 'stride', 1), pads: [...pad, ...pad], ceil_mode: c.a.str('pooling_convention', 'valid') === 'full' ? 1 : 0,
      ...(type === 'avg' ? { count_include_pad: c.a.bool('count_include_pad', true) ? 1 : 0 } : {}),
    }, c.out);
  },
  BatchNorm: (c) => {
    if (c.a.int('axis', 1) !== 1) unsupported(c, `axis ${c.a.int('axis', 1)}: ONNX normalizes axis 1`);
    const gamma = c.a.bool('fix_gamma', true) ? c.e.constant(`${c.out}_gamma_fixed`, ones([c.inShapes[0]![1]!])) : c.ins[1]!;
    return c.e.node('BatchNormalization', [c.ins[0]!, gamma, c.ins[2]!, c.ins[3]!, c.ins[4]!], { 'f:epsilon': c.a.float('eps', 1e-3), 'f:momentum': c.a.float('momentum', 0.9) }, c.out);
  },
  InstanceNorm: (c) => c.e.node('InstanceNormalization', c.ins, { 'f:epsilon': c.a.float('eps', 1e-3) }, c.out),
  LayerNorm: (c) => c.e.node('LayerNormalization', c.ins, { axis: c.a.int('axis', -1), 'f:epsilon': c.a.float('eps', 1e-5) }, c.out),
  Activation: (c) => {
    const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softrelu: 'Softplus', softsign: 'Softsign' }[c.a.str('act_type')];
    return op === undefined ? unsupported(c, `act_type ${c.a.str('act_type')}`) : c.e.node(op, c.ins, {}, c.out);
  },
  LeakyReLU: (c) => {
    const t = c.a.str('act_type', 'leaky');
    const slope = c.a.float('slope', 0.25);
    if (t === 'leaky') return c.e.node('LeakyRelu', [c.ins[0]!], { 'f:alpha': slope }, c.out);
    if (t === 'elu') return c.e.node('Elu', [c.ins[0]!], { 'f:alpha': slope }, c.out);
    if (t === 'selu') return c.e.node('Selu', [c.ins[0]!], { 'f:alpha': 1.6732632423543772, 'f:gamma': 1.0507009873554805 }, c.out);
    if (t === 'prelu') return c.e.node('PRelu', [c.ins[0]!, perChannel(c, c.ins[1]!, c.inShapes[0]!.length)], {}, c.out);
    if (t === 'gelu') {
      const x = c.ins[0]!;
      const half = c.e.node('Mul', [x, c.e.constant(`${c.out}_half`, full([], 0.5))])[0]!;
      const erf = c.e.node('Erf', [c.e.node('Mul', [x, c.e.constant(`${c.out}_rsqrt2`, full([], Math.SQRT1_2))])[0]!])[0]!;
      return c.e.node('Mul', [half, c.e.node('Add', [erf, c.e.constant(`${c.out}_one`, full([], 1))])[0]!], {}, c.out);
    }
    return unsupported(c, `act_type ${t}`);
  },
  Dropout: same('Identity'),
  Flatten: same('Flatten', { axis: 1 }),
  Reshape: (c) => {
    const spec = c.a.ints('shape') ?? [];
    const reverse = c.a.bool('reverse', false);
    // MXNet's 0 and -1 mean what ONNX's do (copy the same axis, infer one): such a spec is kept, so
    // the batch axis stays free; the other codes become the explicit shape. An explicit first
    // extent equal to the input's becomes 0 (the batch axis, copied).
    const portable = !reverse && spec.every((d) => d >= -1) && spec.filter((d) => d === -1).length <= 1;
    const shape = portable ? [...spec] : mxnetReshapeShape(c.inShapes[0]!, spec, reverse, c.node.name);
    if (shape.length > 0 && shape[0]! > 0 && shape[0] === c.inShapes[0]![0]) shape[0] = 0;
    return c.e.node('Reshape', [c.ins[0]!, c.e.ints(`${c.out}_shape`, shape)], {}, c.out);
  },
  transpose: (c) => c.e.node('Transpose', c.ins, { perm: (c.a.ints('axes') ?? []).length > 0 ? c.a.ints('axes')! : undefined }, c.out),
  expand_dims: (c) => c.e.node('Unsqueeze', [c.ins[0]!, c.e.ints(`${c.out}_axes`, [c.a.int('axis')])], {}, c.out),
  squeeze: (c) => c.e.node('Squeeze', c.a.ints('axis') === null ? [c.ins[0]!] : [c.ins[0]!, c.e.ints(`${c.out}_axes`, c.a.ints('axis')!)], {}, c.out),
  Concat: (c) => c.e.node('Concat', c.ins, { axis: c.a.int('dim', 1) }, c.out),
  stack: (c) => {
    const rank = c.inShapes[0]!.length + 1;
    const axis = c.a.int('axis', 0) < 0 ? c.a.int('axis', 0) + rank : c.a.int('axis', 0);
    const axes = c.e.ints(`${c.out}_axes`, [axis]);
    return c.e.node('Concat', c.ins.map((x) => c.e.node('Unsqueeze', [x, axes])[0]!), { axis }, c.out);
  },
  Pad: (c) => {
    const w = c.a.ints('pad_width') ?? [];
    const pads = [...w.filter((_, i) => i % 2 === 0), ...w.filter((_, i) => i % 2 === 1)];
    const value = c.e.constant(`${c.out}_value`, full([], c.a.float('constant_value', 0)));
    return c.e.node('Pad', [c.ins[0]!, c.e.ints(`${c.out}_pads`, pads), value], { mode: c.a.str('mode', 'constant') }, c.out);
  },
  softmax: (c) => c.e.node('Softmax', c.ins, { axis: c.a.int('axis', -1) }, c.out),
  log_softmax: (c) => c.e.node('LogSoftmax', c.ins, { axis: c.a.int('axis', -1) }, c.out),
  SoftmaxOutput: (c) => c.e.node('Softmax', [c.ins[0]!], { axis: c.a.bool('multi_output', false) ? 1 : -1 }, c.out),
  _npi_matmul: same('MatMul'),
  Embedding: (c) => c.e.node('Gather', [c.ins[1]!, c.e.node('Cast', [c.ins[0]!], { to: 7 })[0]!], { axis: 0 }, c.out),
  clip: (c) => c.e.node('Clip', [c.ins[0]!, c.e.constant(`${c.out}_min`, full([], c.a.float('a_min'))), c.e.constant(`${c.out}_max`, full([], c.a.float('a_max')))], {}, c.out),
  mean: (c) => c.e.node('ReduceMean', c.ins, { axes: c.a.ints('axis') ?? undefined, keepdims: c.a.bool('keepdims', false) ? 1 : 0 }, c.out),
  sum: (c) => {
    const axes = c.a.ints('axis') ?? [];
    return c.e.node('ReduceSum', axes.length === 0 ? c.ins : [c.ins[0]!, c.e.ints(`${c.out}_axes`, axes)], { keepdims: c.a.bool('keepdims', false) ? 1 : 0 }, c.out);
  },
  elemwise_add: same('Add'), elemwise_sub: same('Sub'), elemwise_mul: same('Mul'), elemwise_div: same('Div'),
  broadcast_add: same('Add'), broadcast_sub: same('Sub'), broadcast_mul: same('Mul'), broadcast_div: same('Div'), broadcast_power: same('Pow'),
  broadcast_maximum: same('Max'), broadcast_minimum: same('Min'), add_n: same('Sum'),
  _plus_scalar: scalarOp('Add'), _minus_scalar: scalarOp('Sub'), _rminus_scalar: scalarOp('Sub', true), _mul_scalar: scalarOp('Mul'),
  _div_scalar: scalarOp('Div'), _rdiv_scalar: scalarOp('Div', true), _power_scalar: scalarOp('Pow'),
  _maximum_scalar: scalarOp('Max'), _minimum_scalar: scalarOp('Min'),
  // MXNet's comparisons give 0/1 in the input's type; ONNX's give booleans, and Where takes one.
  _greater_scalar: (c) => c.e.node('Cast', [scalarOp('Greater')({ ...c, out: `${c.out}_bool` })[0]!], { to: 1 }, c.out),
  _lesser_scalar: (c) => c.e.node('Cast', [scalarOp('Less')({ ...c, out: `${c.out}_bool` })[0]!], { to: 1 }, c.out),
  broadcast_greater: (c) => c.e.node('Cast', [c.e.node('Greater', c.ins)[0]!], { to: 1 }, c.out),
  broadcast_lesser: (c) => c.e.node('Cast', [c.e.node('Less', c.ins)[0]!], { to: 1 }, c.out),
  where: (c) => c.e.node('Where', [c.e.node('Cast', [c.ins[0]!], { to: 9 })[0]!, c.ins[1]!, c.ins[2]!], {}, c.out),
  rsqrt: (c) => c.e.node('Reciprocal', [c.e.node('Sqrt', c.ins)[0]!], {}, c.out),
  expm1: (c) => c.e.node('Sub', [c.e.node('Exp', c.ins)[0]!, c.e.constant(`${c.out}_one`, full([], 1))], {}, c.out),
  log1p: (c) => c.e.node('Log', [c.e.node('Add', [c.ins[0]!, c.e.constant(`${c.out}_one`, full([], 1))])[0]!], {}, c.out),
  Cast: (c) => {
    const to = ({ float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10, float64: 11 } as Record<string, number>)[c.a.str('dtype')];
    return to === undefined ? unsupported(c, `dtype ${c.a.str('dtype')}`) : c.e.node('Cast', c.ins, { to }, c.out);
  },
  relu: same('Relu'), sigmoid: same('Sigmoid'), tanh: same('Tanh'), exp: same('Exp'), log: same('Log'), sqrt: same('Sqrt'), abs: same('Abs'),
  negative: same('Neg'), reciprocal: same('Reciprocal'), erf: same('Erf'), floor: same('Floor'), ceil: same('Ceil'), sin: same('Sin'), cos: same('Cos'),
  softsign: same('Softsign'), square: (c) => c.e.node('Mul', [c.ins[0]!, c.ins[0]!], {}, c.out),
  _copy: same('Identity'), identity: same('Identity'), BlockGrad: same('Identity'),
  ...RNN_EXPORTERS,
};

const ALIASES: Record<string, string> = {
  _Plus: 'elemwise_add', _plus: 'elemwise_add', _Minus: 'elemwise_sub', _minus: 'elemwise_sub', _Mul: 'elemwise_mul', _mul: 'elemwise_mul',
  _Div: 'elemwise_div', _div: 'elemwise_div', broadcast_plus: 'broadcast_add', broadcast_minus: 'broadcast_sub', flatten: 'Flatten', reshape: 'Reshape',
  concat: 'Concat', stop_gradient: 'BlockGrad', Softmax: 'SoftmaxOutput', ElementWiseSum: 'add_n', _np_matmul: '_npi_matmul',
};

function valueInfo(name: string, arr: NDArray, dynamicBatch: boolean): Obj {
  const dim = arr.shape.map((d, i) => (i === 0 && dynamicBatch ? { dim_param: 'batch' } : { dim_value: d }));
  return { name, type: { tensor_type: { elem_type: ONNX_TYPE_OF[arr.dtype], shape: { dim } } } };
}

/** Options of `symbolToOnnx`. */
export interface OnnxExportOptions {
  /** Write the first axis of inputs and outputs as a symbolic 'batch' dimension (default true). */
  dynamicBatch?: boolean;
  /** The model's producer name (default 'tsgluon'). */
  producerName?: string;
}

/**
 * The nodes making zero initial states that only RNN nodes read as states (`_zeros` broadcast to
 * the batch, as Gluon's RNN layers export them): ONNX's recurrences start from zeros when the
 * state inputs are left out, so these are not written (and the model needs no Shape / Expand).
 */
function zeroStates(graph: SymbolBlock['graph']): Set<number> {
  const uses = new Map<number, { op: string; slot: number }[]>();
  graph.nodes.forEach((n) => n.inputs.forEach((e, slot) => uses.set(e.node, [...(uses.get(e.node) ?? []), { op: n.op, slot }])));
  const out = new Set<number>();
  graph.nodes.forEach((n, i) => {
    const src = n.inputs[0];
    if (n.op !== 'broadcast_like' || src === undefined || graph.nodes[src.node]!.op !== '_zeros' || (uses.get(src.node) ?? []).length !== 1) return;
    const readers = uses.get(i) ?? [];
    if (readers.length > 0 && readers.every((u) => u.op === 'RNN' && u.slot >= 2)) out.add(i).add(src.node);
  });
  return out;
}

/**
 * Encodes a SymbolBlock as an ONNX model for inputs of the given shapes (float32 unless an
 * NDArray gives the dtype).
 * @example const bytes = symbolToOnnx(net, [[1, 3, 224, 224]])
 */
export function symbolToOnnx(block: SymbolBlock, inputShapes: readonly (readonly number[] | NDArray)[], options: OnnxExportOptions = {}): Uint8Array {
  if (inputShapes.length !== block.inputNames.length) throw new ValueError(`exportOnnx: the graph takes ${block.inputNames.length} inputs (${block.inputNames.join(', ')}), got ${inputShapes.length} shapes`);
  const { graph } = block;
  const inputs = inputShapes.map((s) => (s instanceof NDArray ? NDArray.shapeOnly(s.shape, s.dtype) : NDArray.shapeOnly(s, 'float32')));
  const outShapes = new Map<number, readonly NDArray[]>();
  const heads = withShapeOnlyParams(() => pause(() => block.run(inputs, (i, outs) => outShapes.set(i, outs))));
  const e = new Emitter();
  const tensorName = (n: number, index: number): string => {
    const node = graph.nodes[n]!;
    return node.op === 'null' ? node.name : index === 0 ? node.name : `${node.name}_output${index}`;
  };
  const shapeOf = (n: number, index: number): readonly number[] => {
    const node = graph.nodes[n]!;
    if (node.op !== 'null') return outShapes.get(n)![index]!.shape;
    const p = block.paramOf(n);
    return p !== undefined ? p.shape : inputs[block.inputNames.indexOf(node.name)]!.shape;
  };
  const skipped = zeroStates(graph);
  for (const [i, node] of graph.nodes.entries()) {
    if (skipped.has(i)) continue;
    if (node.op === 'null') {
      const p = block.paramOf(i);
      if (p !== undefined) e.constant(node.name, p.data());
      continue;
    }
    const op = Object.hasOwn(ALIASES, node.op) ? ALIASES[node.op]! : node.op;
    const convert = Object.hasOwn(EXPORTERS, op) ? EXPORTERS[op]! : undefined;
    if (convert === undefined) throw new UnsupportedOperatorError('tsgluon', node.op, node.name, `no ONNX form; exportable operators: ${Object.keys(EXPORTERS).sort().join(', ')}`);
    const ctx: Ctx = {
      e, node, a: new Attrs(node.attrs, node.op, node.name),
      ins: node.inputs.map((x) => tensorName(x.node, x.index)),
      inShapes: node.inputs.map((x) => shapeOf(x.node, x.index)),
      outShapes: outShapes.get(i)!.map((o) => o.shape),
      out: tensorName(i, 0),
      zeroState: (k) => node.inputs[k] !== undefined && skipped.has(node.inputs[k]!.node),
    };
    convert(ctx);
  }
  const dynamicBatch = options.dynamicBatch ?? true;
  const outputs = graph.heads.map((h, k) => {
    const name = tensorName(h.node, h.index);
    return valueInfo(name, heads[k]!, dynamicBatch);
  });
  return encodeOnnx({
    ir_version: ONNX_IR_VERSION,
    producer_name: options.producerName ?? 'tsgluon',
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: block.name,
      node: e.nodes,
      initializer: e.initializers,
      input: block.inputNames.map((n, k) => valueInfo(n, inputs[k]!, dynamicBatch)),
      output: outputs,
    },
  });
}
