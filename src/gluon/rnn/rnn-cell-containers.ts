/**
 * Cells made of cells, as in Gluon: `SequentialRNNCell` (stacks cells, each one's output the
 * next one's input), `DropoutCell` (dropout on the step output), `ResidualCell` (adds the input
 * to a cell's output) and `BidirectionalCell` (a cell forward and one backward in time, outputs
 * concatenated; only `unroll`, as in Gluon). States of a container are its children's, in order.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { concat } from '../../ops/movement.js';
import { Dropout } from '../nn/basic-layers.js';
import type { BlockOptions } from '../block.js';
import type { BeginStateOptions, StateInfo } from './rnn-layer.js';
import { RecurrentCell, residual } from './rnn-cell.js';

/** Splits `states` into consecutive groups sized like each cell's states. */
function partition(cells: readonly RecurrentCell[], states: readonly NDArray[], who: string): NDArray[][] {
  const sizes = cells.map((c) => c.stateInfo().length);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (states.length !== total) throw new ValueError(`${who}: expected ${total} states (${sizes.join(' + ')} for its cells), got ${states.length}`);
  let at = 0;
  return sizes.map((n) => states.slice(at, (at += n)));
}

/**
 * Stacks cells (Gluon's `SequentialRNNCell`).
 * @example
 * const stack = new rnn.SequentialRNNCell();
 * stack.add(new rnn.LSTMCell(32), new rnn.DropoutCell(0.5), new rnn.LSTMCell(32));
 */
export class SequentialRNNCell extends RecurrentCell {
  readonly #cells: RecurrentCell[] = [];

  constructor(options: BlockOptions = {}) {
    super(options);
  }

  /** Appends cells, in order. */
  add(...cells: RecurrentCell[]): this {
    for (const c of cells) {
      if (!(c instanceof RecurrentCell)) throw new ValueError(`${this.name}.add: expected recurrent cells, got ${fmtValue(c)}`);
      this.registerChild(c, String(this.#cells.length));
      this.#cells.push(c);
    }
    return this;
  }

  /** The cell at index i. */
  get(i: number): RecurrentCell {
    const c = this.#cells[i < 0 ? this.#cells.length + i : i];
    if (c === undefined) throw new ValueError(`${this.name}.get(${i}): index out of range for ${this.#cells.length} cells`);
    return c;
  }

  get length(): number {
    return this.#cells.length;
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return this.#cells.flatMap((c) => c.stateInfo(batchSize));
  }

  override beginState(batchSize = 0, options: BeginStateOptions = {}): NDArray[] {
    return this.#cells.flatMap((c) => c.beginState(batchSize, options));
  }

  override reset(): void {
    for (const c of this.#cells) c.reset();
  }

  protected override step(x: NDArray, states: readonly NDArray[]): [NDArray, NDArray[]] {
    const groups = partition(this.#cells, states, this.name);
    const next: NDArray[] = [];
    let h = x;
    this.#cells.forEach((c, i) => {
      const [out, st] = c.forward(h, groups[i]!);
      h = out;
      next.push(...st);
    });
    return [h, next];
  }

  /** Unrolls cell by cell, so a BidirectionalCell inside sees the whole sequence. */
  override unrollSteps(steps: readonly NDArray[], begin: NDArray[], validLength: NDArray | null): [NDArray[], NDArray[]] {
    const groups = partition(this.#cells, begin, this.name);
    const next: NDArray[] = [];
    let seq = [...steps];
    this.#cells.forEach((c, i) => {
      const [outs, st] = c.unrollSteps(seq, groups[i]!, validLength);
      seq = outs;
      next.push(...st);
    });
    return [seq, next];
  }
}

/** Options of `DropoutCell`. */
export interface DropoutCellOptions extends BlockOptions {
  /** Axes along which one mask value is shared. */
  axes?: readonly number[];
}

/**
 * Dropout on each step's output in training mode; no states.
 * @example new rnn.DropoutCell(0.5)
 */
export class DropoutCell extends RecurrentCell {
  static override readonly alias = 'dropout';
  readonly rate: number;
  readonly #dropout: Dropout;

  constructor(rate: number, options: DropoutCellOptions = {}) {
    super(options);
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new ValueError(`DropoutCell: rate must be in [0, 1], got ${fmtValue(rate)}`);
    this.#dropout = new Dropout(rate, { prefix: `${this.prefix}dropout_`, axes: options.axes ?? [] });
    this.rate = rate;
  }

