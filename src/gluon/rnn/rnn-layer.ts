/**
 * Gluon's fused recurrent layers `RNN`, `LSTM` and `GRU`: stacked layers, optionally
 * bidirectional, with dropout between layers, 'TNC' or 'NTC' layout and, for the LSTM, Gluon's
 * projection. Per layer and direction the input projection of all time steps is one GEMM
 * (`fullyConnected` over T*N rows) and the recurrence one `rnnRecurrence` primitive (per step one
 * h2h GEMM and one fused gate kernel).
 *
 * Parameters follow Gluon's names and MXNet's gate order: `l0_i2h_weight` (G*H, inputSize),
 * `l0_h2h_weight` (G*H, H or P), `l0_i2h_bias`, `l0_h2h_bias` (G*H), `l0_h2r_weight` (P, H) with a
 * projection, and `r0_...` for the reverse direction (docs/rnn.md maps them onto PyTorch's
 * `weight_ih_l0`...). The input size of the first layer may be 0: it is then inferred from the
 * first input, through the same deferred initialization as Dense (`paramShapes`), so `inferShape`
 * and `summary` work without data.
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { refuseAbstract } from '../../core/public.js';
import { NDARRAY_OBJECT_BYTES, checkJsArray } from '../../core/limits.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { zeros } from '../../ndarray/creation.js';
import { fullyConnected } from '../../ops/matmul.js';
import { concat, stack } from '../../ops/movement.js';
import { rnnRecurrence, type RnnMode } from '../../ops/rnn.js';
import { reshape, swapAxes } from '../../ops/shape.js';
import { sliceAxis } from '../../ops/slice.js';
import type { InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import type { BlockOptions, ParamShapes } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import { Dropout } from '../nn/basic-layers.js';

/** Options shared by `RNN`, `LSTM` and `GRU`. */
export interface RecurrentLayerOptions extends BlockOptions {
  /** Number of stacked layers (default 1). */
  numLayers?: number;
  /** 'TNC' (default: time, batch, features) or 'NTC' (batch first). */
  layout?: 'TNC' | 'NTC';
  /** Dropout rate applied to the output of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Run a second, reversed direction and concatenate both outputs (default false). */
  bidirectional?: boolean;
  /** Features of the input; 0 (default) infers them from the first input. */
  inputSize?: number;
  i2hWeightInitializer?: InitLike | null;
  h2hWeightInitializer?: InitLike | null;
  /** Default 'zeros'. */
  i2hBiasInitializer?: InitLike | null;
  /** Default 'zeros'. */
  h2hBiasInitializer?: InitLike | null;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

/** The shape and layout of one state, as Gluon's `state_info`. */
export interface StateInfo {
  readonly shape: readonly number[];
  readonly layout: string;
}

/** Options of `beginState`. */
export interface BeginStateOptions {
  /** Creates each state from its shape (default zeros). */
  func?: (shape: readonly number[], dtype: DType) => NDArray;
  dtype?: DType;
}

const GATES: Record<RnnMode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

/** The common machinery of RNN, LSTM and GRU (Gluon's `_RNNLayer`). */
export class RecurrentLayer extends HybridBlock {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly layout: 'TNC' | 'NTC';
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly mode: RnnMode;
  /** The LSTM projection size, or 0 for none. */
  readonly projectionSize: number;
  readonly #dropout: Dropout | null;

  protected constructor(mode: RnnMode, hiddenSize: number, options: RecurrentLayerOptions, projection: { size: number; init: InitLike | null }) {
    super(options);
    refuseAbstract(new.target, RecurrentLayer, 'use rnn.RNN, rnn.LSTM or rnn.GRU');
    const what = this.constructor.name;
    const { numLayers = 1, layout = 'TNC', dropout = 0, bidirectional = false, inputSize = 0, dtype = 'float32' } = options;
    const positive = (v: number, name: string, min: number) => {
      if (!Number.isInteger(v) || v < min) throw new ValueError(`${what}: ${name} must be an integer >= ${min}, got ${fmtValue(v)}`);
    };
    positive(hiddenSize, 'hiddenSize', 1);
    positive(numLayers, 'numLayers', 1);
    // Four parameters per layer and direction, each an object on V8's heap: a huge count is refused, not built.
    checkJsArray(numLayers * 2 * 4, () => `${what}: the parameters of ${numLayers} layers`, NDARRAY_OBJECT_BYTES);
    positive(inputSize, 'inputSize', 0);
    positive(projection.size, 'projectionSize', 0);
    if (layout !== 'TNC' && layout !== 'NTC') throw new ValueError(`${what}: layout must be 'TNC' or 'NTC', got ${fmtValue(layout)}`);
    if (!(dropout >= 0 && dropout <= 1)) throw new ValueError(`${what}: dropout must be in [0, 1], got ${fmtValue(dropout)}`);
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.layout = layout;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.mode = mode;
    this.projectionSize = projection.size;
    this.#dropout = dropout > 0 ? new Dropout(dropout, { prefix: `${this.prefix}dropout_` }) : null;
    const gh = GATES[mode] * hiddenSize;
    const p = projection.size || hiddenSize;
    let ni = inputSize;
    for (let l = 0; l < numLayers; l++) {
      for (const d of this.#directions()) {
        const param = (key: string, shape: number[], init: InitLike | null | undefined, fallback: InitLike | null) =>
          this.params.get(`${d}${l}_${key}`, { shape, dtype, init: init === undefined ? fallback : init, allowDeferredInit: l === 0 && key === 'i2h_weight' });
        param('i2h_weight', [gh, ni], options.i2hWeightInitializer, null);
        param('h2h_weight', [gh, p], options.h2hWeightInitializer, null);
        param('i2h_bias', [gh], options.i2hBiasInitializer, 'zeros');
        param('h2h_bias', [gh], options.h2hBiasInitializer, 'zeros');
        if (projection.size > 0) param('h2r_weight', [p, hiddenSize], projection.init, null);
      }
      ni = p * this.#directions().length;
    }
  }

