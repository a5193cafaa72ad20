/**
 * Evaluation metrics (Gluon's `metric` module): each accumulates over `update(labels, preds)`
 * calls and reports `get(): [name, value]` until `reset()`.
 *
 * Metrics read values, they never take part in autograd, so they work on plain typed arrays.
 * Regression metrics (MAE, MSE, RMSE) average over every element seen, so batches of different
 * sizes weigh in proportion to their size (MXNet 1.x averaged per batch instead).
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { argmax } from '../ops/reduce.js';
import { checkOptions, refuseAbstract, relabel } from '../core/public.js';
import type { Communicator } from '../dist/communicator.js';

/** One array or a list of arrays (one per output of a multi-output network). */
export type Arrays = NDArray | readonly NDArray[];

function asList(x: Arrays): readonly NDArray[] {
  if (x instanceof NDArray) return [x];
  if (!Array.isArray(x) || !x.every((a) => a instanceof NDArray)) throw new ValueError(`expected an NDArray or a list of NDArrays, got ${fmtValue(x)}`);
  return x;
}

/** Pairs labels with predictions, checking that there are as many of each. */
function pairs(name: string, labels: Arrays, preds: Arrays): [NDArray, NDArray][] {
  const ls = asList(labels);
  const ps = asList(preds);
  if (ls.length !== ps.length) {
    throw new ValueError(`${name}: got ${ls.length} label arrays but ${ps.length} prediction arrays; pass one label array per prediction`);
  }
  return ls.map((l, i) => [l, ps[i]!]);
}

/** What every metric offers, composites included. */
export interface Metric {
  readonly name: string;
  /** Accumulates statistics from one batch (or several arrays) of labels and predictions. */
  update(labels: Arrays, preds: Arrays): void;
  /** Clears the accumulated statistics. */
  reset(): void;
  /** Name-value pairs, as a list (a composite metric has several). */
  getNameValue(): [string, number][];
}

/**
 * Base class: `sumMetric / numInst` is the value, NaN before any update.
 * @example
 * const acc = new metric.Accuracy();
 * acc.update(y, net.forward(x));
 * const [name, value] = acc.get(); // ['accuracy', 0.93]
 */
export abstract class EvalMetric implements Metric {
  readonly name: string;
  sumMetric = 0;
  numInst = 0;

