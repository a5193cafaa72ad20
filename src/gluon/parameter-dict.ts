/**
 * `ParameterDict`: an ordered map of parameters. A block's own parameters are kept in one keyed
 * by local name (`weight`), and `collectParams()` returns one keyed by structural path
 * (`0.weight`, `encoder.1.bias`), each parameter keeping its display name (`dense0_weight`).
 * It also reports which parameters are still pending, for the Trainer's error messages.
 */
import { DTypeError, ShapeError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { toRegExp, type InitLike } from '../init/builtins.js';
import type { GradReq } from '../ndarray/ndarray.js';
import { Parameter, type ParameterOptions } from './parameter.js';
import { Constant, type ConstantOptions, type ConstantValue } from './constant.js';
import { noteHolder, ownerName } from './sharing.js';
import { warn } from './warnings.js';
import { checkOptions } from '../core/public.js';

/** One parameter whose shape is still unknown. */
export interface PendingParam {
  /** Structural path, e.g. `0.weight`. */
  readonly path: string;
  /** Display name, e.g. `dense0_weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Display name of the block that owns it, when known. */
  readonly block?: string;
  /** Whether that block's forward ever ran. */
  readonly blockReached?: boolean;
}

/** What is still pending in a network, and a message naming the culprits. */
export interface PendingReport {
  readonly params: readonly PendingParam[];
  /** Blocks owning pending parameters whose forward never ran (path and display name). */
  readonly unreachedBlocks: readonly { readonly path: string; readonly name: string }[];
  /** A human explanation with the fix; empty when nothing is pending. */
  readonly message: string;
}

/** Formats a pending report's message from its entries. */
export function pendingMessage(params: readonly PendingParam[], unreached: readonly { path: string; name: string }[]): string {
  if (params.length === 0) return '';
  const lines = params.map((p) => {
    const where = p.block === undefined ? '' : p.blockReached ? ` in block ${p.block} (its forward ran but did not infer this shape)` : ` in block ${p.block}, which no forward has reached`;
    return `  ${p.path}: ${p.name} ${fmtShape(p.shape)}${where}`;
  });
  const hint =
    unreached.length > 0
      ? `Blocks never reached (${unreached.map((b) => b.path || b.name).join(', ')}) are not called by any forward so far: call them, or remove them. `
      : '';
  return (
    `${params.length} parameter${params.length === 1 ? ' is' : 's are'} still pending (shape unknown, so no values yet):\n${lines.join('\n')}\n` +
    `${hint}Run one forward with real data, or infer every shape without computing: net.inferShape([batch, features]) ` +
    `or net.initialize({ inputShape: [batch, features] }); or give layers their input size (inUnits, inChannels).`
  );
}

/** Options of `ParameterDict.initialize`. */
export interface DictInitOptions {
  /** Initializer for parameters without their own (default Uniform(0.07)). */
  init?: InitLike | null;
  /** Re-initialize parameters that already are. */
  forceReinit?: boolean;
}

/**
 * An ordered map from keys to parameters.
 * @example
 * const params = net.collectParams();
 * params.keys();                         // ['0.weight', '0.bias', '1.weight', '1.bias']
 * params.get('0.weight').name;           // 'dense0_weight'
 * net.collectParams('.*weight').size;    // 2
 */
export class ParameterDict implements Iterable<[string, Parameter]> {
  /** Prefix of display names given to parameters created with `get(key, options)`. */
  readonly prefix: string;
  readonly #map = new Map<string, Parameter>();
  readonly #report: (() => PendingReport) | null;
  readonly #shared: ParameterDict | null;

  /**
   * `shared`: parameters that `get(key, options)` reuses instead of creating (Gluon's
   * `params=`), which is how two blocks share weights.
   */
  constructor(prefix = '', options: { pendingReport?: () => PendingReport; shared?: ParameterDict | null } = {}) {
    if (typeof prefix !== 'string') throw new ValueError(`ParameterDict: the prefix must be a string, got ${fmtValue(prefix)}`);
    checkOptions('ParameterDict', options);
    this.prefix = prefix;
    this.#report = options.pendingReport ?? null;
    this.#shared = options.shared ?? null;
  }

  /**
   * The parameter at `key`. With `options`, creates it when missing (display name
   * prefix + key), as Gluon's `params.get('weight', shape=...)`: this is how a block declares a
   * parameter. Without options, a missing key is an error listing the keys; a display name
   * (`dense1_bias`, Gluon 1's keys) is accepted too.
   */
  get(key: string, options?: ParameterOptions): Parameter {
    const found = this.#map.get(key);
    if (found !== undefined) return found;
    if (options === undefined) {
      const byName = this.values().find((p) => p.name === key);
      if (byName !== undefined) return byName;
      throw new ValueError(`no parameter '${key}' here; the keys are: ${[...this.#map.keys()].join(', ') || '(none)'}`);
    }
    if (this.#shared?.has(key)) {
      const shared = this.#shared.get(key);
      const [me, them] = [ownerName(this.prefix), ownerName(this.#shared.prefix)];
      if (options.shape !== undefined && !shared.fits(options.shape)) {
        throw new ShapeError(
          `${me}: cannot share parameter ${shared.name} of ${them} (shape ${fmtShape(shared.shape)}) as '${key}' of shape ${fmtShape(options.shape)}; ` +
            `the shapes conflict: layers that share parameters need the same sizes`,
        );
      }
      if (options.dtype !== undefined && options.dtype !== shared.dtype) {
        throw new DTypeError(`${me}: cannot share parameter ${shared.name} of ${them} (${shared.dtype}) as '${key}' of dtype ${options.dtype}; give both layers the same dtype`);
      }
      if (options.shape !== undefined && !shared.shapeKnown && shared.state !== 'initialized') shared.shape = options.shape;
      noteHolder(shared, them);
      noteHolder(shared, me);
      this.#map.set(key, shared);
      return shared;
    }
    const p = new Parameter(this.prefix + key, options);
    noteHolder(p, ownerName(this.prefix));
    this.#map.set(key, p);
    return p;
  }

  /**
   * The constant at `key`, created with `value` when missing (Gluon's `params.get_constant`); a
   * shared dict's constant of that key is reused. See `Constant`.
   * @example this.mask = this.params.getConstant('mask', [[1, 0], [0, 1]]);
   */
  getConstant(key: string, value?: ConstantValue, options: ConstantOptions = {}): Constant {
    const found = this.#map.get(key) ?? (this.#shared !== null && this.#shared.has(key) ? this.#shared.get(key) : undefined);
    if (found !== undefined) {
      if (!(found instanceof Constant)) throw new ValueError(`getConstant('${key}'): ${found.name} is a trainable Parameter, not a Constant`);
      this.#map.set(key, found);
      return found;
    }
    if (value === undefined) throw new ValueError(`getConstant('${key}'): no constant '${key}' here yet; give its value to create it`);
    const c = new Constant(this.prefix + key, value, options);
    noteHolder(c, ownerName(this.prefix));
    this.#map.set(key, c);
    return c;
  }

  /** Adds (or replaces) the parameter at `key`. */
  set(key: string, param: Parameter): void {
    this.#map.set(key, param);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  get size(): number {
    return this.#map.size;
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }

  values(): Parameter[] {
    return [...this.#map.values()];
  }

  entries(): [string, Parameter][] {
    return [...this.#map.entries()];
  }

  [Symbol.iterator](): Iterator<[string, Parameter]> {
    return this.#map.entries();
  }

  /**
   * The parameters whose key (structural path) or display name matches `select`; a string is a
   * regular expression anchored at the start (Python's re.match), a RegExp is used as given.
   */
  select(select: string | RegExp): ParameterDict {
    const re = toRegExp(select);
    const out = new ParameterDict(this.prefix, this.#report === null ? {} : { pendingReport: this.#report });
    for (const [k, p] of this.#map) if (re.test(k) || re.test(p.name)) out.set(k, p);
    return out;
  }

  /**
   * Initializes every parameter (see `Parameter.initialize` for precedence). Parameters already
   * initialized are left alone unless `forceReinit`, with one warning for the whole call.
   */
  initialize(options: DictInitOptions = {}): void {
    const ignored: string[] = [];
    for (const p of this.values()) {
      if (p.initializeQuiet({ defaultInit: options.init ?? null, forceReinit: options.forceReinit ?? false }) === 'ignored') ignored.push(p.name);
    }
    if (ignored.length > 0) {
      const which = ignored.length <= 4 ? ignored.join(', ') : `${ignored.slice(0, 4).join(', ')} and ${ignored.length - 4} more`;
      warn(`already initialized, ignoring (${which}); set forceReinit: true to re-initialize.`);
    }
  }

  /** Zeroes every gradient (parameters with gradReq 'null' have none). */
  zeroGrad(): void {
    for (const p of this.#map.values()) p.zeroGrad();
  }

  /** Sets an attribute on every parameter, e.g. `setAttr('gradReq', 'null')` to freeze them. */
  setAttr(attr: 'gradReq', value: GradReq): void;
  setAttr(attr: 'lrMult' | 'wdMult', value: number): void;
  setAttr(attr: 'gradReq' | 'lrMult' | 'wdMult', value: GradReq | number): void {
    for (const p of this.#map.values()) {
      if (attr === 'gradReq') p.gradReq = value as GradReq;
      else p[attr] = value as number;
    }
  }

  /** Parameters still pending, with the blocks never reached when this dict came from a block. */
  pendingParams(): PendingReport {
    if (this.#report !== null) {
      const full = this.#report();
      const params = full.params.filter((p) => this.#map.get(p.path) !== undefined);
      const unreached = full.unreachedBlocks.filter((b) => params.some((p) => p.block === b.name));
      return { params, unreachedBlocks: unreached, message: pendingMessage(params, unreached) };
    }
    const params = this.entries()
      .filter(([, p]) => p.state === 'pending' && !p.shapeKnown)
      .map(([path, p]) => ({ path, name: p.name, shape: p.shape }));
    return { params, unreachedBlocks: [], message: pendingMessage(params, []) };
  }

  /** One line per parameter, as Gluon prints a ParameterDict. */
  toString(): string {
    const lines = this.entries().map(([k, p]) => `  ${k}: ${p}`);
    return lines.length === 0 ? 'ParameterDict()' : `ParameterDict(\n${lines.join('\n')}\n)`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
