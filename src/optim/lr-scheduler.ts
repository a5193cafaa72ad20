/**
 * Learning-rate schedules, with MXNet's semantics: a schedule maps the optimizer's update count
 * (1 on the first update) to a learning rate, optionally after a linear or constant warm-up.
 *
 * Unlike MXNet's schedulers, which mutate themselves as updates go by, these are pure functions of
 * the update count: asking twice, or out of order, gives the same answer, so a schedule can be
 * plotted or shared between optimizers.
 */
import { ValueError, fmtValue } from '../core/errors.js';
import { checkOptions, refuseAbstract } from '../core/public.js';

/** Throws a ValueError naming `who` unless the required options object was given. */
function requireOptions(who: string, options: unknown, example: string): void {
  if (options === undefined) throw new ValueError(`${who}: options are required, e.g. new ${who}(${example})`);
  checkOptions(who, options);
}

/** Options every schedule accepts: the base rate and the warm-up. */
export interface LRSchedulerOptions {
  /** The learning rate once warm-up is over (default 0.01; an optimizer given `learningRate` sets it). */
  baseLr?: number;
  /** Number of updates spent warming up (default 0: no warm-up). */
  warmupSteps?: number;
  /** The learning rate at update 0 of the warm-up (default 0). */
  warmupBeginLr?: number;
  /** 'linear' ramps from warmupBeginLr to baseLr; 'constant' holds warmupBeginLr (default 'linear'). */
  warmupMode?: 'linear' | 'constant';
}

function checkNonNegativeInt(v: number, what: string, where: string): void {
  if (!Number.isInteger(v) || v < 0) throw new ValueError(`${where}: ${what} must be a non-negative integer, got ${fmtValue(v)}`);
}

function checkFinite(v: number, what: string, where: string): void {
  if (!Number.isFinite(v)) throw new ValueError(`${where}: ${what} must be a finite number, got ${fmtValue(v)}`);
}

/** A decay factor in (0, 1]: above 1 the rate would grow. */
function checkDecayFactor(factor: number, where: string): number {
  if (typeof factor !== 'number' || !(factor > 0 && factor <= 1)) throw new ValueError(`${where}: factor must be in (0, 1] so the rate decays, got ${fmtValue(factor)}`);
  return factor;
}

/**
 * Base class of every schedule. Subclasses implement `scheduled(numUpdate)`, the rate after
 * warm-up; `getLr` adds the warm-up in front.
 */
export abstract class LRScheduler {
  baseLr: number;
  readonly warmupSteps: number;
  readonly warmupBeginLr: number;
  readonly warmupMode: 'linear' | 'constant';

  constructor(options: LRSchedulerOptions = {}) {
    refuseAbstract(new.target, LRScheduler, 'use FactorScheduler, MultiFactorScheduler, PolyScheduler, CosineScheduler, or extend it and implement scheduled');
    refuseAbstract(new.target, DecayToFinalScheduler, 'use PolyScheduler or CosineScheduler, or extend it and implement remaining');
    const where = new.target.name;
    checkOptions(where, options);
    this.baseLr = options.baseLr ?? 0.01;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.warmupBeginLr = options.warmupBeginLr ?? 0;
    this.warmupMode = options.warmupMode ?? 'linear';
    checkFinite(this.baseLr, 'baseLr', where);
    checkFinite(this.warmupBeginLr, 'warmupBeginLr', where);
    checkNonNegativeInt(this.warmupSteps, 'warmupSteps', where);
    if (this.warmupMode !== 'linear' && this.warmupMode !== 'constant') {
      throw new ValueError(`${where}: warmupMode must be 'linear' or 'constant', got ${fmtValue(this.warmupMode)}`);
    }
    if (this.warmupSteps > 0 && this.warmupBeginLr > this.baseLr) {
      throw new ValueError(`${where}: warmupBeginLr (${this.warmupBeginLr}) must not exceed baseLr (${this.baseLr}); warm-up ramps up`);
    }
  }

  /**
   * The learning rate for update number `numUpdate` (the first update is 1).
   * @example new lrScheduler.FactorScheduler({ step: 10, factor: 0.5, baseLr: 1 }).getLr(25) // 0.25
   */
  getLr(numUpdate: number): number {
    if (numUpdate < this.warmupSteps) {
      if (this.warmupMode === 'constant') return this.warmupBeginLr;
      return this.warmupBeginLr + ((this.baseLr - this.warmupBeginLr) * numUpdate) / this.warmupSteps;
    }
    return this.scheduled(numUpdate);
  }

  /** The rate at `numUpdate` once warm-up is over. */
  protected abstract scheduled(numUpdate: number): number;
}

/** Options of `FactorScheduler`. */
export interface FactorSchedulerOptions extends LRSchedulerOptions {
  /** Multiply the rate by `factor` every `step` updates. */
  step: number;
  /** The decay factor, in (0, 1] (default 1). */
  factor?: number;
  /** The rate never falls below this (default 1e-8). */
  stopFactorLr?: number;
}

/**
 * `baseLr * factor^floor((numUpdate - 1) / step)`, floored at `stopFactorLr`: the rate is
 * multiplied by `factor` after every `step` updates.
 * @example new FactorScheduler({ step: 100, factor: 0.9 })
 */
export class FactorScheduler extends LRScheduler {
  readonly step: number;
  readonly factor: number;
  readonly stopFactorLr: number;

  constructor(options: FactorSchedulerOptions) {
    requireOptions(new.target.name, options, '{ step: 100, factor: 0.5 }');
    super(options);
    this.step = options.step;
    this.factor = checkDecayFactor(options.factor ?? 1, 'FactorScheduler');
    this.stopFactorLr = options.stopFactorLr ?? 1e-8;
    if (!Number.isInteger(this.step) || this.step < 1) throw new ValueError(`FactorScheduler: step must be an integer >= 1, got ${fmtValue(this.step)}`);
  }

