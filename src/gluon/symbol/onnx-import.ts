/**
 * ONNX to MXNet symbol: converts a decoded ONNX graph (opsets 11 to 17 and later, where the ops
 * below did not change) into a SymbolGraph of MXNet operators plus its parameters, as MXNet's
 * `onnx2mx` importer does, so a SymbolBlock runs it. Initializers become parameters (trainable)
 * under their ONNX names; values that only steer an op (Reshape's shape, Unsqueeze's axes, Clip's
 * bounds, Pad's pads, a scalar operand) are read at import and become attributes. Any other op,
 * or an attribute value with no MXNet equivalent (asymmetric pads, auto_pad SAME, dilated
 * pooling), is an UnsupportedOperatorError naming the op and the node.
 */
import { UnsupportedOperatorError, ModelFormatError } from '../../io/model-format-error.js';
import type { OnnxAttr, OnnxModel, OnnxNode } from '../../io/onnx/codec.js';
import type { SymbolEntry, SymbolGraph, SymbolNode } from '../../io/symbol-json.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { reshape, transpose } from '../../ops/shape.js';
import { formatAttrs } from './attrs.js';
import { foldConstant } from './onnx-fold.js';
import { rnnImport, type RnnImportCtx } from './onnx-rnn.js';

/** A converted model: the graph, its inputs, and parameter values by name. */
export interface ImportedGraph {
  readonly graph: SymbolGraph;
  readonly inputNames: readonly string[];
  readonly params: Map<string, NDArray>;
}

type AttrValue = boolean | number | string | readonly number[] | undefined;

class Converter {
  readonly nodes: SymbolNode[] = [];
  readonly values = new Map<string, SymbolEntry>();
  readonly params = new Map<string, NDArray>();

  constructor(
    readonly consts: Map<string, NDArray>,
    readonly opset: number,
  ) {}

  add(op: string, name: string, inputs: readonly SymbolEntry[], attrs: Record<string, AttrValue> = {}): SymbolEntry {
    this.nodes.push({ op, name, attrs: formatAttrs(attrs), inputs });
    return { node: this.nodes.length - 1, index: 0, version: 0 };
  }

  variable(name: string, value?: NDArray): SymbolEntry {
    const known = this.values.get(name);
    if (known !== undefined) return known;
    if (value !== undefined) this.params.set(name, value);
    const e = this.add('null', name, []);
    this.values.set(name, e);
    return e;
  }
}

class Ctx {
  constructor(
    readonly c: Converter,
    readonly node: OnnxNode,
  ) {}

  unsupported(why: string): never {
    throw new UnsupportedOperatorError('onnx', this.node.opType, this.node.name, why);
  }

  has(i: number): boolean {
    return (this.node.inputs[i] ?? '') !== '';
  }

  /** Input `i` as a graph value (an initializer becomes a parameter). */
  in(i: number): SymbolEntry {
    const name = this.node.inputs[i] ?? '';
    if (name === '') this.unsupported(`input ${i} is required`);
    const v = this.c.values.get(name);
    if (v !== undefined) return v;
    const value = this.c.consts.get(name);
    if (value === undefined) throw new ModelFormatError('onnx', `input ${JSON.stringify(name)} is produced by no earlier node, graph input or initializer`, { item: this.node.name });
    return this.c.variable(name, value);
  }

  /** Input `i` as a constant known at import (an initializer or a Constant's value), or null. */
  constant(i: number): NDArray | null {
    return this.c.consts.get(this.node.inputs[i] ?? '') ?? null;
  }

  /** A constant input read as integers (shapes, axes, pads). */
  ints(i: number, what: string): number[] {
    const v = this.constant(i);
    if (v === null) this.unsupported(`${what} (input ${i}) must be a constant known at import, not computed by the graph`);
    return [...v.storage].map(Number);
  }

  /** A new parameter derived from an initializer (e.g. a transposed weight). */
  derived(suffix: string, value: NDArray): SymbolEntry {
    return this.c.variable(`${this.node.inputs[1]}${suffix}`, value);
  }

  attr(key: string): OnnxAttr | undefined {
    return this.node.attrs.get(key);
  }

  int(key: string, fallback: number): number {
    const a = this.attr(key);
    return a?.type === 'int' ? a.value : fallback;
  }

  float(key: string, fallback: number): number {
    const a = this.attr(key);
    return a?.type === 'float' ? a.value : fallback;
  }

