/**
 * Recurrences between MXNet's fused `RNN` operator and ONNX's RNN / LSTM / GRU nodes.
 *
 * MXNet runs every layer and direction from one packed parameter vector (rnn-op.ts gives its
 * layout) with gates in the order LSTM i, f, g, o and GRU r, z, n; ONNX takes one node per layer
 * with W (D, G*H, input), R (D, G*H, H), B (D, 2*G*H) and gates in the order LSTM i, o, f, c and
 * GRU z, r, h. Export slices the packed vector inside the ONNX graph (Slice, Reshape, a Gather of
 * the rows in ONNX's gate order), so the model computes from the same initializer; import
 * reorders constant W, R, B back (the importer folds the export's constant slicing first).
 * MXNet's GRU applies the reset gate after the recurrent product, which is ONNX's
 * `linear_before_reset = 1`; a GRU without it has no MXNet form.
 *
 * ONNX's Y is (T, D, N, H); MXNet's output (T, N, D*H), so export transposes and merges, and
 * import splits and transposes back.
 */
import { array, zeros } from '../../ndarray/creation.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { concat } from '../../ops/movement.js';
import { take } from '../../ops/indexing.js';
import { reshape } from '../../ops/shape.js';
import { sliceAxis } from '../../ops/slice.js';
import type { RnnMode } from '../../ops/rnn.js';
import type { SymbolEntry } from '../../io/symbol-json.js';
import type { Ctx as ExportCtx } from './onnx-export.js';
import { RNN_GATES, packedLayout, rnnAttrs, type PackedPart } from './rnn-op.js';

/** For each ONNX gate block, the MXNet gate block it holds. */
const ONNX_FROM_MXNET: Readonly<Record<RnnMode, readonly number[]>> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnn_relu: [0], rnn_tanh: [0] };

/** Row indices taking a (G*H, ...) MXNet block to ONNX's gate order (or back, with `inverse`). */
export function gateRows(mode: RnnMode, hidden: number, inverse = false): number[] {
  const order = ONNX_FROM_MXNET[mode];
  const blocks = inverse ? order.map((_, g) => order.indexOf(g)) : [...order];
  return blocks.flatMap((b) => Array.from({ length: hidden }, (_, j) => b * hidden + j));
}

function rnnExport(c: ExportCtx): string[] {
  const r = rnnAttrs(c.a);
  const { e } = c;
  const { parts } = packedLayout(r.mode, c.inShapes[0]![2]!, r.hidden, r.layers, r.directions);
  const rows = e.ints(`${c.out}_gate_rows`, gateRows(r.mode, r.hidden));
  const zero = e.ints(`${c.out}_axis0`, [0]);
  const part = (p: PackedPart): string => {
    const tag = `${c.out}_l${p.layer}d${p.direction}_${p.key}`;
    const flat = e.node('Slice', [c.ins[1]!, e.ints(`${tag}_begin`, [p.offset]), e.ints(`${tag}_end`, [p.offset + p.shape.reduce((a, b) => a * b, 1)]), zero])[0]!;
    const shaped = p.shape.length === 1 ? flat : e.node('Reshape', [flat, e.ints(`${tag}_shape`, p.shape)])[0]!;
    return e.node('Gather', [shaped, rows], { axis: 0 })[0]!;
  };
  const find = (l: number, d: number, key: PackedPart['key']): PackedPart => parts.find((p) => p.layer === l && p.direction === d && p.key === key)!;
  const perDirection = (f: (d: number) => string): string => {
    const each = Array.from({ length: r.directions }, (_, d) => e.node('Unsqueeze', [f(d), zero])[0]!);
    return each.length === 1 ? each[0]! : e.node('Concat', each, { axis: 0 })[0]!;
  };
  const op = r.mode === 'lstm' ? 'LSTM' : r.mode === 'gru' ? 'GRU' : 'RNN';
  const act = r.mode === 'rnn_relu' ? 'Relu' : 'Tanh';
  let x = c.ins[0]!;
  for (let l = 0; l < r.layers; l++) {
    const W = perDirection((d) => part(find(l, d, 'i2h_weight')));
    const R = perDirection((d) => part(find(l, d, 'h2h_weight')));
    const B = perDirection((d) => e.node('Concat', [part(find(l, d, 'i2h_bias')), part(find(l, d, 'h2h_bias'))], { axis: 0 })[0]!);
    const state = (k: number): string => c.zeroState(k) ? '' : e.node('Slice', [c.ins[k]!, e.ints(`${c.out}_l${l}_s${k}_begin`, [l * r.directions]), e.ints(`${c.out}_l${l}_s${k}_end`, [(l + 1) * r.directions]), zero])[0]!;
    const inputs = [x, W, R, B, '', state(2), ...(r.mode === 'lstm' ? [state(3)] : [])];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const y = e.node(op, inputs, {
      hidden_size: r.hidden, direction: r.directions === 2 ? 'bidirectional' : 'forward',
      ...(r.mode === 'gru' ? { linear_before_reset: 1 } : {}),
      ...(op === 'RNN' ? { activations: new Array<string>(r.directions).fill(act) } : {}),
    })[0]!;
    const tnc = e.node('Transpose', [y], { perm: [0, 2, 1, 3] })[0]!;
    x = e.node('Reshape', [tnc, e.ints(`${c.out}_l${l}_merge`, [0, 0, -1])], {}, l === r.layers - 1 ? c.out : undefined)[0]!;
  }
  return [x];
}

