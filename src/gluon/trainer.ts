/**
 * `Trainer`: applies an optimizer to a set of parameters, as Gluon's Trainer does.
 *
 * The Trainer holds Parameter objects, not arrays: it can be built on a network whose parameters
 * are still pending (deferred initialization) and reads each parameter's array and gradient only
 * when `step` runs. `step(batchSize)` divides gradients by the batch size (through the
 * optimizer's `rescaleGrad`), because Gluon's losses return one value per sample and backward
 * sums them. Parameters with `gradReq: 'null'` (frozen) are skipped.
 */
import { DeferredInitializationError, UninitializedParameterError, ValueError } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Optimizer, resolve, type OptimizerOptions, type OptimizerState } from '../optim/index.js';
import { Parameter } from './parameter.js';
import { ParameterDict, pendingMessage, type PendingReport } from './parameter-dict.js';

/** What a Trainer trains: `net.collectParams()`, a list of parameters, or a record of them. */
export type TrainerParams = ParameterDict | readonly Parameter[] | Readonly<Record<string, Parameter>>;

export interface StepOptions {
  /**
   * Accepted for Gluon compatibility. Gluon skips (or complains about) parameters whose gradient
   * no backward refreshed since the last step; tsgluon's autograd does not flag refreshed
   * gradients, so every parameter with a gradient is updated.
   */
  ignoreStaleGrad?: boolean;
}

/** A parameter with its key (structural path for a ParameterDict) and optimizer index. */
interface Entry {
  readonly key: string;
  readonly param: Parameter;
}

function entriesOf(params: TrainerParams): Entry[] {
  let pairs: [string, unknown][];
  if (params instanceof ParameterDict) pairs = params.entries();
  else if (Array.isArray(params)) pairs = (params as readonly unknown[]).map((p) => [p instanceof Parameter ? p.name : '?', p]);
  else if (params !== null && typeof params === 'object' && !(params instanceof Parameter)) pairs = Object.entries(params);
  else throw new ValueError(`Trainer: params must be a ParameterDict (net.collectParams()), a list or a record of Parameters, got ${String(params)}`);
  const seen = new Map<Parameter, string>();
  return pairs.map(([key, p], i) => {
    if (!(p instanceof Parameter)) {
      throw new ValueError(`Trainer: element ${i} (${key}) of params is not a Parameter but ${p === null ? 'null' : typeof p}; pass net.collectParams()`);
    }
    const dup = seen.get(p);
    if (dup !== undefined) throw new ValueError(`Trainer: parameter ${p.name} is listed twice (as ${dup} and ${key}); list each parameter once`);
    seen.set(p, key);
    return { key, param: p };
  });
}

/**
 * Updates parameters from their gradients with an optimizer.
 * @example
 * const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
 * const l = autograd.record(() => loss.forward(net.forward(x), y));
 * l.backward();
 * trainer.step(x.shape[0]);
 */
export class Trainer {
  readonly optimizer: Optimizer;
  readonly #entries: readonly Entry[];
  readonly #dict: ParameterDict | null;
  readonly #states = new Map<number, OptimizerState>();
  /** The optimizer's own rescaleGrad, which `step` divides by the batch size. */
  readonly #scale: number;

  constructor(params: TrainerParams, optimizer: Optimizer | string, optimizerParams: OptimizerOptions & Record<string, unknown> = {}) {
    this.#entries = entriesOf(params);
    this.#dict = params instanceof ParameterDict ? params : null;
    this.optimizer = resolve(optimizer, optimizerParams);
    this.#scale = this.optimizer.rescaleGrad;
    // The optimizer reads lrMult, wdMult and the name from the live Parameter objects.
    this.#entries.forEach((e, i) => this.optimizer.paramDict.set(i, e.param));
  }

  /** The current learning rate (the schedule's value when one drives it). */
  get learningRate(): number {
    return this.optimizer.learningRate;
  }

  set learningRate(lr: number) {
    this.optimizer.setLearningRate(lr);
  }