  intList(key: string): number[] | null {
    const a = this.attr(key);
    return a?.type === 'ints' ? a.value : null;
  }

  str(key: string, fallback: string): string {
    const a = this.attr(key);
    return a?.type === 'string' ? a.value : fallback;
  }

  add(op: string, inputs: readonly SymbolEntry[], attrs: Record<string, AttrValue> = {}, suffix = ''): SymbolEntry {
    return this.c.add(op, `${this.node.name}${suffix}`, inputs, attrs);
  }

  /** Symmetric spatial pads (ONNX lists all begins then all ends); auto_pad other than NOTSET/VALID is refused. */
  pads(rank: number): number[] {
    const auto = this.str('auto_pad', 'NOTSET');
    if (auto !== 'NOTSET' && auto !== 'VALID') this.unsupported(`auto_pad ${auto}: give explicit pads (export with auto_pad NOTSET)`);
    const p = this.intList('pads') ?? new Array<number>(2 * rank).fill(0);
    const begin = p.slice(0, rank);
    if (begin.some((b, i) => b !== p[rank + i])) this.unsupported(`asymmetric pads (${p.join(', ')}) have no MXNet equivalent`);
    return auto === 'VALID' ? new Array<number>(rank).fill(0) : begin;
  }
}

type Convert = (x: Ctx) => SymbolEntry | SymbolEntry[];

const unary = (op: string, attrs: Record<string, AttrValue> = {}): Convert => (x) => x.add(op, [x.in(0)], attrs);

/** A binary op, or its scalar form when one operand is a one-element constant. */
const binary = (op: string, scalarOp: string | null, rScalarOp: string | null = scalarOp): Convert => (x) => {
  const [a, b] = [x.constant(0), x.constant(1)];
  if (scalarOp !== null && b !== null && b.size === 1 && x.c.values.get(x.node.inputs[1]!) === undefined) return x.add(scalarOp, [x.in(0)], { scalar: b.storage[0]! });
  if (rScalarOp !== null && a !== null && a.size === 1 && x.c.values.get(x.node.inputs[0]!) === undefined) return x.add(rScalarOp, [x.in(1)], { scalar: a.storage[0]! });
  return x.add(op, [x.in(0), x.in(1)]);
};

function conv(x: Ctx, transposed: boolean): SymbolEntry {
  const w = x.constant(1);
  const kernel = x.intList('kernel_shape') ?? (w === null ? x.unsupported('the weight must be an initializer') : w.shape.slice(2));
  const rank = kernel.length;
  const group = x.int('group', 1);
  const attrs: Record<string, AttrValue> = {
    kernel, stride: x.intList('strides') ?? new Array<number>(rank).fill(1), dilate: x.intList('dilations') ?? new Array<number>(rank).fill(1),
    pad: x.pads(rank), num_group: group, no_bias: !x.has(2),
    num_filter: transposed ? (w === null ? x.unsupported('the weight must be an initializer') : w.shape[1]! * group) : w?.shape[0] ?? x.unsupported('the weight must be an initializer'),
  };
  if (transposed) {
    if (x.attr('output_shape') !== undefined) x.unsupported('output_shape is not supported; give pads and output_padding');
    attrs['adj'] = x.intList('output_padding') ?? new Array<number>(rank).fill(0);
  }
  return x.add(transposed ? 'Deconvolution' : 'Convolution', x.has(2) ? [x.in(0), x.in(1), x.in(2)] : [x.in(0), x.in(1)], attrs);
}

function pool(x: Ctx, type: 'max' | 'avg'): SymbolEntry {
  const kernel = x.intList('kernel_shape') ?? x.unsupported('kernel_shape is required');
  if ((x.intList('dilations') ?? []).some((d) => d !== 1)) x.unsupported('dilated pooling has no MXNet equivalent');
  if (x.node.outputs.length > 1 && x.node.outputs[1] !== '') x.unsupported('the Indices output is not supported');
  return x.add('Pooling', [x.in(0)], {
    kernel, pool_type: type, stride: x.intList('strides') ?? new Array<number>(kernel.length).fill(1), pad: x.pads(kernel.length),
    pooling_convention: x.int('ceil_mode', 0) === 1 ? 'full' : 'valid', global_pool: false,
    ...(type === 'avg' ? { count_include_pad: x.int('count_include_pad', 0) === 1 } : {}),
  });
}

