/**
 * MXNet 1.x operators as nd computations: the vocabulary a SymbolBlock runs. Each entry takes a
 * node's input arrays and its attributes (`Attrs`, with MXNet's defaults) and returns its
 * outputs. Layers and imported graphs share one implementation wherever a layer exists
 * (`activate`, `leakyRelu`, `elu`, `gelu`...), so a network exported and imported again computes
 * the same bits.
 *
 * An entry may also declare the shapes its parameter inputs need for a given data shape
 * (`paramShapes`, as MXNet's shape inference does), so a symbol imported without a params file
 * initializes its parameters at the first forward; its aux inputs (BatchNorm's running
 * statistics: no gradient, `aux:` keys); its output count in MXNet (`numOutputs`, for
 * node_row_ptr); and inputs it ignores (SoftmaxOutput's label).
 */
import { ShapeError, fmtShape } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import type { DType } from '../../core/dtype.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { uniform } from '../../ndarray/random.js';
import { isTraining } from '../../autograd/state.js';
import { detach } from '../../autograd/backward.js';
import * as bin from '../../ops/binary.js';
import * as un from '../../ops/unary.js';
import { astype } from '../../ops/cast.js';
import { convolution, deconvolution } from '../../ops/conv.js';
import { clip, take, where } from '../../ops/indexing.js';
import { batchDot, dot, fullyConnected, matmul } from '../../ops/matmul.js';
import { concat, pad, split, stack } from '../../ops/movement.js';
import { pooling } from '../../ops/pool.js';
import { max, mean, min, sum } from '../../ops/reduce.js';
import { expandDims, reshape, squeeze, transpose } from '../../ops/shape.js';
import { sliceAxis } from '../../ops/slice.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import { batchNorm as batchNormOp } from '../../ops/batch-norm.js';
import { activate, isActivationType } from '../nn/activations.js';
import { elu, gelu, leakyRelu, selu } from '../nn/activations-advanced.js';
import { UnsupportedOperatorError } from '../../io/model-format-error.js';
import type { Attrs } from './attrs.js';
import { RNN_OPS } from './rnn-op.js';

/** One MXNet operator. */
export interface OpDef {
  run(inputs: readonly NDArray[], a: Attrs): NDArray[];
  /** Shapes of parameter inputs (by input slot) for a data input of shape `data`; null = not a parameter slot. */
  paramShapes?(data: readonly number[], a: Attrs): (readonly number[] | null)[];
  /** Input slots that are auxiliary states (updated by the op, no gradient). */
  aux?: readonly number[];
  /** Input slots the op ignores when predicting (labels of loss outputs). */
  ignored?: readonly number[];
  /** Outputs MXNet's operator has (default 1). */
  numOutputs?(a: Attrs): number;
}

const one = (f: (x: NDArray, a: Attrs) => NDArray): OpDef => ({ run: ([x], a) => [f(x!, a)] });
const two = (f: (x: NDArray, y: NDArray) => NDArray): OpDef => ({ run: ([x, y]) => [f(x!, y!)] });
const scalar = (f: (x: NDArray, s: number) => NDArray): OpDef => one((x, a) => f(x, a.float('scalar')));

function unsupported(a: Attrs, why: string): never {
  throw new UnsupportedOperatorError('mxnet-symbol', a.op, a.node, why);
}

function spatial(a: Attrs, key: string, rank: number, fallback: number): number[] {
  const v = a.ints(key) ?? [];
  return v.length === 0 ? new Array<number>(rank).fill(fallback) : v;
}

function checkLayout(a: Attrs, rank: number): void {
  const layout = a.str('layout', ['NCW', 'NCHW', 'NCDHW'][rank - 1]!);
  if (!layout.startsWith('NC')) unsupported(a, `layout ${layout}: only channels-first layouts (NCW, NCHW, NCDHW) are supported`);
}

function convGeometry(a: Attrs): { kernel: number[]; stride: number[]; pad: number[]; dilation: number[]; numGroup: number } {
  const kernel = a.ints('kernel') ?? [];
  if (kernel.length < 1 || kernel.length > 3) unsupported(a, `kernel ${fmtShape(kernel)}: 1 to 3 spatial axes are supported`);
  checkLayout(a, kernel.length);
  return { kernel, stride: spatial(a, 'stride', kernel.length, 1), pad: spatial(a, 'pad', kernel.length, 0), dilation: spatial(a, 'dilate', kernel.length, 1), numGroup: a.int('num_group', 1) };
}

