/**
 * Gluon's recurrent cells: one time step at a time. `RNNCell`, `LSTMCell` and `GRUCell` hold
 * `i2h_weight` (G*H, inputSize, deferred when 0), `h2h_weight` (G*H, H), `i2h_bias`, `h2h_bias`
 * and compute a step as the layers do (`fullyConnected` for i2h, then the fused `rnnRecurrence`
 * kernel over one step), so a cell and a one-layer `RNN`/`LSTM`/`GRU` with the same weights give
 * the same numbers. `cell.forward(x, states)` returns `[output, newStates]` and `unroll` runs a
 * whole sequence. The containers and modifiers (`SequentialRNNCell`, `DropoutCell`,
 * `ResidualCell`, `BidirectionalCell`) are in rnn-cell-containers.ts.
 */
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { refuseAbstract } from '../../core/public.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { zeros } from '../../ndarray/creation.js';
import { add, greater } from '../../ops/binary.js';
import { astype } from '../../ops/cast.js';
import { where } from '../../ops/indexing.js';
import { fullyConnected } from '../../ops/matmul.js';
import { split, stack } from '../../ops/movement.js';
import { rnnRecurrence, type RnnMode } from '../../ops/rnn.js';
import { reshape } from '../../ops/shape.js';
import type { InitLike } from '../../init/builtins.js';
import type { Parameter } from '../parameter.js';
import type { BlockOptions, ParamShapes } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';
import type { BeginStateOptions, StateInfo } from './rnn-layer.js';

/** Options of `cell.unroll(length, inputs, options)`. */
export interface UnrollOptions {
  /** Initial states (default `beginState` zeros). */
  beginState?: readonly NDArray[];
  /** 'NTC' (default, batch first) or 'TNC' for a merged input or output. */
  layout?: 'NTC' | 'TNC';
  /** Stack the outputs into one array (default: the same form as the inputs). */
  mergeOutputs?: boolean;
  /**
   * (N,) number of valid steps per sample: later outputs are zero and the states returned are
   * those after each sample's last valid step.
   */
  validLength?: NDArray;
}

/**
 * Base class of cells (Gluon's `RecurrentCell`): `stateInfo`, `beginState`, `forward(x, states)`
 * for one step and `unroll` for a sequence.
 */
export abstract class RecurrentCell extends HybridBlock {
  constructor(options: BlockOptions = {}) {
    super(options);
    refuseAbstract(new.target, RecurrentCell, 'use rnn.RNNCell, rnn.LSTMCell, rnn.GRUCell or a container such as rnn.SequentialRNNCell');
  }

  /** The shapes of the states for a batch. */
  abstract stateInfo(batchSize?: number): StateInfo[];

  /** Initial states, zeros by default (Gluon's `begin_state`). */
  beginState(batchSize = 0, options: BeginStateOptions = {}): NDArray[] {
    const make = options.func ?? ((shape: readonly number[], dt: DType) => zeros(shape, { dtype: dt }));
    return this.stateInfo(batchSize).map((info) => make(info.shape, options.dtype ?? 'float32'));
  }

  /** Resets per-sequence bookkeeping before a new unroll (kept for Gluon compatibility). */
  reset(): void {}

  /**
   * One step: `forward(x, states)` returns [output, newStates] as Gluon's cells do; `forward(x)`
   * starts from `beginState` zeros and returns the output only, as the layers do.
   */
  override forward(x: NDArray): NDArray;
  override forward(x: NDArray, states: readonly NDArray[]): [NDArray, NDArray[]];
  override forward(x: NDArray, states?: readonly NDArray[]): NDArray | [NDArray, NDArray[]] {
    if (states !== undefined) return this.step(x, states);
    if (!NDArray.isInstance(x) || x.ndim < 1) throw new ShapeError(`${this.name}: a step's input must be (batch, features), got ${x instanceof NDArray ? fmtShape(x.shape) : fmtValue(x)}`);
    return this.step(x, this.beginState(x.shape[0]!, { dtype: x.dtype === 'float64' ? 'float64' : 'float32' }))[0];
  }

  /** The step itself, given the states; each cell implements it. */
  protected abstract step(x: NDArray, states: readonly NDArray[]): [NDArray, NDArray[]];

