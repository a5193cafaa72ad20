/**
 * The built-in initializers, with Gluon's defaults and formulas: Uniform, Normal, Constant, Zero,
 * One, Xavier, MSRAPrelu, Orthogonal and Mixed, and `create` which resolves a spec such as
 * `'xavier'` to an instance.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { currentGenerator } from '../core/rng.js';
import { broadcastShapes, shapesEqual } from '../core/shape.js';
import { NDArray } from '../ndarray/ndarray.js';
import { checkOptions, relabel } from '../core/public.js';
import { assign } from '../ops/inplace.js';
import { Initializer, fillValue, type InitializeOptions } from './initializer.js';

/** A finite number at least `min` (NaN would fill every weight with NaN without a word). */
function finite(who: string, what: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ValueError(`${who}: ${what} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, got ${fmtValue(v)}`);
  }
  return v;
}

/** Names that resolve to built-in initializers with their default settings. */
export type InitName = 'zeros' | 'zero' | 'ones' | 'one' | 'uniform' | 'normal' | 'xavier' | 'orthogonal' | 'msraprelu';

/** An initializer instance or the name of a built-in one. */
export type InitLike = Initializer | InitName;

/**
 * Samples from U(-scale, scale). `Uniform()` (scale 0.07) is the default of `initialize()`.
 * @example net.initialize({ init: new init.Uniform(0.1) });
 */
export class Uniform extends Initializer {
  constructor(readonly scale = 0.07) {
    super();
    finite('Uniform', 'scale', scale, 0);
  }
  protected initWeight(_name: string, data: NDArray): void {
    currentGenerator().fillUniform(data.storage, -this.scale, this.scale);
  }
  override toString(): string {
    return `Uniform(scale=${this.scale})`;
  }
}

/**
 * Samples from N(0, sigma²), default sigma 0.01.
 * @example net.initialize({ init: new init.Normal(0.02) });
 */
export class Normal extends Initializer {
  constructor(readonly sigma = 0.01) {
    super();
    finite('Normal', 'sigma', sigma, 0);
  }
  protected initWeight(_name: string, data: NDArray): void {
    currentGenerator().fillNormal(data.storage, 0, this.sigma);
  }
  override toString(): string {
    return `Normal(sigma=${this.sigma})`;
  }
}

/**
 * Fills every element with `value`, whatever the parameter's name: a number, or an NDArray that
 * broadcasts to the parameter's shape (as Gluon's `arr[:] = value`), cast to its dtype.
 * @example new nn.Dense(4, { weightInitializer: new init.Constant(42) })
 * @example new nn.Dense(3, { inUnits: 2, biasInitializer: new init.Constant(nd.array([0.1, 0.25, 0.5])) })
 */
export class Constant extends Initializer {
  constructor(readonly value: number | NDArray) {
    super();
    if (NDArray.isInstance(value)) {
      if (value.isShapeOnly) throw new ValueError(`Constant: the value is a shape-only ${fmtShape(value.shape)} array with no data; give an array with values`);
    } else finite('Constant', 'value (a number or an NDArray)', value);
  }
  override initialize(name: string, data: NDArray, _options?: InitializeOptions): void {
    this.initWeight(name, data);
  }
  protected initWeight(name: string, data: NDArray): void {
    const v = this.value;
    if (!NDArray.isInstance(v)) return fillValue(data, v as number);
    let fits = false;
    try {
      fits = shapesEqual(broadcastShapes(v.shape, data.shape, 'Constant'), data.shape);
    } catch {
      fits = false;
    }
    if (!fits) {
      throw new ShapeError(
        `Constant: the value of shape ${fmtShape(v.shape)} does not fit parameter ${name} of shape ${fmtShape(data.shape)}; ` +
          `give a value of that shape (or one that broadcasts to it), or a number`,
      );
    }
    assign(data, v);
  }
  override toString(): string {
    return `Constant(value=${this.value instanceof NDArray ? `array of shape ${fmtShape(this.value.shape)}` : this.value})`;
  }
}

/** Fills with zeros (`'zeros'`). */
export class Zero extends Constant {
  constructor() {
    super(0);
  }
  override toString(): string {
    return 'Zero()';
  }
}

/** Fills with ones (`'ones'`). */
export class One extends Constant {
  constructor() {
    super(1);
  }
  override toString(): string {
    return 'One()';
  }
}

/** Fan-in and fan-out as Gluon computes them: dims 0 and 1, times the product of the rest. */
function fans(name: string, data: NDArray, who: string): { fanIn: number; fanOut: number } {
  const shape = data.shape;
  if (shape.length < 2) {
    throw new ValueError(
      `${who} cannot be applied to vector ${name} of shape ${fmtShape(shape)}: it needs at least 2 dimensions ` +
        `(fan-out, fan-in); give this parameter its own initializer, e.g. biasInitializer: 'zeros'`,
    );
  }
  let hw = 1;
  for (let i = 2; i < shape.length; i++) hw *= shape[i]!;
  return { fanIn: shape[1]! * hw, fanOut: shape[0]! * hw };
}