  #directions(): readonly string[] {
    return this.bidirectional ? ['l', 'r'] : ['l'];
  }

  #param(d: string, l: number, key: string): Parameter {
    return this.params.get(`${d}${l}_${key}`);
  }

  /** The shapes of the states for a batch: [h] or, for the LSTM, [h, c]; each (layers * directions, N, size). */
  stateInfo(batchSize = 0): StateInfo[] {
    const ld = this.numLayers * this.#directions().length;
    const h = { shape: [ld, batchSize, this.projectionSize || this.hiddenSize], layout: 'LNC' };
    return this.mode === 'lstm' ? [h, { shape: [ld, batchSize, this.hiddenSize], layout: 'LNC' }] : [h];
  }

  /**
   * Initial states for a batch, zeros by default (Gluon's `begin_state`).
   * @example const state = lstm.beginState(32); // [h, c], each (1, 32, hiddenSize)
   */
  beginState(batchSize = 0, options: BeginStateOptions = {}): NDArray[] {
    const dtype = options.dtype ?? this.#param('l', 0, 'h2h_weight').dtype;
    const make = options.func ?? ((shape: readonly number[], dt: DType) => zeros(shape, { dtype: dt }));
    return this.stateInfo(batchSize).map((info) => make(info.shape, dtype));
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: forward expects an NDArray, got ${fmtValue(x)}`);
    if (x.ndim !== 3) {
      throw new ShapeError(`${this.name}: the input must be 3-D (${this.layout === 'TNC' ? 'time, batch, features' : 'batch, time, features'}), got ${fmtShape(x.shape)}`);
    }
    const gh = GATES[this.mode] * this.hiddenSize;
    return Object.fromEntries(this.#directions().map((d) => [`${d}0_i2h_weight`, [gh, x.shape[2]!]]));
  }

  /**
   * Runs the layers over a sequence (T, N, C) ('TNC') or (N, T, C) ('NTC'). Without states it
   * starts from zeros and returns the output; with states (from `beginState` or a previous call)
   * it returns [output, new states], as Gluon does.
   */
  override forward(x: NDArray): NDArray;
  override forward(x: NDArray, states: NDArray | readonly NDArray[]): [NDArray, NDArray[]];
  override forward(x: NDArray, states?: NDArray | readonly NDArray[]): NDArray | [NDArray, NDArray[]] {
    let seq = this.layout === 'NTC' ? swapAxes(x, 0, 1) : x;
    const batch = seq.shape[1]!;
    const given = states === undefined ? this.beginState(batch) : states instanceof NDArray ? [states] : [...states];
    this.#checkStates(given, batch);
    const dirs = this.#directions();
    const outH: NDArray[] = [];
    const outC: NDArray[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: NDArray[] = [];
      dirs.forEach((d, di) => {
        const at = l * dirs.length + di;
        const pick = (s: NDArray) => reshape(s.shape[0] === 1 ? s : sliceAxis(s, 0, at, at + 1), s.shape.slice(1));
        const xproj = fullyConnected(seq, this.#param(d, l, 'i2h_weight').data(), this.#param(d, l, 'i2h_bias').data(), { flatten: false });
        const res = rnnRecurrence(xproj, this.#param(d, l, 'h2h_weight').data(), this.#param(d, l, 'h2h_bias').data(), given.map(pick), {
          mode: this.mode,
          reverse: d === 'r',
          projection: this.projectionSize > 0 ? this.#param(d, l, 'h2r_weight').data() : null,
        });
        outs.push(res.output);
        outH.push(res.states[0]!);
        if (res.states[1]) outC.push(res.states[1]);
      });
      seq = outs.length === 1 ? outs[0]! : concat(outs, { axis: 2 });
      if (this.#dropout !== null && l < this.numLayers - 1) seq = this.#dropout.forward(seq);
    }
    const output = this.layout === 'NTC' ? swapAxes(seq, 0, 1) : seq;
    if (states === undefined) return output;
    const gather = (list: NDArray[]) => (list.length === 1 ? reshape(list[0]!, [1, ...list[0]!.shape]) : stack(list, { axis: 0 }));
    return [output, this.mode === 'lstm' ? [gather(outH), gather(outC)] : [gather(outH)]];
  }

  #checkStates(states: readonly NDArray[], batch: number): void {
    const info = this.stateInfo(batch);
    const want = info.map((i) => fmtShape(i.shape)).join(' and ');
    if (states.length !== info.length || states.some((s, i) => !(s instanceof NDArray) || s.ndim !== 3 || s.shape.some((d, k) => d !== info[i]!.shape[k]))) {
      const got = states.map((s) => (s instanceof NDArray ? fmtShape(s.shape) : fmtValue(s))).join(' and ');
      throw new ShapeError(
        `${this.name}: invalid recurrent state for a batch of ${batch}: expecting ${info.length === 2 ? '[h, c] of shapes ' : 'one state of shape '}${want}, got ${got || 'none'}; ` +
          `make them with ${this.name}.beginState(${batch})`,
      );
    }
  }

  /** Gluon's form: `LSTM(None -> 256, TNC)`, `GRU(10 -> 20, NTC, num_layers=2, bidirectional)`. */
  override toString(): string {
    const inSize = this.#param('l', 0, 'i2h_weight').shape[1] || 'None';
    let s = `${this.constructor.name}(${inSize} -> ${this.hiddenSize}, ${this.layout}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional';
    return `${s})`;
  }
}

