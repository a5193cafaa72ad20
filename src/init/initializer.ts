/**
 * The `Initializer` base class and the resolution of initializer specs (`'zeros'`, `'xavier'`...).
 *
 * An initializer fills a freshly allocated parameter array in place. `initialize(name, data)`
 * picks the hook from the parameter's name suffix, as Gluon does for a network-wide initializer:
 * names ending in `weight` go to `initWeight`, `bias` and `beta` are zeroed, `gamma` set to one,
 * running/moving means zeroed and variances set to one; any other name is treated as a weight.
 * When an initializer was chosen for one parameter specifically (a layer's `biasInitializer`, or
 * `param.initialize({ init })`), the parameter calls `initialize(name, data, { byName: false })`
 * and `initWeight` fills it whatever its name: `init.Constant(42)` as a bias initializer gives 42.
 *
 * Values come from `nd.random`, i.e. the current generator; parameters run their initializer
 * inside `withGenerator(fork)` so the values do not depend on when the shape became known.
 */
import { ValueError } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { refuseAbstract } from '../core/public.js';

/** Options of `Initializer.initialize`. */
export interface InitializeOptions {
  /**
   * Choose the hook from the name suffix (default true). False calls `initWeight` directly, which
   * is what a parameter does with an initializer chosen for it specifically.
   */
  byName?: boolean;
}

/**
 * Base class of every initializer. Subclasses override `initWeight` (and, rarely, `initBias`,
 * `initGamma`, `initBeta`) and write into `data` in place.
 * @example
 * class MyInit extends init.Initializer {
 *   protected override initWeight(name: string, data: nd.NDArray): void {
 *     console.log('Init', name, data.shape);
 *     data.storage.fill(1);
 *   }
 * }
 * net.initialize({ init: new MyInit() });
 */
export abstract class Initializer {
  constructor() {
    refuseAbstract(new.target, Initializer, 'use a built-in such as init.Xavier or init.Normal, or extend it and implement initWeight');
  }

  /** Fills `data`, the array of the parameter called `name`, in place. */
  initialize(name: string, data: NDArray, options: InitializeOptions = {}): void {
    if (options.byName === false) {
      this.initWeight(name, data);
      return;
    }
    if (name.endsWith('weight')) this.initWeight(name, data);
    else if (name.endsWith('bias')) this.initBias(name, data);
    else if (name.endsWith('gamma')) this.initGamma(name, data);
    else if (name.endsWith('beta')) this.initBeta(name, data);
    else if (name.endsWith('running_mean') || name.endsWith('moving_mean')) fillValue(data, 0);
    else if (name.endsWith('running_var') || name.endsWith('moving_var')) fillValue(data, 1);
    else this.initDefault(name, data);
  }

  /** Fills a weight. Every initializer defines it. */
  protected abstract initWeight(name: string, data: NDArray): void;

  /** Biases start at zero. */
  protected initBias(_name: string, data: NDArray): void {
    fillValue(data, 0);
  }

  /** Normalization scales start at one. */
  protected initGamma(_name: string, data: NDArray): void {
    fillValue(data, 1);
  }

  /** Normalization shifts start at zero. */
  protected initBeta(_name: string, data: NDArray): void {
    fillValue(data, 0);
  }

  /** A parameter whose name has no known suffix is initialized as a weight. */
  protected initDefault(name: string, data: NDArray): void {
    this.initWeight(name, data);
  }

  /** Gluon-style description, e.g. `Uniform(scale=0.07)`. */
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/** Writes `value` into every element of `data`. */
export function fillValue(data: NDArray, value: number): void {
  data.storage.fill(value);
}

/** Copies `src` (same size) into `data`, converting to `data`'s dtype. */
export function fillFrom(data: NDArray, src: NDArray | ArrayLike<number>): void {
  const values = src instanceof NDArray ? src.storage : src;
  if (values.length !== data.size) {
    throw new ValueError(`initializer produced ${values.length} values for an array of ${data.size} elements`);
  }
  data.storage.set(values);
}