/** Options of `Xavier` (Gluon's rnd_type, factor_type, magnitude). */
export interface XavierOptions {
  /** 'uniform' (default) draws U(-s, s); 'gaussian' draws N(0, s²). */
  rndType?: 'uniform' | 'gaussian';
  /** Which fan the variance is scaled by: 'avg' (default), 'in' or 'out'. */
  factorType?: 'avg' | 'in' | 'out';
  /** Default 3; s = sqrt(magnitude / factor). */
  magnitude?: number;
}

/**
 * Xavier/Glorot: s = sqrt(magnitude / factor) where factor is (fanIn + fanOut) / 2, fanIn or
 * fanOut; uniform samples U(-s, s), gaussian N(0, s²). Needs at least 2 dimensions.
 * @example net.initialize({ init: new init.Xavier({ magnitude: 2.24 }) });
 */
export class Xavier extends Initializer {
  readonly rndType: 'uniform' | 'gaussian';
  readonly factorType: 'avg' | 'in' | 'out';
  readonly magnitude: number;

  constructor(options: XavierOptions = {}) {
    super();
    const who = new.target.name;
    checkOptions(who, options);
    this.rndType = options.rndType ?? 'uniform';
    this.factorType = options.factorType ?? 'avg';
    this.magnitude = options.magnitude ?? 3;
    if (!['uniform', 'gaussian'].includes(this.rndType)) throw new ValueError(`${who}: rndType must be 'uniform' or 'gaussian', got ${fmtValue(this.rndType)}`);
    if (!['avg', 'in', 'out'].includes(this.factorType)) throw new ValueError(`${who}: factorType must be 'avg', 'in' or 'out', got ${fmtValue(this.factorType)}`);
    if (!(finite(who, 'magnitude', this.magnitude) > 0)) throw new ValueError(`${who}: magnitude must be positive, got ${fmtValue(this.magnitude)}`);
  }

  protected initWeight(name: string, data: NDArray): void {
    const { fanIn, fanOut } = fans(name, data, this.constructor.name);
    const factor = this.factorType === 'avg' ? (fanIn + fanOut) / 2 : this.factorType === 'in' ? fanIn : fanOut;
    const scale = Math.sqrt(this.magnitude / factor);
    const g = currentGenerator();
    const out = data.storage;
    if (this.rndType === 'uniform') g.fillUniform(out, -scale, scale);
    else g.fillNormal(out, 0, scale);
  }

  override toString(): string {
    return `${this.constructor.name}(rndType=${this.rndType}, factorType=${this.factorType}, magnitude=${this.magnitude})`;
  }
}

/**
 * He/Kaiming initialization for (P)ReLU networks: Xavier with gaussian samples and
 * magnitude 2 / (1 + slope²).
 * @example net.initialize({ init: new init.MSRAPrelu() });
 */
export class MSRAPrelu extends Xavier {
  readonly slope: number;
  constructor(options: { factorType?: 'avg' | 'in' | 'out'; slope?: number } = {}) {
    checkOptions('MSRAPrelu', options);
    const slope = finite('MSRAPrelu', 'slope', options.slope ?? 0.25);
    super({ rndType: 'gaussian', factorType: options.factorType ?? 'avg', magnitude: 2 / (1 + slope * slope) });
    this.slope = slope;
  }
  override toString(): string {
    return `MSRAPrelu(factorType=${this.factorType}, slope=${this.slope})`;
  }
}

/**
 * An orthogonal matrix times `scale` (default 1.414), seen as (shape[0], rest): rows orthonormal
 * when shape[0] <= rest (W Wᵀ = scale² I), columns otherwise (Wᵀ W = scale² I). Built by
 * Gram-Schmidt on random samples ('uniform' in [-1, 1) by default, or 'normal'), where Gluon uses
 * an SVD; the result has the same orthogonality.
 */
export class Orthogonal extends Initializer {
  readonly scale: number;
  readonly rndType: 'uniform' | 'normal';
  constructor(options: { scale?: number; rndType?: 'uniform' | 'normal' } = {}) {
    super();
    checkOptions('Orthogonal', options);
    this.scale = finite('Orthogonal', 'scale', options.scale ?? 1.414);
    this.rndType = options.rndType ?? 'uniform';
    if (!['uniform', 'normal'].includes(this.rndType)) throw new ValueError(`Orthogonal: rndType must be 'uniform' or 'normal', got ${fmtValue(this.rndType)}`);
  }