function broadcastLikeExport(c: ExportCtx): string[] {
  const la = c.a.ints('lhs_axes') ?? [];
  const ra = c.a.ints('rhs_axes') ?? [];
  const lhs = c.inShapes[0]!;
  if (la.length === 0) return c.e.node('Expand', [c.ins[0]!, c.e.node('Shape', [c.ins[1]!])[0]!], {}, c.out);
  const rhsShape = c.e.node('Shape', [c.ins[1]!])[0]!;
  const dims = lhs.map((d, i) => {
    const k = la.findIndex((a) => (a < 0 ? a + lhs.length : a) === i);
    if (k < 0) return c.e.ints(`${c.out}_dim${i}`, [d]);
    return c.e.node('Gather', [rhsShape, c.e.ints(`${c.out}_rhs${i}`, [ra[k]!])], { axis: 0 })[0]!;
  });
  return c.e.node('Expand', [c.ins[0]!, c.e.node('Concat', dims, { axis: 0 })[0]!], {}, c.out);
}

export const RNN_EXPORTERS: Record<string, (c: ExportCtx) => string[]> = {
  RNN: rnnExport,
  _rnn_param_concat: (c) => c.e.node('Concat', c.ins, { axis: c.a.int('dim', 0) }, c.out),
  _zeros: (c) => [c.e.constant(c.out, zeros(c.outShapes[0]!))],
  broadcast_like: broadcastLikeExport,
};

/** What the ONNX importer offers a recurrence converter. */
export interface RnnImportCtx {
  readonly opType: string;
  readonly nodeName: string;
  has(i: number): boolean;
  in(i: number): SymbolEntry;
  constant(i: number): NDArray | null;
  int(key: string, fallback: number): number;
  str(key: string, fallback: string): string;
  strings(key: string): string[] | null;
  outputUsed(i: number): boolean;
  unsupported(why: string): never;
  /** A new parameter named after the node. */
  variable(suffix: string, value: NDArray): SymbolEntry;
  add(op: string, inputs: readonly SymbolEntry[], attrs: Record<string, boolean | number | string | readonly number[]>, suffix?: string): SymbolEntry;
}

