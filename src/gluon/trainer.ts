/**
 * `Trainer`: applies an optimizer to a set of parameters, as Gluon's Trainer does.
 *
 * The Trainer holds Parameter objects, not arrays: it can be built on a network whose parameters
 * are still pending (deferred initialization) and reads each parameter's array and gradient only
 * when `step` runs. `step(batchSize)` divides gradients by the batch size (through the
 * optimizer's `rescaleGrad`), because Gluon's losses return one value per sample and backward
 * sums them. Parameters with `gradReq: 'null'` (frozen) are skipped. With `kvstore: 'dist_sync'`
 * gradients are averaged across the ranks of an MPI job before each update (trainer-dist.ts).
 */
import { AutogradError, DeferredInitializationError, FormatError, ShapeError, UninitializedParameterError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkOptions, relabel } from '../core/public.js';
import { shapesEqual } from '../core/shape.js';
import { NDArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { load, save } from '../io/file.js';
import { Optimizer, resolve, type OptimizerOptions, type OptimizerState } from '../optim/index.js';
import { Parameter } from './parameter.js';
import { ParameterDict, pendingMessage, type PendingReport } from './parameter-dict.js';
import type { ReducerStats } from '../dist/reducer.js';
import { distSyncFor, type DistSync, type TrainerOptions } from './trainer-dist.js';

/** A parameter's gradient was not refreshed by a backward since the last optimizer step. */
export class StaleGradientError extends AutogradError {}

/** What a Trainer trains: `net.collectParams()`, a list of parameters, or a record of them. */
export type TrainerParams = ParameterDict | readonly Parameter[] | Readonly<Record<string, Parameter>>;

/** Options of `trainer.step` and `trainer.update`. */
export interface StepOptions {
  /**
   * Skip parameters whose gradient no backward refreshed since the last step (for example a
   * branch of the network this batch did not use) instead of raising a StaleGradientError.
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
  else throw new ValueError(`Trainer: params must be a ParameterDict (net.collectParams()), a list or a record of Parameters, got ${fmtValue(params)}`);
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
  /** States loaded for parameters whose arrays did not exist yet. */
  readonly #loaded = new Map<number, Record<string, NDArray>>();
  /** The optimizer's own rescaleGrad, which `step` divides by the batch size. */
  readonly #scale: number;
  readonly #dist: DistSync | null;

  constructor(
    params: TrainerParams,
    optimizer: Optimizer | string,
    optimizerParams: OptimizerOptions & Record<string, unknown> = {},
    options: TrainerOptions = {},
  ) {
    try {
      checkOptions('Trainer', optimizerParams);
      checkOptions('Trainer', options);
      this.#entries = entriesOf(params);
      if (this.#entries.length === 0) {
        throw new ValueError(
          'Trainer: params holds no parameter, so step() would silently train nothing; pass net.collectParams() of a network that has parameters ' +
            '(a network built with blocks as fields or registered children)',
        );
      }
      if (typeof optimizer !== 'string' && !(optimizer instanceof Optimizer)) {
        throw new ValueError(`Trainer: the optimizer must be a name such as 'sgd' or an Optimizer instance, got ${fmtValue(optimizer)}`);
      }
      this.optimizer = resolve(optimizer, optimizerParams);
      this.#dist = distSyncFor(this.#entries.map((e) => e.param), options);
    } catch (e) {
      throw relabel(e, 'Trainer');
    }
    this.#dict = params instanceof ParameterDict ? params : null;
    this.#scale = this.optimizer.rescaleGrad;
    // The optimizer reads lrMult, wdMult and the name from the live Parameter objects.
    this.#entries.forEach((e, i) => this.optimizer.paramDict.set(i, e.param));
  }

  /** 'dist_sync' when gradients are averaged across MPI ranks, else 'device'. */
  get kvstore(): 'device' | 'dist_sync' {
    return this.#dist === null ? 'device' : 'dist_sync';
  }

  /** @internal With 'dist_sync': steps, seconds spent waiting for gradient allreduces, buckets. */
  get _distStats(): ReducerStats | null {
    return this.#dist?.stats ?? null;
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
  step(batchSize: number, options: StepOptions = {}): void {
    this.#update(batchSize, 'step', options, this.#allreduce('step'));
  }

  /**
   * Combines gradients across devices. With kvstore 'dist_sync' it averages them across the ranks
   * of the MPI job; on one device it only checks that every parameter is ready, so that code
   * written as `allreduceGrads(); clip; update()` works everywhere.
   */
  allreduceGrads(): void {
    this.#allreduce('allreduceGrads');
  }

  /** The update half of `step`, for use after `allreduceGrads` (e.g. with gradient clipping between). */
  update(batchSize: number, options: StepOptions = {}): void {
    if (this.#dist !== null && !this.#dist.reduced) {
      throw new ValueError(
        "Trainer.update: with kvstore 'dist_sync' the gradients of the last backward were not averaged across ranks yet; " +
          'call trainer.allreduceGrads() before trainer.update(), or use trainer.step(batchSize), which does both',
      );
    }
    this.#update(batchSize, 'update', options);
  }

  /** Checks that every parameter is ready and reduces gradients across ranks; returns the trainable ones. */
  #allreduce(where: string): number[] {
    const ready = this.#checkReady(where);
    this.#dist?.allreduce(ready.map((i) => this.#entries[i]!.param));
    return ready;
  }

  /** `ready`: the trainable parameters when `#allreduce` just checked them (step), else checked here. */
  #update(batchSize: number, where: string, options: StepOptions, ready = this.#checkReady(where)): void {
    // Runs every step: the name in messages is built only for an error.
    checkOptions(where === 'step' ? 'Trainer.step' : 'Trainer.update', options);
    if (!(typeof batchSize === 'number' && batchSize > 0 && Number.isFinite(batchSize))) {
      throw new ValueError(`Trainer.${where}: batchSize must be a positive number (gradients are divided by it), got ${String(batchSize)}`);
    }
    let stale: number[] | null = null;
    for (let k = 0; k < ready.length; k++) if (!this.#entries[ready[k]!]!.param.data()._gradFresh) (stale ??= []).push(ready[k]!);
    if (stale !== null && !options.ignoreStaleGrad) {
      const names = stale.map((i) => `${this.#entries[i]!.param.name} (${this.#entries[i]!.key})`).join(', ');
      throw new StaleGradientError(
        `Trainer.${where}: the gradient of ${names} was not updated by a backward since the last step. ` +
          `Either the forward did not use ${stale.length === 1 ? 'this parameter' : 'these parameters'} (a bug, or a branch this batch skipped) ` +
          `or backward was not called; if only part of the network is used on purpose, call step(batchSize, { ignoreStaleGrad: true }) to skip them`,
      );
    }
    this.optimizer.rescaleGrad = this.#scale / batchSize;
    for (let k = 0; k < ready.length; k++) {
      const i = ready[k]!;
      const { param } = this.#entries[i]!;
      const weight = param.data();
      if (!weight._gradFresh) continue;
      this.optimizer.update(i, weight, param.grad(), this.#stateFor(i, weight));
      weight._gradFresh = false;
    }
  }

  /** Sets every trained parameter's gradient to zero (useful with gradReq 'add'). */
  zeroGrad(): void {
    for (const { param } of this.#entries) param.zeroGrad();
  }

  /**
   * The optimizer's state as arrays (copies): `states.<key>.<name>` for each state array (e.g.
   * `states.0.weight.mom`) and `counts.<key>`, the parameter's update count (Adam's bias
   * correction and schedules depend on it).
   */
  stateDict(): Record<string, NDArray> {
    const out: Record<string, NDArray> = {};
    this.#entries.forEach(({ key }, i) => {
      const state = this.#states.get(i);
      if (state !== undefined) for (const [name, arr] of Object.entries(state)) out[`states.${key}.${name}`] = array(arr);
      const t = this.optimizer.updateCount(i);
      if (t > 0 || state !== undefined) out[`counts.${key}`] = array([t], { dtype: 'int32' });
    });
    return out;
  }

  /**
   * Restores what `stateDict` returned. States of parameters still pending are kept and applied
   * when their arrays exist. Keys naming no parameter of this Trainer are an error.
   */
  loadStateDict(dict: Readonly<Record<string, NDArray>>): void {
    const byKey = new Map(this.#entries.map((e, i) => [e.key, i]));
    const staged = new Map<number, Record<string, NDArray>>();
    const counts = new Map<number, number>();
    for (const [k, arr] of Object.entries(dict)) {
      if (!NDArray.isInstance(arr)) throw new ValueError(`Trainer.loadStates: entry ${k} is not an NDArray`);
      const [kind, ...rest] = k.split('.');
      const match = kind === 'counts' ? rest.join('.') : kind === 'states' ? rest.slice(0, -1).join('.') : null;
      const index = match === null ? undefined : byKey.get(match);
      if (index === undefined) {
        throw new FormatError(
          `Trainer.loadStates: entry ${JSON.stringify(k)} names no parameter of this Trainer; expected 'states.<key>.<name>' or 'counts.<key>' ` +
            `with keys among: ${[...byKey.keys()].join(', ')}`,
        );
      }
      if (kind === 'counts') counts.set(index, arr.size === 1 ? arr.storage[0]! : NaN);
      else staged.set(index, { ...staged.get(index), [rest[rest.length - 1]!]: arr });
    }
    // Validate everything before changing anything.
    for (const [i, t] of counts) {
      if (!Number.isInteger(t) || t < 0) throw new FormatError(`Trainer.loadStates: counts.${this.#entries[i]!.key} must hold one non-negative integer`);
    }
    const ready = new Map<number, OptimizerState>();
    for (const [i, arrays] of staged) {
      const p = this.#entries[i]!.param;
      if (p.state === 'initialized') ready.set(i, this.#restore(i, p.data(), arrays));
    }
    for (const [i, t] of counts) this.optimizer.setUpdateCount(i, t);
    for (const [i, arrays] of staged) {
      const state = ready.get(i);
      if (state !== undefined) this.#states.set(i, state);
      else {
        this.#states.delete(i);
        this.#loaded.set(i, arrays);
      }
    }
  }

  /**
   * Saves the optimizer's state to a safetensors file (Gluon's `save_states`).
   * @example trainer.saveStates('checkpoint.states')
   */
  saveStates(path: string): void {
    try {
      save(path, this.stateDict(), { metadata: { tsgluon_optimizer: this.optimizer.constructor.name } });
    } catch (e) {
      throw relabel(e, 'Trainer.saveStates');
    }
  }

  /** Loads a file written by `saveStates` (Gluon's `load_states`). */
  loadStates(path: string): void {
    try {
      this.loadStateDict(load(path));
    } catch (e) {
      throw relabel(e, 'Trainer.loadStates');
    }
  }

  /** The state of parameter `i`, created (or restored from loaded arrays) on first use. */
  #stateFor(i: number, weight: NDArray): OptimizerState {
    let state = this.#states.get(i);
    if (state !== undefined) return state;
    const loaded = this.#loaded.get(i);
    state = loaded === undefined ? this.optimizer.createState(i, weight) : this.#restore(i, weight, loaded);
    this.#loaded.delete(i);
    this.#states.set(i, state);
    return state;
  }

  /** A new state for parameter `i` filled from saved arrays, which must match it exactly. */
  #restore(i: number, weight: NDArray, loaded: Readonly<Record<string, NDArray>>): OptimizerState {
    const state = this.optimizer.createState(i, weight);
    const key = this.#entries[i]!.key;
    const want = Object.keys(state).sort().join(', ');
    const got = Object.keys(loaded).sort().join(', ');
    if (want !== got) {
      throw new FormatError(
        `Trainer.loadStates: parameter ${key} has saved states [${got}] but ${this.optimizer.constructor.name} keeps [${want}]; ` +
          `load states saved by the same optimizer with the same options`,
      );
    }
    for (const [name, arr] of Object.entries(loaded)) {
      const dst = state[name]!;
      if (!shapesEqual(arr.shape, dst.shape)) {
        throw new ShapeError(`Trainer.loadStates: state ${name} of parameter ${key} has shape ${fmtShape(arr.shape)}, the parameter has ${fmtShape(dst.shape)}`);
      }
      dst.storage.set(arr.storage);
    }
    return state;
  }

  /**
   * Indices of the parameters to update; throws, before anything is changed, when one of them
   * has no array yet, naming it, its path, and the block no forward has reached.
   */
  #checkReady(where: string): number[] {
    const trainable: number[] = [];
    const pending: Entry[] = [];
    const declared: Entry[] = [];
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.param.gradReq === 'null') continue;
      if (e.param.state === 'initialized' || (e.param.state === 'pending' && e.param.shapeKnown)) trainable.push(i);
      else if (e.param.state === 'pending') pending.push(e);
      else declared.push(e);
    }
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
