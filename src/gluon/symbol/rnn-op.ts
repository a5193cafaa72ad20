/**
 * MXNet's fused `RNN` operator (and the helpers Gluon's RNN layers export around it:
 * `_rnn_param_concat`, `_zeros`, `broadcast_like`), run with the same primitives as gluon.rnn's
 * layers (an input projection by `fullyConnected`, then `rnnRecurrence`), so a layer exported and
 * imported again computes the same bits.
 *
 * The packed parameter vector is laid out as MXNet's src/operator/rnn-inl.h reads it (and as
 * Gluon's `_RNNLayer` concatenates it): first every weight, for each layer, for each direction
 * (left then right), `i2h_weight` (G*H, input) then `h2h_weight` (G*H, H); then every bias in
 * the same order, `i2h_bias` (G*H) then `h2h_bias` (G*H). The input of layer 0 is the data's
 * features, of later layers D*H. Gates are in MXNet's order: LSTM i, f, g (cell), o; GRU r, z, n.
 */
import { ShapeError, fmtShape } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { zeros } from '../../ndarray/creation.js';
import { fullyConnected } from '../../ops/matmul.js';
import { concat, stack } from '../../ops/movement.js';
import { rnnRecurrence, type RnnMode } from '../../ops/rnn.js';
import { broadcastTo, reshape } from '../../ops/shape.js';
import { slice, sliceAxis } from '../../ops/slice.js';
import { UnsupportedOperatorError } from '../../io/model-format-error.js';
import type { Attrs } from './attrs.js';
import type { OpDef } from './ops.js';

export const RNN_GATES: Readonly<Record<RnnMode, number>> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

/** One weight or bias of the packed vector: where it starts, and its shape. */
export interface PackedPart {
  readonly layer: number;
  readonly direction: number;
  readonly key: 'i2h_weight' | 'h2h_weight' | 'i2h_bias' | 'h2h_bias';
  readonly offset: number;
  readonly shape: readonly number[];
}

/** The parts of MXNet's packed RNN parameter vector, in order, and its total length. */
export function packedLayout(mode: RnnMode, inputSize: number, hidden: number, layers: number, directions: number): { parts: PackedPart[]; total: number } {
  const gh = RNN_GATES[mode] * hidden;
  const parts: PackedPart[] = [];
  let offset = 0;
  const push = (layer: number, direction: number, key: PackedPart['key'], shape: number[]): void => {
    parts.push({ layer, direction, key, offset, shape });
    offset += sizeOf(shape);
  };
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < directions; d++) {
      push(l, d, 'i2h_weight', [gh, l === 0 ? inputSize : directions * hidden]);
      push(l, d, 'h2h_weight', [gh, hidden]);
    }
  }
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < directions; d++) {
      push(l, d, 'i2h_bias', [gh]);
      push(l, d, 'h2h_bias', [gh]);
    }
  }
  return { parts, total: offset };
}

export interface RnnAttrs {
  readonly mode: RnnMode;
  readonly hidden: number;
  readonly layers: number;
  readonly directions: number;
}

/** The RNN node's attributes, checked. */
export function rnnAttrs(a: Attrs): RnnAttrs {
  const mode = a.str('mode') as RnnMode;
  if (!Object.hasOwn(RNN_GATES, mode)) throw new UnsupportedOperatorError('mxnet-symbol', a.op, a.node, `mode ${mode}: use rnn_relu, rnn_tanh, lstm or gru`);
  if (a.has('projection_size')) throw new UnsupportedOperatorError('mxnet-symbol', a.op, a.node, 'projection_size (an LSTM projection) is not supported');
  if (a.bool('use_sequence_length', false)) throw new UnsupportedOperatorError('mxnet-symbol', a.op, a.node, 'use_sequence_length is not supported');
  return { mode, hidden: a.int('state_size'), layers: a.int('num_layers', 1), directions: a.bool('bidirectional', false) ? 2 : 1 };
}