  constructor(name: string) {
    refuseAbstract(new.target, EvalMetric, 'use a metric such as Accuracy or MAE, or extend it and implement update');
    if (typeof name !== 'string') throw new ValueError(`${new.target.name}: the name must be a string, got ${fmtValue(name)}`);
    this.name = name;
    // Errors of update() name the metric the user updated, whatever op inside raised them.
    const update = this.update;
    Object.defineProperty(this, 'update', {
      value: (labels: Arrays, preds: Arrays): void => {
        try {
          update.call(this, labels, preds);
        } catch (e) {
          throw relabel(e, this.name);
        }
      },
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }

  /** Accumulates statistics from one batch (or several arrays) of labels and predictions. */
  abstract update(labels: Arrays, preds: Arrays): void;

  /** Clears the accumulated statistics. */
  reset(): void {
    this.sumMetric = 0;
    this.numInst = 0;
  }

  /** The name and the current value (NaN before any update). */
  get(): [string, number] {
    return [this.name, this.numInst === 0 ? NaN : this.sumMetric / this.numInst];
  }

  /** Name-value pairs, as a list (a composite metric has several). */
  getNameValue(): [string, number][] {
    return [this.get()];
  }

  /**
   * The value over every rank of a distributed job, as one process that saw every rank's data
   * would report it: the ranks' sums and counts are added (one allreduce), and this metric's own
   * statistics stay as they were. Every rank must call it.
   * @example const [name, acc] = metric.getGlobal(comm);
   */
  getGlobal(comm: Communicator): [string, number] {
    const totals = new Float64Array([this.sumMetric, this.numInst]);
    comm.allreduceStart(totals, 'sum').wait();
    const { sumMetric, numInst } = this;
    [this.sumMetric, this.numInst] = [totals[0]!, totals[1]!];
    try {
      return this.get();
    } finally {
      [this.sumMetric, this.numInst] = [sumMetric, numInst];
    }
  }

  toString(): string {
    const [name, value] = this.get();
    return `EvalMetric: {'${name}': ${value}}`;
  }
}

/** Options of `Accuracy`. */
export interface AccuracyOptions {
  /** The class axis of the predictions, reduced with argmax (default 1). */
  axis?: number;
  /** The name `get()` reports (default: the metric's Gluon name). */
  name?: string;
}

/**
 * The fraction of predictions equal to the labels. Predictions shaped like the labels are taken as
 * class indices; otherwise the argmax along `axis` is.
 * @example new metric.Accuracy().update(nd.array([1, 0]), nd.array([[0.2, 0.8], [0.9, 0.1]])) // accuracy 1
 */
export class Accuracy extends EvalMetric {
  readonly axis: number;

  constructor(options: AccuracyOptions = {}) {
    super(metricName(new.target.name, options) ?? 'accuracy');
    this.axis = options.axis ?? 1;
    if (!Number.isInteger(this.axis)) throw new ValueError(`${this.constructor.name}: axis must be an integer, got ${fmtValue(this.axis)}`);
  }

  update(labels: Arrays, preds: Arrays): void {
    for (const [label, pred] of pairs(this.name, labels, preds)) {
      const sameShape = pred.shape.length === label.shape.length && pred.shape.every((d, i) => d === label.shape[i]);
      const classes = sameShape ? pred : argmax(pred, this.axis);
      if (classes.size !== label.size) {
        throw new ShapeError(
          `${this.name}: ${classes.size} predictions but ${label.size} labels (prediction shape ${fmtShape(pred.shape)}, ` +
            `label shape ${fmtShape(label.shape)}, class axis ${this.axis})`,
        );
      }
      const p = classes.storage;
      const l = label.storage;
      let correct = 0;
      for (let i = 0; i < l.length; i++) if (Math.trunc(p[i]!) === Math.trunc(l[i]!)) correct++;
      this.sumMetric += correct;
      this.numInst += l.length;
    }
  }
}

/** Options of `TopKAccuracy`. */
export interface TopKAccuracyOptions {
  /** A prediction counts as correct when the label is among its `topK` highest scores (default 1). */
  topK?: number;
  /** The name `get()` reports (default: the metric's Gluon name). */
  name?: string;
}

/**
 * Top-k accuracy over (N, C) scores.
 * @example new metric.TopKAccuracy({ topK: 5 })
 */
export class TopKAccuracy extends EvalMetric {
  readonly topK: number;

  constructor(options: TopKAccuracyOptions = {}) {
    const name = metricName(new.target.name, options);
    const k = options.topK ?? 1;
    super(name ?? `top_k_accuracy_${k}`);
    if (!Number.isInteger(k) || k < 1) throw new ValueError(`TopKAccuracy: topK must be an integer >= 1, got ${fmtValue(k)}`);
    this.topK = k;
  }

  update(labels: Arrays, preds: Arrays): void {
    for (const [label, pred] of pairs(this.name, labels, preds)) {
      if (pred.ndim !== 2 || label.size !== pred.shape[0]) {
        throw new ShapeError(
          `${this.name}: needs (N, C) scores and N labels, got prediction shape ${fmtShape(pred.shape)} and label shape ${fmtShape(label.shape)}`,
        );
      }
      const [n, c] = pred.shape as [number, number];
      const s = pred.storage;
      const l = label.storage;
      for (let i = 0; i < n; i++) {
        const target = Math.trunc(l[i]!);
        if (target < 0 || target >= c) continue;
        // The label is in the top k when fewer than k classes score strictly higher.
        const score = s[i * c + target]!;
        let higher = 0;
        for (let j = 0; j < c && higher < this.topK; j++) if (s[i * c + j]! > score) higher++;
        if (higher < this.topK) this.sumMetric++;
      }
      this.numInst += n;
    }
  }
}

/** Shared element-wise comparison of regression metrics; labels and predictions must have the same size. */
abstract class ElementwiseMetric extends EvalMetric {
  protected abstract term(diff: number): number;

  update(labels: Arrays, preds: Arrays): void {
    for (const [label, pred] of pairs(this.name, labels, preds)) {
      if (label.size !== pred.size) {
        throw new ShapeError(`${this.name}: label shape ${fmtShape(label.shape)} and prediction shape ${fmtShape(pred.shape)} hold different numbers of values`);
      }
      const l = label.storage;
      const p = pred.storage;
      let s = 0;
      for (let i = 0; i < l.length; i++) s += this.term(l[i]! - p[i]!);
      this.sumMetric += s;
      this.numInst += l.length;
    }
  }
}

/**
 * Mean absolute error over every element seen.
 * @example new metric.MAE()
 */
export class MAE extends ElementwiseMetric {
  constructor(options: { name?: string } = {}) {
    super(metricName(new.target.name, options) ?? 'mae');
  }

  protected term(d: number): number {
    return Math.abs(d);
  }
}

/**
 * Mean squared error over every element seen.
 * @example new metric.MSE()
 */
export class MSE extends ElementwiseMetric {
  constructor(options: { name?: string } = {}) {
    super(metricName(new.target.name, options) ?? 'mse');
  }

  protected term(d: number): number {
    return d * d;
  }
}

/**
 * Root of the mean squared error over every element seen.
 * @example new metric.RMSE()
 */
export class RMSE extends MSE {
  constructor(options: { name?: string } = {}) {
    super({ name: metricName(new.target.name, options) ?? 'rmse' });
  }

  override get(): [string, number] {
    const [name, mse] = super.get();
    return [name, Math.sqrt(mse)];
  }
}

/** Options of `CrossEntropy`. */
export interface CrossEntropyOptions {
  /** Added to the probability before the log (default 1e-12). */
  eps?: number;
  /** The name `get()` reports (default: the metric's Gluon name). */
  name?: string;
}

/**
 * Mean `-log(p[label])` of (N, C) predicted probabilities (apply softmax to logits first).
 * @example new metric.CrossEntropy().update(nd.array([0]), nd.array([[0.5, 0.5]])) // 0.693
 */
export class CrossEntropy extends EvalMetric {
  readonly eps: number;

  constructor(options: CrossEntropyOptions = {}) {
    super(metricName(new.target.name, options) ?? 'cross-entropy');
    this.eps = options.eps ?? 1e-12;
  }

  update(labels: Arrays, preds: Arrays): void {
    for (const [label, pred] of pairs(this.name, labels, preds)) {
      if (pred.ndim < 1 || label.size * pred.shape[pred.ndim - 1]! !== pred.size) {
        throw new ShapeError(
          `${this.name}: needs (N, C) probabilities and N labels, got prediction shape ${fmtShape(pred.shape)} and label shape ${fmtShape(label.shape)}`,
        );
      }
      const c = pred.shape[pred.ndim - 1]!;
      const p = pred.storage;
      const l = label.storage;
      for (let i = 0; i < l.length; i++) {
        const target = Math.trunc(l[i]!);
        if (!(target >= 0 && target < c)) throw new ValueError(`${this.name}: label ${l[i]} at position ${i} is not a class index in [0, ${c - 1}]`);
        this.sumMetric -= Math.log(p[i * c + target]! + this.eps);
      }
      this.numInst += l.length;
    }
  }
}

/**
 * Averages loss values: `update(_, losses)` adds every element of the loss arrays (labels are ignored).
 * @example const lossMetric = new metric.Loss(); lossMetric.update(null, l);
 */
export class Loss extends EvalMetric {
  constructor(options: { name?: string } = {}) {
    super(metricName(new.target.name, options) ?? 'loss');
  }

  update(_labels: Arrays | null, preds: Arrays): void {
    for (const pred of asList(preds)) {
      const p = pred.storage;
      let s = 0;
      for (let i = 0; i < p.length; i++) s += p[i]!;
      this.sumMetric += s;
      this.numInst += p.length;
    }
  }
}

/**
 * Several metrics updated together; `get()` returns their names and values as two lists.
 * @example const m = new metric.CompositeEvalMetric([new metric.Accuracy(), new metric.CrossEntropy()]);
 */
export class CompositeEvalMetric implements Metric {
  readonly name: string;
  readonly metrics: Metric[];

  constructor(metrics: readonly (Metric | string)[] = [], options: { name?: string } = {}) {
    this.name = metricName('CompositeEvalMetric', options) ?? 'composite';
    if (!Array.isArray(metrics)) throw new ValueError(`CompositeEvalMetric: metrics must be a list of metrics or metric names, got ${fmtValue(metrics)}`);
    this.metrics = metrics.map((m) => asMetric('CompositeEvalMetric', m));
  }

  add(m: Metric | string): void {
    this.metrics.push(asMetric(`${this.name}.add`, m));
  }

  getMetric(index: number): Metric {
    const m = this.metrics[index];
    if (m === undefined) throw new ValueError(`${this.name}: no metric at index ${index}; it holds ${this.metrics.length}`);
    return m;
  }

  update(labels: Arrays, preds: Arrays): void {
    for (const m of this.metrics) m.update(labels, preds);
  }

  reset(): void {
    for (const m of this.metrics) m.reset();
  }

  /** The names and values of every metric, as two lists (Gluon's form). */
  get(): [string[], number[]] {
    const nv = this.getNameValue();
    return [nv.map(([n]) => n), nv.map(([, v]) => v)];
  }

  getNameValue(): [string, number][] {
    return this.metrics.flatMap((m) => m.getNameValue());
  }

  /** The names and values over every rank of a distributed job (see `EvalMetric.getGlobal`). */
  getGlobal(comm: Communicator): [string[], number[]] {
    const nv = this.metrics.flatMap((m): [string, number][] => {
      if (m instanceof EvalMetric) return [m.getGlobal(comm)];
      if (m instanceof CompositeEvalMetric) {
        const [names, values] = m.getGlobal(comm);
        return names.map((n, i) => [n, values[i]!]);
      }
      throw new ValueError(`${this.name}.getGlobal: metric ${m.name} is neither an EvalMetric nor a CompositeEvalMetric, so its statistics cannot be combined across ranks`);
    });
    return [nv.map(([n]) => n), nv.map(([, v]) => v)];
  }
}

const NAMED: Record<string, () => EvalMetric> = {
  acc: () => new Accuracy(),
  accuracy: () => new Accuracy(),
  top_k_accuracy: () => new TopKAccuracy(),
  mae: () => new MAE(),
  mse: () => new MSE(),
  rmse: () => new RMSE(),
  ce: () => new CrossEntropy(),
  'cross-entropy': () => new CrossEntropy(),
  loss: () => new Loss(),
};

/**
 * A metric from its name ('acc', 'mae', 'mse', 'rmse', 'ce', 'loss'...).
 * @example metric.create('acc')
 */
export function create(name: string): EvalMetric {
  const key = typeof name === 'string' ? name.toLowerCase() : '';
  const make = Object.hasOwn(NAMED, key) ? NAMED[key] : undefined;
  if (make === undefined) throw new ValueError(`unknown metric ${fmtValue(name)}; known metrics: ${Object.keys(NAMED).join(', ')}`);
  return make();
}

/** A metric name resolved, or a metric checked to have update, reset and getNameValue. */
function asMetric(who: string, m: unknown): Metric {
  if (typeof m === 'string') {
    try {
      return create(m);
    } catch (e) {
      throw relabel(e, who);
    }
  }
  const ok = m !== null && typeof m === 'object' && ['update', 'reset', 'getNameValue'].every((k) => typeof (m as Record<string, unknown>)[k] === 'function');
  if (!ok) throw new ValueError(`${who}: expected a metric (such as new metric.Accuracy()) or a metric name, got ${fmtValue(m)}`);
  return m as Metric;
}

/** The `name` option of a metric constructor, after checking the options object. */
function metricName(who: string, options: { name?: string }): string | undefined {
  checkOptions(who, options);
  if (options.name !== undefined && typeof options.name !== 'string') throw new ValueError(`${who}: name must be a string, got ${fmtValue(options.name)}`);
  return options.name;
}