function gemm(x: Ctx): SymbolEntry {
  const [alpha, beta, transA, transB] = [x.float('alpha', 1), x.float('beta', 1), x.int('transA', 0), x.int('transB', 0)];
  const w = x.constant(1);
  const c = x.has(2) ? x.constant(2) : null;
  if (w !== null && transA === 0 && alpha === 1 && (c === null ? !x.has(2) : beta === 1 && c.size === w.shape[transB === 1 ? 0 : 1])) {
    const weight = transB === 1 ? x.in(1) : x.derived('_T', transpose(w));
    const inputs = [x.in(0), weight];
    if (c !== null) inputs.push(x.c.variable(x.node.inputs[2]!, reshape(c, [c.size])));
    return x.add('FullyConnected', inputs, { num_hidden: w.shape[transB === 1 ? 0 : 1]!, no_bias: c === null, flatten: false });
  }
  let y = x.add('dot', [x.in(0), x.in(1)], { transpose_a: transA === 1, transpose_b: transB === 1 }, '_dot');
  if (alpha !== 1) y = x.add('_mul_scalar', [y], { scalar: alpha }, '_alpha');
  if (!x.has(2)) return y;
  const bias = beta === 1 ? x.in(2) : x.add('_mul_scalar', [x.in(2)], { scalar: beta }, '_beta');
  return x.add('broadcast_add', [y, bias]);
}

function axesOf(x: Ctx): number[] | null {
  if (x.has(1)) return x.ints(1, 'axes');
  return x.intList('axes');
}

function reduce(op: string): Convert {
  return (x) => {
    const axes = axesOf(x);
    if ((axes === null || axes.length === 0) && x.int('noop_with_empty_axes', 0) === 1) return x.add('_copy', [x.in(0)]);
    return x.add(op, [x.in(0)], { axis: axes ?? [], keepdims: x.int('keepdims', 1) === 1 });
  };
}

/** The recurrence converter's view of a node. */
function rnnCtx(x: Ctx): RnnImportCtx {
  return {
    opType: x.node.opType, nodeName: x.node.name,
    has: (i) => x.has(i), in: (i) => x.in(i), constant: (i) => x.constant(i),
    int: (k, f) => x.int(k, f), str: (k, f) => x.str(k, f),
    strings: (k) => {
      const a = x.attr(k);
      return a?.type === 'strings' ? a.value : null;
    },
    outputUsed: (i) => (x.node.outputs[i] ?? '') !== '',
    unsupported: (why) => x.unsupported(why),
    variable: (suffix, value) => x.c.variable(`${x.node.name}${suffix}`, value),
    add: (op, inputs, attrs, suffix = '') => x.add(op, inputs, attrs, suffix),
  };
}