  /** Sets a fixed learning rate, e.g. to decay it by hand between epochs. */
  setLearningRate(lr: number): void {
    this.optimizer.setLearningRate(lr);
  }

  /** The parameters, keyed as given (structural paths for `net.collectParams()`). */
  get params(): [string, Parameter][] {
    return this.#entries.map((e) => [e.key, e.param]);
  }

  /**
   * One optimization step: gradients are scaled by `1 / batchSize` (times the optimizer's own
   * rescaleGrad) and every parameter with a gradient is updated in place.
   */
  step(batchSize: number, _options: StepOptions = {}): void {
    this.#update(batchSize, 'step');
  }

  /**
   * Sums gradients across devices. tsgluon runs on one device, so this only checks that every
   * parameter is ready; it exists so that code written as `allreduceGrads(); clip; update()` works.
   */
  allreduceGrads(): void {
    this.#checkReady('allreduceGrads');
  }

  /** The update half of `step`, for use after `allreduceGrads` (e.g. with gradient clipping between). */
  update(batchSize: number, _options: StepOptions = {}): void {
    this.#update(batchSize, 'update');
  }

  #update(batchSize: number, where: string): void {
    if (!(typeof batchSize === 'number' && batchSize > 0 && Number.isFinite(batchSize))) {
      throw new ValueError(`Trainer.${where}: batchSize must be a positive number (gradients are divided by it), got ${String(batchSize)}`);
    }
    const trainable = this.#checkReady(where);
    this.optimizer.rescaleGrad = this.#scale / batchSize;
    for (const i of trainable) {
      const { param } = this.#entries[i]!;
      const weight = param.data();
      const grad = param.grad();
      let state = this.#states.get(i);
      if (state === undefined) {
        state = this.optimizer.createState(i, weight);
        this.#states.set(i, state);
      }
      this.optimizer.update(i, weight, grad, state);
    }
  }

  /** Sets every trained parameter's gradient to zero (useful with gradReq 'add'). */
  zeroGrad(): void {
    for (const { param } of this.#entries) param.zeroGrad();
  }

  /** The optimizer's state arrays keyed `<param key>.<state name>`, e.g. `0.weight.mom`. */
  states(): Record<string, NDArray> {
    const out: Record<string, NDArray> = {};
    this.#states.forEach((state, i) => {
      for (const [name, arr] of Object.entries(state)) out[`${this.#entries[i]!.key}.${name}`] = arr;
    });
    return out;
  }

  /**
   * Indices of the parameters to update; throws, before anything is changed, when one of them
   * has no array yet, naming it, its path, and the block no forward has reached.
   */
  #checkReady(where: string): number[] {
    const trainable: number[] = [];
    const pending: Entry[] = [];
    const declared: Entry[] = [];
    this.#entries.forEach((e, i) => {
      if (e.param.gradReq === 'null') return;
      if (e.param.state === 'initialized' || (e.param.state === 'pending' && e.param.shapeKnown)) trainable.push(i);
      else if (e.param.state === 'pending') pending.push(e);
      else declared.push(e);
    });
    if (declared.length > 0) {
      const list = declared.map((e) => `${e.key} (${e.param.name})`).join(', ');
      throw new UninitializedParameterError(
        `Trainer.${where}: ${declared.length === 1 ? 'parameter' : 'parameters'} ${list} ${declared.length === 1 ? 'was' : 'were'} never initialized; ` +
          `call net.initialize() before training`,
      );
    }
    if (pending.length > 0) {
      throw new DeferredInitializationError(`Trainer.${where}: cannot update parameters that have no values yet. ${this.#pendingReport(pending).message}`);
    }
    return trainable;
  }

  #pendingReport(pending: readonly Entry[]): PendingReport {
    if (this.#dict !== null) {
      const report = this.#dict.pendingParams();
      if (report.params.length > 0) return report;
    }
    const params = pending.map((e) => ({ path: e.key, name: e.param.name, shape: e.param.shape }));
    return { params, unreachedBlocks: [], message: pendingMessage(params, []) };
  }
}