/** Runs MXNet's RNN on data (T, N, C), the packed vector and the initial states (L*D, N, H). */
function runRnn(inputs: readonly NDArray[], a: Attrs): NDArray[] {
  const r = rnnAttrs(a);
  const [data, packed, h0, c0] = inputs as [NDArray, NDArray, NDArray, NDArray | undefined];
  const lstm = r.mode === 'lstm';
  if (data.ndim !== 3) throw new ShapeError(`${a.node} (RNN): data must be (steps, batch, features), got ${fmtShape(data.shape)}`);
  const { parts, total } = packedLayout(r.mode, data.shape[2]!, r.hidden, r.layers, r.directions);
  if (packed.ndim !== 1 || packed.shape[0] !== total) {
    throw new ShapeError(`${a.node} (RNN): the packed parameters must be (${total},) for ${r.layers} ${r.mode} layer(s) of ${r.hidden} on ${data.shape[2]} features, got ${fmtShape(packed.shape)}`);
  }
  const get = (l: number, d: number, key: PackedPart['key']): NDArray => {
    const p = parts.find((q) => q.layer === l && q.direction === d && q.key === key)!;
    return reshape(slice(packed, [p.offset], [p.offset + sizeOf(p.shape)]), p.shape);
  };
  const state = (s: NDArray, at: number): NDArray => reshape(sliceAxis(s, 0, at, at + 1), s.shape.slice(1));
  let seq = data;
  const hy: NDArray[] = [];
  const cy: NDArray[] = [];
  for (let l = 0; l < r.layers; l++) {
    const outs: NDArray[] = [];
    for (let d = 0; d < r.directions; d++) {
      const at = l * r.directions + d;
      const xproj = fullyConnected(seq, get(l, d, 'i2h_weight'), get(l, d, 'i2h_bias'), { flatten: false });
      const states = lstm ? [state(h0, at), state(c0!, at)] : [state(h0, at)];
      const res = rnnRecurrence(xproj, get(l, d, 'h2h_weight'), get(l, d, 'h2h_bias'), states, { mode: r.mode, reverse: d === 1 });
      outs.push(res.output);
      hy.push(res.states[0]!);
      if (lstm) cy.push(res.states[1]!);
    }
    seq = outs.length === 1 ? outs[0]! : concat(outs, { axis: 2 });
  }
  if (!a.bool('state_outputs', false)) return [seq];
  return lstm ? [seq, stack(hy, { axis: 0 }), stack(cy, { axis: 0 })] : [seq, stack(hy, { axis: 0 })];
}

/** MXNet's `broadcast_like` with lhs_axes / rhs_axes: lhs broadcast to rhs's extents on those axes (all axes without them). */
function broadcastLike([lhs, rhs]: readonly NDArray[], a: Attrs): NDArray[] {
  const la = a.ints('lhs_axes') ?? [];
  const ra = a.ints('rhs_axes') ?? [];
  if (la.length !== ra.length) throw new ShapeError(`${a.node} (broadcast_like): lhs_axes ${fmtShape(la)} and rhs_axes ${fmtShape(ra)} differ in length`);
  if (la.length === 0) return [broadcastTo(lhs!, rhs!.shape)];
  const shape = [...lhs!.shape];
  la.forEach((ax, i) => (shape[ax < 0 ? ax + shape.length : ax] = rhs!.shape[ra[i]! < 0 ? ra[i]! + rhs!.ndim : ra[i]!]!));
  return [broadcastTo(lhs!, shape)];
}

export const RNN_OPS: Record<string, OpDef> = {
  RNN: {
    run: runRnn,
    numOutputs: (a) => (a.bool('state_outputs', false) ? (a.str('mode') === 'lstm' ? 3 : 2) : 1),
    paramShapes: (d, a) => {
      const r = rnnAttrs(a);
      return [null, [packedLayout(r.mode, d[2]!, r.hidden, r.layers, r.directions).total], null, null];
    },
  },
  _rnn_param_concat: { run: (xs, a) => [concat(xs, { axis: a.int('dim', 0) })] },
  _zeros: { run: (_xs, a) => [zeros(a.ints('shape') ?? [], { dtype: 'float32' })] },
  broadcast_like: { run: broadcastLike },
};
