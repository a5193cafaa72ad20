/**
 * Op table rows for rnnRecurrence (every mode, both directions, the LSTM projection, an empty
 * sequence, a hand-computed step) against a float64 oracle written from the equations in
 * src/ops/rnn.ts, with gradient checks of every input; maskedSoftmax rows; and the errors.
 */
import { nd, DTypeError, ShapeError, ValueError } from '../../../src/index.js';
import type { ErrorCase, OpCase } from '../op-table.js';
import { rand, values } from '../op-table-ref.js';

type Mode = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
const GATES: Record<Mode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** The recurrence in plain float64 JavaScript: [output..., h..., c...] flattened. */
function oracle(mode: Mode, reverse: boolean, xs: nd.NDArray[]): number[] {
  const [x, w, b, h0, ...rest] = xs.map(values) as number[][];
  const [T, N, GH] = xs[0]!.shape as [number, number, number];
  const H = GH / GATES[mode];
  const P = xs[3]!.shape[1]!;
  const c0 = mode === 'lstm' ? rest.shift()! : [];
  const whr = rest.shift() ?? null;
  let h = [...h0!];
  let c = [...c0];
  const out = new Array<number>(T * N * P);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const nh = new Array<number>(N * P);
    const nc = new Array<number>(N * H);
    for (let n = 0; n < N; n++) {
      const hh = (g: number) => b![g]! + Array.from({ length: P }, (_, k) => w![g * P + k]! * h[n * P + k]!).reduce((a, v) => a + v, 0);
      const xp = (g: number) => x![(t * N + n) * GH + g]!;
      const r = new Array<number>(H);
      for (let j = 0; j < H; j++) {
        if (mode === 'lstm') {
          const [i, f, g, o] = [0, 1, 2, 3].map((q) => xp(q * H + j) + hh(q * H + j));
          nc[n * H + j] = sig(f!) * c[n * H + j]! + sig(i!) * Math.tanh(g!);
          r[j] = sig(o!) * Math.tanh(nc[n * H + j]!);
        } else if (mode === 'gru') {
          const rg = sig(xp(j) + hh(j));
          const z = sig(xp(H + j) + hh(H + j));
          const cand = Math.tanh(xp(2 * H + j) + rg * hh(2 * H + j));
          r[j] = (1 - z) * cand + z * h[n * P + j]!;
        } else {
          const v = xp(j) + hh(j);
          r[j] = mode === 'rnn_relu' ? Math.max(v, 0) : Math.tanh(v);
        }
      }
      for (let p = 0; p < P; p++) nh[n * P + p] = whr ? r.reduce((a, v, k) => a + whr[p * H + k]! * v, 0) : r[p]!;
    }
    h = nh;
    c = nc;
    for (let i = 0; i < N * P; i++) out[t * N * P + i] = h[i]!;
  }
  return [...out, ...h, ...(mode === 'lstm' ? c : [])];
}

function flat(res: nd.RnnRecurrenceResult): nd.NDArray {
  return nd.concat([res.output.reshape([-1]), ...res.states.map((s) => s.reshape([-1]))]);
}

function row(mode: Mode, reverse: boolean, opts: { T?: number; N?: number; H?: number; P?: number; seed?: number } = {}): OpCase {
  const { T = 3, N = 2, H = 3, seed = 1 } = opts;
  const P = opts.P ?? H;
  const G = GATES[mode];
  const shapes = [[T, N, G * H], [G * H, P], [G * H], [N, P], ...(mode === 'lstm' ? [[N, H]] : []), ...(P !== H ? [[P, H]] : [])];
  return {
    name: `rnnRecurrence ${mode}${reverse ? ' reverse' : ''}${P !== H ? ` projection ${P}` : ''} T=${T}`,
    fn: (...xs) => {
      const [x, w, b, h0, ...rest] = xs;
      const states = mode === 'lstm' ? [h0!, rest.shift()!] : [h0!];
      return flat(nd.rnnRecurrence(x!, w!, b!, states, { mode, reverse, projection: rest.shift() ?? null }));
    },
    inputs: () => shapes.map((s, i) => rand(s, seed * 10 + i, -1, 1)),
    oracle: (...xs) => oracle(mode, reverse, xs),
    grad: T > 0,
    rtol: 1e-5,
    atol: 1e-6,
  };
}