const CONVERTERS: Record<string, Convert> = {
  LSTM: (x) => rnnImport(rnnCtx(x)),
  GRU: (x) => rnnImport(rnnCtx(x)),
  RNN: (x) => rnnImport(rnnCtx(x)),
  Gemm: gemm,
  MatMul: (x) => x.add('_npi_matmul', [x.in(0), x.in(1)]),
  Add: binary('broadcast_add', '_plus_scalar'),
  Sub: binary('broadcast_sub', '_minus_scalar', '_rminus_scalar'),
  Mul: binary('broadcast_mul', '_mul_scalar'),
  Div: binary('broadcast_div', '_div_scalar', '_rdiv_scalar'),
  Pow: binary('broadcast_power', '_power_scalar', null),
  Max: binary('broadcast_maximum', '_maximum_scalar'),
  Min: binary('broadcast_minimum', '_minimum_scalar'),
  Relu: unary('Activation', { act_type: 'relu' }),
  Sigmoid: unary('Activation', { act_type: 'sigmoid' }),
  Tanh: unary('Activation', { act_type: 'tanh' }),
  Softplus: unary('Activation', { act_type: 'softrelu' }),
  Softsign: unary('Activation', { act_type: 'softsign' }),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Neg: unary('negative'),
  Abs: unary('abs'),
  Reciprocal: unary('reciprocal'),
  Erf: unary('erf'),
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Identity: unary('_copy'),
  LeakyRelu: (x) => x.add('LeakyReLU', [x.in(0)], { act_type: 'leaky', slope: x.float('alpha', 0.01) }),
  Elu: (x) => x.add('LeakyReLU', [x.in(0)], { act_type: 'elu', slope: x.float('alpha', 1) }),
  Selu: (x) => {
    if (Math.abs(x.float('alpha', 1.67326319) - 1.6732632) > 1e-6 || Math.abs(x.float('gamma', 1.05070102) - 1.0507010) > 1e-6) x.unsupported('only the standard alpha and gamma are supported');
    return x.add('LeakyReLU', [x.in(0)], { act_type: 'selu' });
  },
  PRelu: (x) => {
    const slope = x.constant(1) ?? x.unsupported('the slope must be an initializer');
    return x.add('LeakyReLU', [x.in(0), x.c.variable(x.node.inputs[1]!, reshape(slope, [slope.size]))], { act_type: 'prelu' });
  },
  Conv: (x) => conv(x, false),
  ConvTranspose: (x) => conv(x, true),
  MaxPool: (x) => pool(x, 'max'),
  AveragePool: (x) => pool(x, 'avg'),
  GlobalAveragePool: (x) => x.add('Pooling', [x.in(0)], { global_pool: true, pool_type: 'avg', kernel: [1, 1] }),
  GlobalMaxPool: (x) => x.add('Pooling', [x.in(0)], { global_pool: true, pool_type: 'max', kernel: [1, 1] }),
  BatchNormalization: (x) => {
    if (x.int('training_mode', 0) === 1 || x.node.outputs.filter((o) => o !== '').length > 1) x.unsupported('training-mode outputs (running mean and variance) are not supported');
    const ins = [0, 1, 2].map((i) => x.in(i));
    const aux = [3, 4].map((i) => ({ ...x.in(i), version: 1 }));
    return x.add('BatchNorm', [...ins, ...aux], { eps: x.float('epsilon', 1e-5), momentum: x.float('momentum', 0.9), fix_gamma: false, use_global_stats: false, axis: 1 });
  },
  InstanceNormalization: (x) => x.add('InstanceNorm', [x.in(0), x.in(1), x.in(2)], { eps: x.float('epsilon', 1e-5) }),
  LayerNormalization: (x) => {
    if (!x.has(2)) x.unsupported('a LayerNormalization without bias is not supported');
    if (x.int('axis', -1) !== -1) x.unsupported(`axis ${x.int('axis', -1)}: only the last axis (-1) is supported`);
    return x.add('LayerNorm', [x.in(0), x.in(1), x.in(2)], { axis: -1, eps: x.float('epsilon', 1e-5) });
  },
  Flatten: (x) => {
    const axis = x.int('axis', 1);
    if (axis === 1) return x.add('Flatten', [x.in(0)]);
    if (axis === 0) return x.add('Reshape', [x.in(0)], { shape: [1, -1] });
    return x.unsupported(`axis ${axis}: only 0 and 1 are supported`);
  },
  Reshape: (x) => {
    const shape = x.ints(1, 'the shape');
    if (x.int('allowzero', 0) === 1 && shape.includes(0)) x.unsupported('allowzero with a 0 in the shape has no MXNet equivalent');
    return x.add('Reshape', [x.in(0)], { shape });
  },
  Transpose: (x) => x.add('transpose', [x.in(0)], { axes: x.intList('perm') ?? [] }),
  Concat: (x) => x.add('Concat', x.node.inputs.map((_, i) => x.in(i)), { dim: x.int('axis', 1), num_args: x.node.inputs.length }),
  Softmax: (x) => {
    const axis = x.int('axis', x.c.opset >= 13 ? -1 : 1);
    if (x.c.opset < 13 && axis !== -1) x.unsupported(`opset ${x.c.opset} Softmax flattens from axis ${axis}; re-export with opset 13 or newer`);
    return x.add('softmax', [x.in(0)], { axis });
  },
  LogSoftmax: (x) => {
    const axis = x.int('axis', x.c.opset >= 13 ? -1 : 1);
    if (x.c.opset < 13 && axis !== -1) x.unsupported(`opset ${x.c.opset} LogSoftmax flattens from axis ${axis}; re-export with opset 13 or newer`);
    return x.add('log_softmax', [x.in(0)], { axis });
  },
  Dropout: (x) => {
    if (x.node.outputs.length > 1 && x.node.outputs[1] !== '') x.unsupported('the mask output is not supported');
    const ratio = x.has(1) ? x.ints(1, 'ratio')[0]! : x.float('ratio', 0.5);
    return x.add('Dropout', [x.in(0)], { p: ratio });
  },
  Unsqueeze: (x) => {
    let y = x.in(0);
    const axes = [...(axesOf(x) ?? x.unsupported('axes are required'))].sort((a, b) => a - b);
    axes.forEach((a, i) => (y = x.add('expand_dims', [y], { axis: a }, i === axes.length - 1 ? '' : `_${i}`)));
    return y;
  },
  Squeeze: (x) => x.add('squeeze', [x.in(0)], { axis: axesOf(x) ?? undefined }),
  Gather: (x) => x.add('take', [x.in(0), x.in(1)], { axis: x.int('axis', 0), mode: 'clip' }),
  Clip: (x) => {
    const bound = (i: number, key: string, fallback: number): number => (x.has(i) ? Number(x.constant(i)?.storage[0] ?? x.unsupported(`${key} must be a constant`)) : x.float(key, fallback));
    return x.add('clip', [x.in(0)], { a_min: bound(1, 'min', -3.4e38), a_max: bound(2, 'max', 3.4e38) });
  },
  ReduceMean: reduce('mean'),
  ReduceSum: reduce('sum'),
  ReduceMax: reduce('max'),
  ReduceMin: reduce('min'),
  Pad: (x) => {
    const pads = x.has(1) ? x.ints(1, 'pads') : x.intList('pads') ?? [];
    const n = pads.length / 2;
    const mode = x.str('mode', 'constant');
    if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') x.unsupported(`mode ${mode}`);
    const value = x.has(2) ? Number(x.constant(2)?.storage[0] ?? 0) : x.float('value', 0);
    return x.add('Pad', [x.in(0)], { mode, pad_width: pads.slice(0, n).flatMap((b, i) => [b, pads[n + i]!]), constant_value: value });
  },
};