/** Normalizes over the axes `reduce`: (x - m) / sqrt(v + eps), as the normalization layers do. */
function normalize(x: NDArray, m: NDArray, v: NDArray, eps: number): NDArray {
  return bin.mul(bin.sub(x, m), un.rsqrt(bin.add(v, eps)));
}

function along(p: NDArray, ndim: number, axis: number): NDArray {
  const shape = new Array<number>(ndim).fill(1);
  shape[axis] = -1;
  return reshape(p, shape);
}

/** MXNet's BatchNorm through the BatchNorm primitive, so a trace keeps the running-statistics update as a step. */
function batchNorm(inputs: readonly NDArray[], a: Attrs): NDArray[] {
  const [x, gamma, beta, runMean, runVar] = inputs as [NDArray, NDArray, NDArray, NDArray, NDArray];
  const y = batchNormOp(x, gamma, beta, runMean, runVar, {
    axis: a.int('axis', 1), eps: a.float('eps', 1e-3), momentum: a.float('momentum', 0.9),
    fixGamma: a.bool('fix_gamma', true), useGlobalStats: a.bool('use_global_stats', false),
  });
  return [y, runMean, runVar];
}

/** MXNet's Reshape codes: 0 copy, -1 infer, -2 copy the rest, -3 merge two, -4 split one in two. */
export function mxnetReshapeShape(input: readonly number[], spec: readonly number[], reverse = false, where = 'Reshape'): number[] {
  const src = reverse ? [...input].reverse() : [...input];
  const codes = reverse ? [...spec].reverse() : [...spec];
  const out: number[] = [];
  let s = 0;
  let infer = -1;
  const bad = (why: string): ShapeError => new ShapeError(`${where}: cannot reshape ${fmtShape(input)} with shape ${fmtShape(spec)}: ${why}`);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c > 0) {
      out.push(c);
      s++;
    } else if (c === 0) {
      if (s >= src.length) throw bad(`code 0 at position ${i} has no input axis to copy`);
      out.push(src[s++]!);
    } else if (c === -1) {
      if (infer >= 0) throw bad('only one -1 may appear');
      infer = out.length;
      out.push(1);
      s++;
    } else if (c === -2) {
      while (s < src.length) out.push(src[s++]!);
    } else if (c === -3) {
      if (s + 1 >= src.length) throw bad('-3 needs two input axes to merge');
      out.push(src[s]! * src[s + 1]!);
      s += 2;
    } else if (c === -4) {
      if (s >= src.length || i + 2 >= codes.length) throw bad('-4 needs an input axis and two sizes');
      const d = src[s++]!;
      let [d1, d2] = [codes[++i]!, codes[++i]!];
      if (d1 === -1) d1 = d / d2;
      if (d2 === -1) d2 = d / d1;
      if (!Number.isInteger(d1) || !Number.isInteger(d2) || d1 * d2 !== d) throw bad(`-4 cannot split ${d} into ${d1} x ${d2}`);
      out.push(d1, d2);
    } else throw bad(`unknown code ${c}`);
  }
  if (infer >= 0) {
    const known = sizeOf(out);
    const total = sizeOf(input);
    if (known === 0 || total % known !== 0) throw bad(`${total} elements cannot fill the known dimensions`);
    out[infer] = total / known;
  }
  if (sizeOf(out) !== sizeOf(input)) throw bad(`${sizeOf(input)} elements cannot become ${sizeOf(out)}`);
  return reverse ? out.reverse() : out;
}

function reduceOp(f: typeof sum): OpDef {
  return one((x, a) => {
    let axis: number[] | null = a.ints('axis');
    if (axis !== null && axis.length === 0) axis = null;
    if (a.bool('exclude', false) && axis !== null) {
      const drop = new Set(axis.map((d) => (d < 0 ? d + x.ndim : d)));
      axis = x.shape.map((_, i) => i).filter((i) => !drop.has(i));
    }
    return f(x, { axis, keepdims: a.bool('keepdims', false) });
  });
}

const MX_DTYPES: Readonly<Record<string, DType>> = { float32: 'float32', float64: 'float64', int32: 'int32', uint8: 'uint8' };