/** Options of `new rnn.RNN(hiddenSize, options)`. */
export interface RNNOptions extends RecurrentLayerOptions {
  /** 'relu' (Gluon's default) or 'tanh'. */
  activation?: 'relu' | 'tanh';
}

/**
 * Elman RNN layer: h_t = act(x_t W_i2hᵀ + b_i2h + h_{t-1} W_h2hᵀ + b_h2h).
 * @example
 * const layer = new rnn.RNN(100, { numLayers: 2, activation: 'tanh' });
 * layer.initialize();
 * const [out, [h]] = layer.forward(nd.random.uniform({ shape: [5, 3, 10] }), layer.beginState(3)); // (5, 3, 100), (2, 3, 100)
 */
export class RNN extends RecurrentLayer {
  constructor(hiddenSize: number, options: RNNOptions = {}) {
    const act = options?.activation ?? 'relu';
    if (act !== 'relu' && act !== 'tanh') throw new ValueError(`RNN: activation must be 'relu' or 'tanh', got ${fmtValue(act)}`);
    super(act === 'relu' ? 'rnn_relu' : 'rnn_tanh', hiddenSize, options, { size: 0, init: null });
  }
}

/** Options of `new rnn.LSTM(hiddenSize, options)`. */
export interface LSTMOptions extends RecurrentLayerOptions {
  /** Project h to this many features with `h2r_weight` (Gluon's projection_size); 0 or absent: none. */
  projectionSize?: number;
  h2rWeightInitializer?: InitLike | null;
}

/**
 * Long short-term memory layer; gates i, f, g, o in MXNet's (and PyTorch's) order.
 * @example
 * const lstm = new rnn.LSTM(256);                 // input size inferred at the first forward
 * lstm.initialize();
 * const y = lstm.forward(nd.zeros([35, 32, 28])); // (35, 32, 256)
 */
export class LSTM extends RecurrentLayer {
  constructor(hiddenSize: number, options: LSTMOptions = {}) {
    // Options that are not an object are refused by Block, with the layer's name.
    super('lstm', hiddenSize, options, { size: options?.projectionSize ?? 0, init: options?.h2rWeightInitializer ?? null });
  }
}

/**
 * Gated recurrent unit layer; gates r, z, n in MXNet's (and PyTorch's) order, with the reset gate
 * applied after the h2h product (n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))).
 * @example new rnn.GRU(64, { layout: 'NTC', bidirectional: true })
 */
export class GRU extends RecurrentLayer {
  constructor(hiddenSize: number, options: RecurrentLayerOptions = {}) {
    super('gru', hiddenSize, options, { size: 0, init: null });
  }
}