  /**
   * Runs the cell over `length` steps. `inputs` is one array ((N, T, C) for 'NTC', (T, N, C) for
   * 'TNC') or a list of (N, C) steps. Returns [outputs, states]: outputs merged into one array
   * when `mergeOutputs` (default: when the input was one array), else a list.
   * @example const [outputs, states] = cell.unroll(3, nd.zeros([2, 3, 5]), { mergeOutputs: true });
   */
  unroll(length: number, inputs: NDArray | readonly NDArray[], options: UnrollOptions = {}): [NDArray | NDArray[], NDArray[]] {
    const { layout = 'NTC', validLength } = options;
    if (layout !== 'NTC' && layout !== 'TNC') throw new ValueError(`${this.name}.unroll: layout must be 'NTC' or 'TNC', got ${fmtValue(layout)}`);
    const axis = layout === 'NTC' ? 1 : 0;
    const steps = inputs instanceof NDArray ? (inputs.shape[axis] === 0 ? [] : split(inputs, inputs.shape[axis]!, { axis, squeezeAxis: true })) : [...inputs];
    if (steps.length !== length) {
      throw new ShapeError(`${this.name}.unroll: length is ${length} but the inputs have ${steps.length} steps${inputs instanceof NDArray ? ` (shape ${fmtShape(inputs.shape)}, layout ${layout})` : ''}`);
    }
    if (length === 0 && options.beginState === undefined) throw new ValueError(`${this.name}.unroll: an empty sequence needs beginState (the batch size is unknown)`);
    const begin = options.beginState ? [...options.beginState] : this.beginState(steps[0]!.shape[0]!, { dtype: steps[0]!.dtype === 'float64' ? 'float64' : 'float32' });
    this.reset();
    const [outs, states] = this.unrollSteps(steps, begin, validLength ?? null);
    const merge = options.mergeOutputs ?? inputs instanceof NDArray;
    return [merge ? stack(outs, { axis }) : outs, states];
  }

  /** @internal Runs the steps (N, C) from `begin`; containers override it to unroll child by child. */
  unrollSteps(steps: readonly NDArray[], begin: NDArray[], validLength: NDArray | null): [NDArray[], NDArray[]] {
    let states = begin;
    const outs: NDArray[] = [];
    steps.forEach((x, t) => {
      const [out, next] = this.forward(x, states);
      if (validLength === null) {
        outs.push(out);
        states = next;
        return;
      }
      // Samples past their valid length keep their states and output zeros.
      const live = reshape(greater(astype(validLength, out.dtype), t), [validLength.size, 1]);
      outs.push(where(live, out, 0));
      states = next.map((s, i) => where(reshape(live, [live.shape[0]!, ...s.shape.slice(1).map(() => 1)]), s, states[i]!));
    });
    return [outs, states];
  }
}

/** Options of the gated cells. */
export interface CellOptions extends BlockOptions {
  /** Features of the input; 0 (default) infers them from the first input. */
  inputSize?: number;
  i2hWeightInitializer?: InitLike | null;
  h2hWeightInitializer?: InitLike | null;
  i2hBiasInitializer?: InitLike | null;
  h2hBiasInitializer?: InitLike | null;
  dtype?: DType;
}

const GATES: Record<RnnMode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

/** RNNCell, LSTMCell and GRUCell: the four parameters and one fused step. */
abstract class GatedCell extends RecurrentCell {
  readonly hiddenSize: number;
  readonly i2hWeight: Parameter;
  readonly h2hWeight: Parameter;
  readonly i2hBias: Parameter;
  readonly h2hBias: Parameter;
  readonly #mode: RnnMode;