const softmaxLike = (f: typeof softmax): OpDef =>
  one((x, a) => f(x, { axis: a.int('axis', -1), ...(a.has('temperature') ? { temperature: a.float('temperature') } : {}) }));

const OPS: Record<string, OpDef> = {
  FullyConnected: {
    run: ([x, w, b], a) => [fullyConnected(x!, w!, a.bool('no_bias', false) ? null : b!, { flatten: a.bool('flatten', true) })],
    paramShapes: (d, a) => {
      const n = a.int('num_hidden');
      return [null, [n, a.bool('flatten', true) ? sizeOf(d.slice(1)) : d[d.length - 1]!], [n]];
    },
  },
  Convolution: {
    run: ([x, w, b], a) => {
      const g = convGeometry(a);
      return [convolution(x!, w!, a.bool('no_bias', false) ? null : b!, { ...g, numFilter: a.int('num_filter') })];
    },
    paramShapes: (d, a) => {
      const g = convGeometry(a);
      const f = a.int('num_filter');
      return [null, [f, d[1]! / g.numGroup, ...g.kernel], [f]];
    },
  },
  Deconvolution: {
    run: ([x, w, b], a) => {
      const g = convGeometry(a);
      if ((a.ints('target_shape') ?? []).length > 0) unsupported(a, 'target_shape is not supported; give pad and adj instead');
      return [deconvolution(x!, w!, a.bool('no_bias', true) ? null : b!, { ...g, numFilter: a.int('num_filter'), adj: spatial(a, 'adj', g.kernel.length, 0) })];
    },
    paramShapes: (d, a) => {
      const g = convGeometry(a);
      const f = a.int('num_filter');
      return [null, [d[1]!, f / g.numGroup, ...g.kernel], [f]];
    },
  },
  Pooling: one((x, a) => {
    const poolType = a.choice('pool_type', ['max', 'avg', 'sum', 'lp'], 'max');
    if (poolType !== 'max' && poolType !== 'avg') unsupported(a, `pool_type ${poolType}: only max and avg are supported`);
    const conv = a.choice('pooling_convention', ['valid', 'full', 'same'], 'valid');
    if (conv === 'same') unsupported(a, "pooling_convention 'same' is not supported");
    if (a.bool('global_pool', false)) return pooling(x, { globalPool: true, poolType });
    const kernel = a.ints('kernel') ?? [];
    checkLayout(a, kernel.length);
    return pooling(x, {
      kernel, poolType, poolingConvention: conv, stride: spatial(a, 'stride', kernel.length, 1), pad: spatial(a, 'pad', kernel.length, 0),
      countIncludePad: a.bool('count_include_pad', true),
    });
  }),
  BatchNorm: {
    run: batchNorm,
    aux: [3, 4],
    numOutputs: () => 3,
    paramShapes: (d, a) => {
      const c = [d[a.int('axis', 1) < 0 ? a.int('axis', 1) + d.length : a.int('axis', 1)]!];
      return [null, c, c, c, c];
    },
  },
  LayerNorm: {
    run: ([x, gamma, beta], a) => {
      const axis = a.int('axis', -1) < 0 ? a.int('axis', -1) + x!.ndim : a.int('axis', -1);
      const m = mean(x!, { axis, keepdims: true });
      const v = mean(un.square(bin.sub(x!, m)), { axis, keepdims: true });
      return [bin.add(bin.mul(normalize(x!, m, v, a.float('eps', 1e-5)), along(gamma!, x!.ndim, axis)), along(beta!, x!.ndim, axis))];
    },
    numOutputs: () => 3,
    paramShapes: (d, a) => {
      const c = [d[a.int('axis', -1) < 0 ? a.int('axis', -1) + d.length : a.int('axis', -1)]!];
      return [null, c, c];
    },
  },
  InstanceNorm: {
    run: ([x, gamma, beta], a) => {
      const reduce = x!.shape.map((_, i) => i).filter((i) => i > 1);
      const m = mean(x!, { axis: reduce, keepdims: true });
      const v = mean(un.square(bin.sub(x!, m)), { axis: reduce, keepdims: true });
      return [bin.add(bin.mul(normalize(x!, m, v, a.float('eps', 1e-3)), along(gamma!, x!.ndim, 1)), along(beta!, x!.ndim, 1))];
    },
    paramShapes: (d) => [null, [d[1]!], [d[1]!]],
  },
  Activation: one((x, a) => {
    const t = a.str('act_type');
    if (!isActivationType(t)) unsupported(a, `act_type ${t}: use relu, sigmoid, tanh, softrelu or softsign`);
    return activate(t, x);
  }),
  LeakyReLU: {
    run: ([x, gamma], a) => {
      const t = a.choice('act_type', ['leaky', 'prelu', 'elu', 'selu', 'gelu', 'rrelu'], 'leaky');
      const slope = a.float('slope', 0.25);
      if (t === 'leaky') return [leakyRelu(x!, slope)];
      if (t === 'elu') return [elu(x!, slope)];
      if (t === 'selu') return [selu(x!)];
      if (t === 'gelu') return [gelu(x!)];
      if (t === 'prelu') return [leakyRelu(x!, gamma!.size === 1 || x!.ndim < 2 ? gamma! : along(gamma!, x!.ndim, 1))];
      return unsupported(a, 'rrelu (randomized slopes) is not supported');
    },
    paramShapes: (d, a) => (a.str('act_type', 'leaky') === 'prelu' ? [null, [d.length > 1 ? d[1]! : 1]] : [null]),
  },
  Dropout: {
    run: ([x], a) => {
      const p = a.float('p', 0.5);
      const always = a.str('mode', 'training') === 'always';
      if (p === 0 || !(isTraining() || always) || x!.isShapeOnly) return [x!];
      const axes = (a.ints('axes') ?? []).map((d) => (d < 0 ? d + x!.ndim : d));
      const keep = bin.greaterEqual(uniform({ shape: x!.shape.map((d, i) => (axes.includes(i) ? 1 : d)), dtype: x!.dtype }), p);
      return [bin.mul(x!, bin.mul(keep, 1 / (1 - p)))];
    },
    numOutputs: () => 2,
  },
  Flatten: one((x) => reshape(x, [x.shape[0]!, sizeOf(x.shape.slice(1))])),
  Reshape: one((x, a) => reshape(x, mxnetReshapeShape(x.shape, a.ints('shape') ?? [], a.bool('reverse', false), a.node))),
  transpose: one((x, a) => transpose(x, (a.ints('axes') ?? []).length === 0 ? undefined : a.ints('axes')!)),
  expand_dims: one((x, a) => expandDims(x, a.int('axis'))),
  squeeze: one((x, a) => squeeze(x, a.ints('axis') ?? undefined)),
  Concat: { run: (xs, a) => [concat(xs, { axis: a.int('dim', 1) })] },
  stack: { run: (xs, a) => [stack(xs, { axis: a.int('axis', 0) })] },
  SliceChannel: {
    run: ([x], a) => {
      const axis = a.int('axis', 1);
      const parts = split(x!, a.int('num_outputs'), { axis });
      return a.bool('squeeze_axis', false) ? parts.map((p) => squeeze(p, axis)) : parts;
    },
    numOutputs: (a) => a.int('num_outputs'),
  },
  slice_axis: one((x, a) => sliceAxis(x, a.int('axis'), a.int('begin'), a.has('end') ? a.int('end') : null)),
  Pad: one((x, a) => {
    const mode = a.choice('mode', ['constant', 'edge', 'reflect'], 'constant');
    return pad(x, a.ints('pad_width') ?? [], { mode, constantValue: a.float('constant_value', 0) });
  }),
  softmax: softmaxLike(softmax),
  log_softmax: softmaxLike(logSoftmax),
  SoftmaxActivation: one((x, a) => softmax(x, { axis: a.str('mode', 'instance') === 'channel' ? 1 : -1 })),
  SoftmaxOutput: { run: ([x], a) => [softmax(x!, { axis: a.bool('multi_output', false) ? 1 : -1 })], ignored: [1] },
  dot: { run: ([x, y], a) => [dot(x!, y!, { transposeA: a.bool('transpose_a', false), transposeB: a.bool('transpose_b', false) })] },
  batch_dot: { run: ([x, y], a) => [batchDot(x!, y!, { transposeA: a.bool('transpose_a', false), transposeB: a.bool('transpose_b', false) })] },
  _npi_matmul: two((x, y) => matmul(x, y)),
  Embedding: {
    run: ([x, w]) => [take(w!, x!, { axis: 0, mode: 'clip' })],
    paramShapes: (_d, a) => [null, [a.int('input_dim'), a.int('output_dim')]],
  },
  take: { run: ([x, i], a) => [take(x!, i!, { axis: a.int('axis', 0), mode: a.choice('mode', ['clip', 'wrap', 'raise'] as const, 'clip') })] },
  clip: one((x, a) => clip(x, a.float('a_min'), a.float('a_max'))),
  Cast: one((x, a) => {
    const dt = MX_DTYPES[a.str('dtype')];
    if (dt === undefined) unsupported(a, `dtype ${a.str('dtype')}: tsgluon stores float32, float64, int32 and uint8`);
    return astype(x, dt);
  }),
  sum: reduceOp(sum),
  mean: reduceOp(mean),
  max: reduceOp(max),
  min: reduceOp(min),
  elemwise_add: two(bin.add),
  elemwise_sub: two(bin.sub),
  elemwise_mul: two(bin.mul),
  elemwise_div: two(bin.div),
  broadcast_add: two(bin.add),
  broadcast_sub: two(bin.sub),
  broadcast_mul: two(bin.mul),
  broadcast_div: two(bin.div),
  broadcast_power: two(bin.pow),
  broadcast_maximum: two(bin.maximum),
  broadcast_minimum: two(bin.minimum),
  broadcast_greater: two(bin.greater),
  broadcast_lesser: two(bin.lesser),
  where: { run: ([c, x, y]) => [where(c!, x!, y!)] },
  _greater_scalar: scalar(bin.greater),
  _lesser_scalar: scalar(bin.lesser),
  add_n: { run: (xs) => [xs.slice(1).reduce((s, x) => bin.add(s, x), xs[0]!)] },
  _plus_scalar: scalar(bin.add),
  _minus_scalar: scalar(bin.sub),
  _rminus_scalar: scalar((x, s) => bin.sub(s, x)),
  _mul_scalar: scalar(bin.mul),
  _div_scalar: scalar(bin.div),
  _rdiv_scalar: scalar((x, s) => bin.div(s, x)),
  _power_scalar: scalar(bin.pow),
  _maximum_scalar: scalar(bin.maximum),
  _minimum_scalar: scalar(bin.minimum),
  relu: one(un.relu),
  sigmoid: one(un.sigmoid),
  tanh: one(un.tanh),
  exp: one(un.exp),
  log: one(un.log),
  sqrt: one(un.sqrt),
  rsqrt: one(un.rsqrt),
  square: one(un.square),
  abs: one(un.abs),
  negative: one(un.neg),
  reciprocal: one(un.reciprocal),
  erf: one(un.erf),
  expm1: one(un.expm1),
  log1p: one(un.log1p),
  floor: one(un.floor),
  ceil: one(un.ceil),
  sin: one(un.sin),
  cos: one(un.cos),
  softsign: one((x) => activate('softsign', x)),
  _copy: one((x) => x),
  identity: one((x) => x),
  BlockGrad: one(detach),
  ...RNN_OPS,
};

