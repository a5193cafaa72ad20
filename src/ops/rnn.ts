/**
 * `rnnRecurrence`: one direction of an RNN, LSTM or GRU layer over a whole sequence, as one
 * primitive. The input projection `xproj = x·W_i2hᵀ + b_i2h` of every step is computed beforehand
 * by the caller as one GEMM over all time steps (gluon.rnn does it with `fullyConnected`); this op
 * runs the recurrence: per step one h2h GEMM and one fused sweep over the gates, and for the
 * backward pass one sweep per step plus a single GEMM over all steps for the h2h weight gradient.
 *
 * Equations, per step, with gate order as in MXNet (and PyTorch), `hh = h_{t-1}·W_h2hᵀ + b_h2h`:
 *   rnn_relu / rnn_tanh: h = act(xproj + hh)
 *   lstm: [i, f, g, o] = [σ, σ, tanh, σ](xproj + hh);  c = f⊙c_{t-1} + i⊙g;  h = o⊙tanh(c),
 *         then, with a projection (Gluon's projection_size), h = h·W_h2rᵀ
 *   gru:  [r, z] = σ(xproj_rz + hh_rz);  n = tanh(xproj_n + r⊙hh_n);  h = (1 - z)⊙n + z⊙h_{t-1}
 *
 * The primitive's output holds every step's h (and c for the LSTM); the activations the backward
 * pass needs go into a workspace array, the output of a `rnnWorkspace` primitive passed as the
 * recurrence's last input (the kernel fills it, the gradient rule reads it; nothing else ever sees
 * it, so a traced graph replaying the steps in order keeps it consistent, and its buffer comes
 * from the graph's memory plan). The gradient is one `rnnBackward` kernel call whose packed result
 * is handed out as views of one buffer (slices of it in a traced backward graph).
 */
import { isFloat, promote } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { RNN_MODES, type RnnMode, type RnnPlan } from '../backend/kernels.js';
import { rnnGradLayout, rnnLayout } from '../backend/ref/rnn.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { apply, primitive } from './define.js';
import { ensureDType } from './cast.js';
import { reshape } from './shape.js';
import { slice } from './slice.js';
import { publicOp } from '../core/public.js';

export type { RnnMode } from '../backend/kernels.js';

const rnnPrim = primitive<RnnPlan, RnnPlan>({
  name: 'rnnRecurrence',
  outputInit: 'none',
  infer: ([x], plan) => ({ shape: [plan.steps, plan.batch, rnnLayout(plan).outWidth], dtype: x!.dtype, plan }),
  compute: (k, out, [xproj, whh, bhh, h0, c0, whr, ws], plan) => k.rnnForward(out, ws!, xproj!, whh!, bhh!, h0!, c0!, whr!, plan),
  grad(g, { inputs, out, attrs: plan }) {
    const [, whh, , h0, c0, whr, ws] = inputs;
    const packed = apply(rnnGradPrim, [ensureDType(g, out.dtype), out, ws!, whh!, h0!, c0!, whr!], plan);
    const L = rnnGradLayout(plan);
    const { steps: t, batch: n, hidden: h, proj: p, mode } = plan;
    const gh = rnnLayout(plan).gates * h;
    // Eagerly, views of the one packed buffer (the kernel filled every part in a single pass); in
    // a traced backward graph, slices of it, since a graph value has no storage to view yet.
    const part = (from: number, to: number, shape: readonly number[]): NDArray =>
      packed.isShapeOnly ? reshape(slice(packed, [from], [to]), shape) : new NDArray(packed.storage.subarray(from, to), shape, out.dtype);
    return [
      part(0, L.dwhh, [t, n, gh]),
      part(L.dwhh, L.dbhh, [gh, p]),
      part(L.dbhh, L.dh0, [gh]),
      part(L.dh0, L.dc0, [n, p]),
      mode === 'lstm' ? part(L.dc0, L.dwhr, [n, h]) : null,
      p !== h ? part(L.dwhr, L.total, [p, h]) : null,
      null,
    ];
  },
});

/** The gradients of rnnPrim's inputs, packed (RnnPlan's rnnBackward layout); differentiated once only. */
const rnnGradPrim = primitive<RnnPlan, RnnPlan>({
  name: 'rnnRecurrenceGrad',
  outputInit: 'none',
  infer: ([g], plan) => ({ shape: [rnnGradLayout(plan).total], dtype: g!.dtype, plan }),
  compute: (k, grads, [g, out, ws, whh, h0, c0, whr], plan) => k.rnnBackward(grads, g!, out!, ws!, whh!, h0!, c0!, whr!, plan),
});

/**
 * The workspace of one recurrence, (T, N, W): a buffer the forward kernel fills and the gradient
 * kernel reads. Its input only gives the dtype (and shape-only-ness); as a primitive, it is a node
 * of a traced graph, so each run gets its buffer from the memory plan. Its own compute writes
 * nothing, so it keeps the default outputInit 'zero' (a zeroed buffer: a memset, about 1% of an
 * LSTM step) rather than promising to write every element.
 */
const workspacePrim = primitive<readonly number[], null>({
  name: 'rnnWorkspace',
  infer: ([x], shape) => ({ shape, dtype: x!.dtype, plan: null }),
  compute: () => {},
});

/** Options of `rnnRecurrence`. */
export interface RnnRecurrenceOptions {
  /** 'rnn_relu', 'rnn_tanh', 'lstm' or 'gru'. */
  mode: RnnMode;
  /** Run time backwards, t = T-1 first (the second direction of a bidirectional layer). */
  reverse?: boolean;
  /** LSTM only: the projection weight (P, H), Gluon's `h2r_weight`; h then has P features. */
  projection?: NDArray | null;
}