  protected scheduled(numUpdate: number): number {
    const decays = Math.max(0, Math.ceil(numUpdate / this.step) - 1);
    return Math.max(this.baseLr * this.factor ** decays, this.stopFactorLr);
  }
}

/** Options of `MultiFactorScheduler`. */
export interface MultiFactorSchedulerOptions extends LRSchedulerOptions {
  /** Increasing update counts after which the rate is multiplied by `factor`. */
  step: readonly number[];
  /** The decay factor, in (0, 1] (default 1). */
  factor?: number;
}

/**
 * Multiplies the rate by `factor` once the update count passes each milestone in `step`.
 * @example new MultiFactorScheduler({ step: [1000, 2000], factor: 0.1 })
 */
export class MultiFactorScheduler extends LRScheduler {
  readonly step: readonly number[];
  readonly factor: number;

  constructor(options: MultiFactorSchedulerOptions) {
    requireOptions(new.target.name, options, '{ step: [100, 200], factor: 0.5 }');
    super(options);
    if (!Array.isArray(options.step)) throw new ValueError(`MultiFactorScheduler: step must be a list of milestones such as [100, 200], got ${fmtValue(options.step)}`);
    this.step = [...options.step];
    if (this.step.length === 0) throw new ValueError('MultiFactorScheduler: step must list at least one milestone');
    this.step.forEach((s, i) => {
      if (!Number.isInteger(s) || s < 1) throw new ValueError(`MultiFactorScheduler: step[${i}] must be an integer >= 1, got ${fmtValue(s)}`);
      if (i > 0 && s <= this.step[i - 1]!) {
        throw new ValueError(`MultiFactorScheduler: milestones must increase, got ${this.step[i - 1]} then ${s} at step[${i}]`);
      }
    });
    this.factor = checkDecayFactor(options.factor ?? 1, 'MultiFactorScheduler');
  }

  protected scheduled(numUpdate: number): number {
    let passed = 0;
    for (const s of this.step) if (numUpdate > s) passed++;
    return this.baseLr * this.factor ** passed;
  }
}

/** Options of the schedules that decay to `finalLr` at `maxUpdate` (cosine, polynomial). */
export interface DecayToFinalOptions extends LRSchedulerOptions {
  /** The update count at which the rate reaches `finalLr` and stays there. */
  maxUpdate: number;
  /** The rate at the end (default 0). */
  finalLr?: number;
}

/**
 * Base of the schedules that go from `baseLr` (after warm-up) to `finalLr` at `maxUpdate` and stay
 * there; a subclass gives only the curve: the fraction of `baseLr - finalLr` left at `progress`.
 */
export abstract class DecayToFinalScheduler extends LRScheduler {
  readonly maxUpdate: number;
  readonly finalLr: number;

  constructor(options: DecayToFinalOptions) {
    requireOptions(new.target.name, options, '{ maxUpdate: 1000 }');
    super(options);
    const where = new.target.name;
    this.maxUpdate = options.maxUpdate;
    this.finalLr = options.finalLr ?? 0;
    checkFinite(this.finalLr, 'finalLr', where);
    if (!Number.isInteger(this.maxUpdate) || this.maxUpdate <= this.warmupSteps) {
      throw new ValueError(`${where}: maxUpdate must be an integer above warmupSteps (${this.warmupSteps}), got ${fmtValue(this.maxUpdate)}`);
    }
  }

  protected scheduled(numUpdate: number): number {
    const progress = (Math.min(numUpdate, this.maxUpdate) - this.warmupSteps) / (this.maxUpdate - this.warmupSteps);
    return this.finalLr + (this.baseLr - this.finalLr) * this.remaining(progress);
  }

  /** The fraction of `baseLr - finalLr` still left when `progress` (0 to 1) of the decay is done. */
  protected abstract remaining(progress: number): number;
}

/** Options of `CosineScheduler`. */
export type CosineSchedulerOptions = DecayToFinalOptions;

/**
 * Half a cosine from `baseLr` (after warm-up) down to `finalLr` at `maxUpdate`:
 * `finalLr + (baseLr - finalLr) * (1 + cos(pi * (t - warmupSteps) / (maxUpdate - warmupSteps))) / 2`.
 * @example new CosineScheduler({ maxUpdate: 1000, baseLr: 0.1, warmupSteps: 100 })
 */
export class CosineScheduler extends DecayToFinalScheduler {
  protected remaining(progress: number): number {
    return (1 + Math.cos(Math.PI * progress)) / 2;
  }
}

/** Options of `PolyScheduler`. */
export interface PolySchedulerOptions extends DecayToFinalOptions {
  /** The polynomial's power (default 2; 1 is a linear decay). */
  pwr?: number;
}

/**
 * Polynomial decay: `finalLr + (baseLr - finalLr) * (1 - (t - warmupSteps) / (maxUpdate - warmupSteps))^pwr`.
 * @example new PolyScheduler({ maxUpdate: 1000, baseLr: 0.1, pwr: 1 }) // linear decay to 0
 */
export class PolyScheduler extends DecayToFinalScheduler {
  readonly pwr: number;

  constructor(options: PolySchedulerOptions) {
    super(options);
    this.pwr = options.pwr ?? 2;
    if (typeof this.pwr !== 'number' || !(this.pwr > 0)) throw new ValueError(`PolyScheduler: pwr must be positive, got ${fmtValue(this.pwr)}`);
  }

  protected remaining(progress: number): number {
    return (1 - progress) ** this.pwr;
  }
}