const cases: OpCase[] = [
  ...(['rnn_relu', 'rnn_tanh', 'lstm', 'gru'] as const).flatMap((m) => [row(m, false), row(m, true, { seed: 2 })]),
  row('lstm', false, { P: 2, seed: 3 }),
  row('lstm', true, { P: 2, H: 4, N: 3, seed: 4 }),
  row('gru', false, { T: 0, seed: 5 }),
  {
    name: 'rnnRecurrence rnn_tanh by hand: one unit, two steps',
    fn: (x, w, b, h0) => nd.rnnRecurrence(x!, w!, b!, [h0!], { mode: 'rnn_tanh' }).output,
    inputs: () => [nd.array([[[0.5]], [[-1]]], { dtype: 'float64' }), nd.array([[2]], { dtype: 'float64' }), nd.array([0.25], { dtype: 'float64' }), nd.array([[0.1]], { dtype: 'float64' })],
    expected: [[[Math.tanh(0.5 + 0.25 + 0.2)]], [[Math.tanh(-1 + 0.25 + 2 * Math.tanh(0.95))]]],
    grad: true,
  },
  {
    name: 'maskedSoftmax per batch entry',
    fn: (x) => nd.maskedSoftmax(x!, nd.array([1, 3])),
    inputs: () => [rand([2, 2, 3], 7)],
    oracle: (x) => {
      const v = values(x);
      return [0, 1, 2, 3].flatMap((r) => {
        const keep = r < 2 ? 1 : 3;
        const row = v.slice(r * 3, r * 3 + 3);
        const z = row.slice(0, keep).reduce((a, u) => a + Math.exp(u), 0);
        return row.map((u, j) => (j < keep ? Math.exp(u) / z : 0));
      });
    },
    grad: true,
  },
];

const errors: ErrorCase[] = [
  {
    name: 'rnnRecurrence projection size not divisible by the gates',
    fn: () => nd.rnnRecurrence(nd.zeros([2, 1, 6]), nd.zeros([6, 2]), nd.zeros([6]), [nd.zeros([1, 2]), nd.zeros([1, 2])], { mode: 'lstm' }),
    error: ShapeError,
    message: /rnnRecurrence: the input projection must be \(steps, batch, 4 \* hidden\) for mode 'lstm', got \(2, 1, 6\)/,
  },
  {
    name: 'rnnRecurrence h2h weight of the wrong shape',
    fn: () => nd.rnnRecurrence(nd.zeros([2, 1, 6]), nd.zeros([6, 3]), nd.zeros([6]), [nd.zeros([1, 2])], { mode: 'gru' }),
    error: ShapeError,
    message: /h2hWeight must be \(6, 2\).*\(2, 1, 6\), got \(6, 3\)/,
  },
  {
    name: 'rnnRecurrence LSTM without its cell state',
    fn: () => nd.rnnRecurrence(nd.zeros([2, 1, 8]), nd.zeros([8, 2]), nd.zeros([8]), [nd.zeros([1, 2])], { mode: 'lstm' }),
    error: ValueError,
    message: /mode 'lstm' takes two states \[h, c\], got 1/,
  },
  {
    name: 'rnnRecurrence state of the wrong batch',
    fn: () => nd.rnnRecurrence(nd.zeros([2, 3, 2]), nd.zeros([2, 2]), nd.zeros([2]), [nd.zeros([1, 2])], { mode: 'rnn_tanh' }),
    error: ShapeError,
    message: /state 0 \(h\) must be \(3, 2\) for batch 3, got \(1, 2\)/,
  },
  {
    name: 'rnnRecurrence integer arrays',
    fn: () => nd.rnnRecurrence(nd.zeros([2, 1, 2], { dtype: 'int32' }), nd.zeros([2, 2], { dtype: 'int32' }), nd.zeros([2], { dtype: 'int32' }), [nd.zeros([1, 2], { dtype: 'int32' })], { mode: 'rnn_tanh' }),
    error: DTypeError,
    message: /rnnRecurrence: needs float32 or float64 arrays, got int32/,
  },
  {
    name: 'rnnRecurrence unknown mode',
    fn: () => nd.rnnRecurrence(nd.zeros([2, 1, 2]), nd.zeros([2, 2]), nd.zeros([2]), [nd.zeros([1, 2])], { mode: 'lstmx' as 'lstm' }),
    error: ValueError,
    message: /mode must be one of rnn_relu, rnn_tanh, lstm, gru, got lstmx/,
  },
];

export { cases, errors };