/** What `rnnRecurrence` returns: every step's h, and the states after the last step. */
export interface RnnRecurrenceResult {
  /** (T, N, P): h at every step, in input order (also for `reverse`). */
  readonly output: NDArray;
  /** [h (N, P)], and c (N, H) for the LSTM: the state after the last step processed. */
  readonly states: NDArray[];
}

function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new ShapeError(`rnnRecurrence: ${msg()}`);
}

/**
 * Runs one recurrent layer direction over a sequence whose input projection is given.
 * `xproj` is (T, N, G*H) (G = 1 for rnn, 4 for lstm, 3 for gru, in MXNet's gate order),
 * `h2hWeight` (G*H, P), `h2hBias` (G*H), `states` [h0 (N, P)] or, for the LSTM, [h0, c0 (N, H)].
 * @example
 * const xproj = nd.random.normal({ shape: [5, 2, 4 * 3] });          // T=5, N=2, LSTM with H=3
 * const { output, states } = nd.rnnRecurrence(xproj, nd.zeros([12, 3]), nd.zeros([12]), [nd.zeros([2, 3]), nd.zeros([2, 3])], { mode: 'lstm' });
 * output.shape // [5, 2, 3]
 */
export const rnnRecurrence = publicOp('rnnRecurrence', function rnnRecurrence(xproj: NDArray, h2hWeight: NDArray, h2hBias: NDArray, states: readonly NDArray[], options: RnnRecurrenceOptions): RnnRecurrenceResult {
  expectArray('rnnRecurrence', xproj, 'the input projection');
  expectArray('rnnRecurrence', h2hWeight, 'h2hWeight');
  expectArray('rnnRecurrence', h2hBias, 'h2hBias');
  const { mode, reverse = false, projection = null } = options ?? {};
  if (!RNN_MODES.includes(mode)) throw new ValueError(`rnnRecurrence: mode must be one of ${RNN_MODES.join(', ')}, got ${String(mode)}`);
  const lstm = mode === 'lstm';
  if (!Array.isArray(states) || states.length !== (lstm ? 2 : 1)) {
    throw new ValueError(`rnnRecurrence: mode '${mode}' takes ${lstm ? 'two states [h, c]' : 'one state [h]'}, got ${Array.isArray(states) ? states.length : String(states)}`);
  }
  states.forEach((s, i) => expectArray('rnnRecurrence', s, `state ${i}`));
  if (projection !== null) {
    expectArray('rnnRecurrence', projection, 'the projection weight');
    if (!lstm) throw new ValueError(`rnnRecurrence: a projection is an LSTM option; mode '${mode}' has none`);
  }
  const all = [xproj, h2hWeight, h2hBias, ...states, ...(projection ? [projection] : [])];
  const dtype = all.reduce((d, a) => promote(d, a.dtype), xproj.dtype);
  if (!isFloat(dtype)) throw new DTypeError(`rnnRecurrence: needs float32 or float64 arrays, got ${all.map((a) => a.dtype).join(', ')}`);
  const gates = lstm ? 4 : mode === 'gru' ? 3 : 1;
  check(xproj.ndim === 3 && xproj.shape[2]! % gates === 0 && xproj.shape[2]! > 0, () =>
    `the input projection must be (steps, batch, ${gates} * hidden) for mode '${mode}', got ${fmtShape(xproj.shape)}`);
  const [steps, batch, gh] = xproj.shape as [number, number, number];
  const hidden = gh / gates;
  const proj = projection ? projection.shape[0]! : hidden;
  check(h2hWeight.ndim === 2 && h2hWeight.shape[0] === gh && h2hWeight.shape[1] === proj, () =>
    `h2hWeight must be (${gh}, ${proj}) for an input projection ${fmtShape(xproj.shape)}, got ${fmtShape(h2hWeight.shape)}`);
  check(h2hBias.ndim === 1 && h2hBias.shape[0] === gh, () => `h2hBias must be (${gh}), got ${fmtShape(h2hBias.shape)}`);
  if (projection) check(projection.ndim === 2 && projection.shape[1] === hidden && proj > 0, () => `the projection weight must be (P, ${hidden}), got ${fmtShape(projection.shape)}`);
  const want = [[batch, proj], [batch, hidden]];
  states.forEach((s, i) => check(s.ndim === 2 && s.shape[0] === want[i]![0] && s.shape[1] === want[i]![1], () =>
    `state ${i} (${i === 0 ? 'h' : 'c'}) must be ${fmtShape(want[i]!)} for batch ${batch}, got ${fmtShape(s.shape)}`));
  const plan: RnnPlan = { mode, steps, batch, hidden, proj, reverse };
  const cast = (a: NDArray): NDArray => ensureDType(a, dtype);
  const none = NDArray.empty([0], dtype);
  const wsShape = [steps, batch, rnnLayout(plan).wsWidth];
  const x = cast(xproj);
  const ws = apply(workspacePrim, [x], wsShape);
  const inputs = [x, cast(h2hWeight), cast(h2hBias), cast(states[0]!), lstm ? cast(states[1]!) : none, projection ? cast(projection) : none, ws];
  const out = apply(rnnPrim, inputs, plan);
  if (steps === 0) return { output: reshape(out, [0, batch, proj]), states: states.map(cast) };
  const last = reverse ? 0 : steps - 1;
  const output = lstm ? slice(out, [0, 0, 0], [steps, batch, proj]) : out;
  const h = reshape(slice(out, [last, 0, 0], [last + 1, batch, proj]), [batch, proj]);
  if (!lstm) return { output, states: [h] };
  const c = reshape(slice(out, [last, 0, proj], [last + 1, batch, proj + hidden]), [batch, hidden]);
  return { output, states: [h, c] };
}, 4);