  constructor(mode: RnnMode, hiddenSize: number, options: CellOptions) {
    super(options);
    const what = this.constructor.name;
    const inputSize = options.inputSize ?? 0;
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1) throw new ValueError(`${what}: hiddenSize must be a positive integer, got ${fmtValue(hiddenSize)}`);
    if (!Number.isInteger(inputSize) || inputSize < 0) throw new ValueError(`${what}: inputSize must be a non-negative integer (0 = infer), got ${fmtValue(inputSize)}`);
    this.hiddenSize = hiddenSize;
    this.#mode = mode;
    const gh = GATES[mode] * hiddenSize;
    const dtype = options.dtype ?? 'float32';
    const pick = (v: InitLike | null | undefined, fallback: InitLike | null) => (v === undefined ? fallback : v);
    this.i2hWeight = this.params.get('i2h_weight', { shape: [gh, inputSize], dtype, init: pick(options.i2hWeightInitializer, null), allowDeferredInit: true });
    this.h2hWeight = this.params.get('h2h_weight', { shape: [gh, hiddenSize], dtype, init: pick(options.h2hWeightInitializer, null) });
    this.i2hBias = this.params.get('i2h_bias', { shape: [gh], dtype, init: pick(options.i2hBiasInitializer, 'zeros') });
    this.h2hBias = this.params.get('h2h_bias', { shape: [gh], dtype, init: pick(options.h2hBiasInitializer, 'zeros') });
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    const h = { shape: [batchSize, this.hiddenSize], layout: 'NC' };
    return this.#mode === 'lstm' ? [h, { ...h }] : [h];
  }

  protected override paramShapes(x: NDArray): ParamShapes {
    if (!NDArray.isInstance(x) || x.ndim !== 2) {
      throw new ShapeError(`${this.name}: a step's input must be 2-D (batch, features), got ${x instanceof NDArray ? fmtShape(x.shape) : fmtValue(x)}`);
    }
    return { i2h_weight: [GATES[this.#mode] * this.hiddenSize, x.shape[1]!] };
  }

  protected override step(x: NDArray, states: readonly NDArray[]): [NDArray, NDArray[]] {
    const n = x.shape[0]!;
    const xproj = fullyConnected(x, this.i2hWeight.data(), this.i2hBias.data());
    const res = rnnRecurrence(reshape(xproj, [1, ...xproj.shape]), this.h2hWeight.data(), this.h2hBias.data(), states, { mode: this.#mode });
    const h = res.states[0]!;
    return [reshape(res.output, [n, h.shape[1]!]), res.states];
  }

  /** Gluon's form: `LSTMCell(None -> 100)`. */
  override toString(): string {
    return `${this.constructor.name}(${this.i2hWeight.shape[1] || 'None'} -> ${this.hiddenSize}${this.#mode.startsWith('rnn_') ? `, ${this.#mode.slice(4)}` : ''})`;
  }
}

/** Options of `RNNCell`. */
export interface RNNCellOptions extends CellOptions {
  /** 'tanh' (Gluon's default for the cell) or 'relu'. */
  activation?: 'tanh' | 'relu';
}

/**
 * Elman RNN cell: h' = act(x W_i2hᵀ + b_i2h + h W_h2hᵀ + b_h2h).
 * @example
 * const cell = new rnn.RNNCell(8);
 * cell.initialize();
 * const [out, [h]] = cell.forward(nd.ones([2, 4]), cell.beginState(2));
 */
export class RNNCell extends GatedCell {
  static override readonly alias = 'rnn';
  constructor(hiddenSize: number, options: RNNCellOptions = {}) {
    const act = options?.activation ?? 'tanh';
    if (act !== 'relu' && act !== 'tanh') throw new ValueError(`RNNCell: activation must be 'tanh' or 'relu', got ${fmtValue(act)}`);
    super(act === 'relu' ? 'rnn_relu' : 'rnn_tanh', hiddenSize, options);
  }
}

/**
 * LSTM cell (states [h, c]); gates i, f, g, o as in MXNet.
 * @example
 * const cell = new rnn.LSTMCell(100);
 * cell.initialize();
 * const [outputs, states] = cell.unroll(3, nd.zeros([2, 3, 10]), { mergeOutputs: true }); // (2, 3, 100)
 */
export class LSTMCell extends GatedCell {
  static override readonly alias = 'lstm';
  constructor(hiddenSize: number, options: CellOptions = {}) {
    super('lstm', hiddenSize, options);
  }
}

/**
 * GRU cell; gates r, z, n as in MXNet, the reset gate applied after the h2h product.
 * @example new rnn.GRUCell(64, { inputSize: 32 })
 */
export class GRUCell extends GatedCell {
  static override readonly alias = 'gru';
  constructor(hiddenSize: number, options: CellOptions = {}) {
    super('gru', hiddenSize, options);
  }
}

/** Adds the step input to the step output (used by ResidualCell). */
export function residual(out: NDArray, x: NDArray, who: string): NDArray {
  if (out.ndim !== x.ndim || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError(`${who}: the residual connection adds the input ${fmtShape(x.shape)} to the output ${fmtShape(out.shape)}; their shapes must match`);
  }
  return add(out, x);
}