  override stateInfo(): StateInfo[] {
    return [];
  }

  protected override step(x: NDArray, states: readonly NDArray[]): [NDArray, NDArray[]] {
    return [this.#dropout.forward(x), [...states]];
  }

  override toString(): string {
    return `DropoutCell(rate=${this.rate}, axes=(${this.#dropout.axes.join(', ')}${this.#dropout.axes.length === 1 ? ',' : ''}))`;
  }
}

/**
 * Adds each step's input to the base cell's output (Gluon's `ResidualCell`).
 * @example new rnn.ResidualCell(new rnn.GRUCell(16, { inputSize: 16 }))
 */
export class ResidualCell extends RecurrentCell {
  readonly baseCell: RecurrentCell;

  constructor(baseCell: RecurrentCell, options: BlockOptions = {}) {
    super(options);
    if (!(baseCell instanceof RecurrentCell)) throw new ValueError(`ResidualCell: the base cell must be a recurrent cell, got ${fmtValue(baseCell)}`);
    this.baseCell = baseCell;
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return this.baseCell.stateInfo(batchSize);
  }

  override beginState(batchSize = 0, options: BeginStateOptions = {}): NDArray[] {
    return this.baseCell.beginState(batchSize, options);
  }

  protected override step(x: NDArray, states: readonly NDArray[]): [NDArray, NDArray[]] {
    const [out, next] = this.baseCell.forward(x, states);
    return [residual(out, x, this.name), next];
  }

  override unrollSteps(steps: readonly NDArray[], begin: NDArray[], validLength: NDArray | null): [NDArray[], NDArray[]] {
    const [outs, next] = this.baseCell.unrollSteps(steps, begin, validLength);
    return [outs.map((o, t) => residual(o, steps[t]!, this.name)), next];
  }
}

/**
 * Runs `lCell` forward and `rCell` backward in time and concatenates their outputs along the
 * feature axis; states are lCell's then rCell's. Only `unroll` (a step needs the whole sequence).
 * @example
 * const bi = new rnn.BidirectionalCell(new rnn.LSTMCell(8), new rnn.LSTMCell(8));
 * bi.initialize();
 * const [out] = bi.unroll(4, nd.zeros([2, 4, 3]), { mergeOutputs: true }); // (2, 4, 16)
 */
export class BidirectionalCell extends RecurrentCell {
  static override readonly alias = 'bi';
  readonly lCell: RecurrentCell;
  readonly rCell: RecurrentCell;

  constructor(lCell: RecurrentCell, rCell: RecurrentCell, options: BlockOptions = {}) {
    super(options);
    for (const c of [lCell, rCell]) if (!(c instanceof RecurrentCell)) throw new ValueError(`BidirectionalCell: both cells must be recurrent cells, got ${fmtValue(c)}`);
    this.lCell = lCell;
    this.rCell = rCell;
  }

  override stateInfo(batchSize = 0): StateInfo[] {
    return [...this.lCell.stateInfo(batchSize), ...this.rCell.stateInfo(batchSize)];
  }

  override beginState(batchSize = 0, options: BeginStateOptions = {}): NDArray[] {
    return [...this.lCell.beginState(batchSize, options), ...this.rCell.beginState(batchSize, options)];
  }

  protected override step(): [NDArray, NDArray[]] {
    throw new ValueError(`${this.name}: a BidirectionalCell cannot be stepped (the backward direction needs the whole sequence); use unroll`);
  }

  override unrollSteps(steps: readonly NDArray[], begin: NDArray[], validLength: NDArray | null): [NDArray[], NDArray[]] {
    if (validLength !== null) throw new ValueError(`${this.name}.unroll: validLength is not supported by BidirectionalCell; pad the sequences to one length`);
    const [lBegin, rBegin] = partition([this.lCell, this.rCell], begin, this.name);
    const [lOut, lStates] = this.lCell.unrollSteps(steps, lBegin!, null);
    const [rOut, rStates] = this.rCell.unrollSteps([...steps].reverse(), rBegin!, null);
    rOut.reverse();
    return [lOut.map((o, t) => concat([o, rOut[t]!], { axis: 1 })), [...lStates, ...rStates]];
  }
}