/** ONNX RNN / LSTM / GRU (one layer) as MXNet's RNN operator, Y as (T, D, N, H). */
export function rnnImport(x: RnnImportCtx): SymbolEntry {
  const op = x.opType;
  let mode: RnnMode;
  if (op === 'LSTM') mode = 'lstm';
  else if (op === 'GRU') mode = 'gru';
  else {
    const acts = x.strings('activations') ?? ['Tanh'];
    if (!acts.every((a) => a === acts[0]) || (acts[0] !== 'Tanh' && acts[0] !== 'Relu')) x.unsupported(`activations ${acts.join(', ')}: only Tanh or Relu (the same for both directions)`);
    mode = acts[0] === 'Relu' ? 'rnn_relu' : 'rnn_tanh';
  }
  if (op === 'GRU' && x.int('linear_before_reset', 0) !== 1) x.unsupported('linear_before_reset = 0 (reset before the recurrent product) has no MXNet form; PyTorch and MXNet GRUs export with linear_before_reset = 1');
  if (op === 'LSTM' && x.strings('activations') !== null && x.strings('activations')!.some((a, i) => a !== ['Sigmoid', 'Tanh', 'Tanh'][i % 3])) x.unsupported('only the default activations (Sigmoid, Tanh, Tanh) are supported');
  if (x.int('layout', 0) !== 0) x.unsupported('layout 1 (batch first) is not supported');
  if (x.int('input_forget', 0) !== 0) x.unsupported('input_forget is not supported');
  if (x.has(4)) x.unsupported('sequence_lens is not supported');
  if (op === 'LSTM' && x.has(7)) x.unsupported('peepholes are not supported');
  if (x.str('direction', 'forward') === 'reverse') x.unsupported("direction 'reverse' is not supported (use forward or bidirectional)");
  if ([1, 2].some((i) => x.outputUsed(i))) x.unsupported('only the output Y is supported, not the final states Y_h / Y_c');
  const W = x.constant(1) ?? x.unsupported('W must be an initializer (or a constant expression of initializers)');
  const R = x.constant(2) ?? x.unsupported('R must be an initializer');
  const D = W.shape[0]!;
  const gh = W.shape[1]!;
  const H = gh / RNN_GATES[mode];
  const B = x.has(3) ? x.constant(3) ?? x.unsupported('B must be an initializer') : zeros([D, 2 * gh]);
  const rows = array(gateRows(mode, H, true), { dtype: 'int32' });
  const mx = (a: NDArray): NDArray => take(a, rows, { axis: 0 });
  const dir = (a: NDArray, d: number): NDArray => reshape(sliceAxis(a, 0, d, d + 1), a.shape.slice(1));
  const pieces: NDArray[] = [];
  for (let d = 0; d < D; d++) pieces.push(reshape(mx(dir(W, d)), [-1]), reshape(mx(dir(R, d)), [-1]));
  for (let d = 0; d < D; d++) pieces.push(mx(sliceAxis(dir(B, d), 0, 0, gh)), mx(sliceAxis(dir(B, d), 0, gh, 2 * gh)));
  const expected = packedLayout(mode, W.shape[2]!, H, 1, D).total;
  const packed = concat(pieces, { axis: 0 });
  if (packed.size !== expected) x.unsupported(`W ${W.shape.join('x')}, R ${R.shape.join('x')} and B do not make one ${op} layer`);
  const params = x.variable('_parameters', packed);
  const data = x.in(0);
  const state = (i: number, tag: string): SymbolEntry =>
    x.has(i) ? x.in(i) : x.add('broadcast_like', [x.add('_zeros', [], { shape: [D, 1, H], dtype: 'float32' }, `_${tag}_zeros`), data], { lhs_axes: [1], rhs_axes: [1] }, `_${tag}`);
  const states = mode === 'lstm' ? [state(5, 'h0'), state(6, 'c0')] : [state(5, 'h0')];
  const y = x.add('RNN', [data, params, ...states], { state_size: H, num_layers: 1, bidirectional: D === 2, mode, p: 0, state_outputs: false }, '_rnn');
  const split = x.add('Reshape', [y], { shape: [0, 0, D, H] }, '_split');
  return x.add('transpose', [split], { axes: [0, 2, 1, 3] });
}