/** The ONNX op types the importer converts. */
export const ONNX_IMPORT_OPS: readonly string[] = Object.keys(CONVERTERS).sort();

/**
 * Converts a decoded ONNX model to MXNet operators.
 * @example const { graph, inputNames, params } = onnxToSymbol(decodeOnnx(bytes))
 */
export function onnxToSymbol(model: OnnxModel): ImportedGraph {
  const { graph } = model;
  const consts = new Map(graph.initializers);
  const c = new Converter(consts, model.opsetVersion);
  const inputNames = graph.inputs.map((i) => i.name).filter((n) => !consts.has(n));
  for (const n of inputNames) c.variable(n);
  for (const node of graph.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw new UnsupportedOperatorError('onnx', `${node.domain}.${node.opType}`, node.name, 'only the default ONNX domain is supported');
    if (node.opType === 'Constant') {
      const v = node.attrs.get('value');
      if (v?.type !== 'tensor') throw new UnsupportedOperatorError('onnx', 'Constant', node.name, 'only a tensor `value` is supported');
      consts.set(node.outputs[0]!, v.value);
      continue;
    }
    // A node computing only from constants (the slicing of a packed RNN vector) is evaluated now.
    const folded = node.inputs.every((n) => n === '' || (consts.has(n) && !c.values.has(n))) ? foldConstant(node, (n) => consts.get(n)!) : null;
    if (folded !== null) {
      consts.set(node.outputs[0]!, folded);
      continue;
    }
    const convert = Object.hasOwn(CONVERTERS, node.opType) ? CONVERTERS[node.opType]! : undefined;
    if (convert === undefined) {
      throw new UnsupportedOperatorError('onnx', node.opType, node.name, `tsgluon imports ${ONNX_IMPORT_OPS.join(', ')}`);
    }
    const out = convert(new Ctx(c, node));
    const outs = Array.isArray(out) ? out : [out];
    node.outputs.forEach((name, i) => {
      if (name !== '' && outs[i] !== undefined) c.values.set(name, outs[i]!);
    });
  }
  const heads = graph.outputs.map((o) => {
    const e = c.values.get(o.name);
    if (e === undefined) throw new ModelFormatError('onnx', 'the graph output is produced by no node', { item: o.name });
    return e;
  });
  const argNodes = c.nodes.flatMap((n, i) => (n.op === 'null' ? [i] : []));
  return { graph: { nodes: c.nodes, argNodes, heads }, inputNames, params: c.params };
}