  protected initWeight(_name: string, data: NDArray): void {
    const nout = data.shape[0] ?? 1;
    const nin = nout === 0 ? 0 : data.size / nout;
    const g = currentGenerator();
    const m = new Float64Array(nout * nin);
    for (let i = 0; i < m.length; i++) m[i] = this.rndType === 'uniform' ? 2 * g.nextFloat() - 1 : g.nextNormal();
    // Orthonormalize the shorter side: k vectors of length len, read from m through strides.
    const rows = nout <= nin;
    const k = rows ? nout : nin;
    const len = rows ? nin : nout;
    const at = (v: number, j: number): number => (rows ? v * nin + j : j * nin + v);
    for (let v = 0; v < k; v++) {
      // Two passes of modified Gram-Schmidt keep the result orthogonal to float64 precision.
      for (let pass = 0; pass < 2; pass++) {
        for (let u = 0; u < v; u++) {
          let d = 0;
          for (let j = 0; j < len; j++) d += m[at(v, j)]! * m[at(u, j)]!;
          for (let j = 0; j < len; j++) m[at(v, j)]! -= d * m[at(u, j)]!;
        }
      }
      let n2 = 0;
      for (let j = 0; j < len; j++) n2 += m[at(v, j)]! ** 2;
      const inv = 1 / Math.sqrt(n2);
      for (let j = 0; j < len; j++) m[at(v, j)]! *= inv;
    }
    const out = data.storage;
    for (let i = 0; i < out.length; i++) out[i] = this.scale * m[i]!;
  }

  override toString(): string {
    return `Orthogonal(scale=${this.scale}, rndType=${this.rndType})`;
  }
}

/**
 * Dispatches by parameter name: the first pattern that matches (a string is a regular expression
 * anchored at the start of the name, as Python's re.match; a RegExp is used as given) chooses
 * the initializer. End with '.*' for a default.
 * @example new init.Mixed(['.*bias', '.*'], ['zeros', new init.Xavier()])
 */
export class Mixed extends Initializer {
  private readonly map: readonly (readonly [RegExp, Initializer])[];
  constructor(patterns: readonly (string | RegExp)[], initializers: readonly InitLike[]) {
    super();
    if (!Array.isArray(patterns) || !Array.isArray(initializers)) {
      throw new ValueError(`Mixed: give a list of patterns and a list of initializers, got ${fmtValue(patterns)} and ${fmtValue(initializers)}`);
    }
    if (patterns.length !== initializers.length) {
      throw new ValueError(`Mixed: got ${patterns.length} patterns but ${initializers.length} initializers; give one initializer per pattern`);
    }
    this.map = patterns.map((p, i) => {
      try {
        return [toRegExp(p), create(initializers[i]!)] as const;
      } catch (e) {
        throw relabel(e, 'Mixed');
      }
    });
  }

  override initialize(name: string, data: NDArray, options: InitializeOptions = {}): void {
    this.pick(name).initialize(name, data, options);
  }

  protected initWeight(name: string, data: NDArray): void {
    this.pick(name).initialize(name, data, { byName: false });
  }

  private pick(name: string): Initializer {
    for (const [re, init] of this.map) if (re.test(name)) return init;
    throw new ValueError(
      `Mixed: parameter ${name} matches none of the patterns ${this.map.map(([re]) => re.source).join(', ')}; ` +
        `add a '.*' pattern at the end with a default initializer`,
    );
  }

  override toString(): string {
    return `Mixed(${this.map.map(([re, init]) => `${re.source}: ${init}`).join(', ')})`;
  }
}

/** A string pattern anchored at the start (Python re.match); a RegExp without stateful flags. */
export function toRegExp(p: string | RegExp): RegExp {
  if (p instanceof RegExp) return new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
  if (typeof p !== 'string') throw new ValueError(`a pattern must be a string (a regular expression) or a RegExp, got ${fmtValue(p)}`);
  try {
    return new RegExp(`^(?:${p})`);
  } catch (e) {
    throw new ValueError(`the pattern ${JSON.stringify(p)} is not a valid regular expression (${(e as Error).message})`);
  }
}

/**
 * Resolves an initializer spec: an instance is returned as is, a name gives the built-in with
 * default settings ('zeros', 'ones', 'uniform', 'normal', 'xavier', 'orthogonal', 'msraprelu').
 */
export function create(spec: InitLike): Initializer {
  if (spec instanceof Initializer) return spec;
  switch (spec) {
    case 'zeros':
    case 'zero':
      return new Zero();
    case 'ones':
    case 'one':
      return new One();
    case 'uniform':
      return new Uniform();
    case 'normal':
      return new Normal();
    case 'xavier':
      return new Xavier();
    case 'orthogonal':
      return new Orthogonal();
    case 'msraprelu':
      return new MSRAPrelu();
    default:
      throw new ValueError(
        `unknown initializer ${typeof spec === 'string' ? `'${spec}'` : fmtValue(spec)}; use an init.Initializer instance or one of ` +
          `'zeros', 'ones', 'uniform', 'normal', 'xavier', 'orthogonal', 'msraprelu'`,
      );
  }
}