/** MXNet's aliases (the names a symbol file may carry for the same operator). */
const ALIASES: Record<string, string> = {
  _Plus: 'elemwise_add', _plus: 'elemwise_add', _Minus: 'elemwise_sub', _minus: 'elemwise_sub', _Mul: 'elemwise_mul', _mul: 'elemwise_mul',
  _Div: 'elemwise_div', _div: 'elemwise_div', broadcast_plus: 'broadcast_add', broadcast_minus: 'broadcast_sub', ElementWiseSum: 'add_n',
  _PlusScalar: '_plus_scalar', _MinusScalar: '_minus_scalar', _MulScalar: '_mul_scalar', _DivScalar: '_div_scalar', flatten: 'Flatten',
  reshape: 'Reshape', concat: 'Concat', split: 'SliceChannel', stop_gradient: 'BlockGrad', cast: 'Cast', pad: 'Pad', Softmax: 'SoftmaxOutput',
  _np_matmul: '_npi_matmul',
};

/** The definition of MXNet operator `op`, or undefined when tsgluon does not implement it. */
export function opDef(op: string): OpDef | undefined {
  const name = Object.hasOwn(ALIASES, op) ? ALIASES[op]! : op;
  return Object.hasOwn(OPS, name) ? OPS[name] : undefined;
}

/** Names of every supported operator (aliases included), for messages. */
export function supportedOps(): string[] {
  return [...Object.keys(OPS), ...Object.keys(ALIASES)].sort();
}
