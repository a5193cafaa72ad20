/**
 * `Block`: the base class of every layer and model, with Gluon's deferred initialization.
 *
 * Registration (the one way): assign child blocks and parameters to fields of the block.
 * `this.dense = new nn.Dense(8)` makes a child at path `dense`; `this.layers = [a, b]` children at
 * `layers.0`, `layers.1`; `this.weight = this.params.get('weight', { shape: [8, 0] })` a
 * parameter at `weight` with display name `<prefix>weight`. Fields are discovered when needed
 * (own enumerable properties; `#private` fields stay invisible). Containers whose children are not
 * fields (Sequential) call `registerChild`.
 *
 * Deferred shapes (the one way): a block whose parameters have unknown dimensions overrides
 * `paramShapes(...inputs)` and returns the shapes its parameters need for these inputs, e.g.
 * `{ weight: [this.units, x.shape[1]] }`. Before each forward the base class fills the unknown
 * dimensions, initializes parameters that were pending, and checks known shapes, throwing a
 * ShapeError that names the layer, the parameter, both shapes and the fix. `paramShapes` must
 * only read shapes, never values, so that `inferShape` can run the forward on shape-only arrays.
 *
 * Users call `net.forward(x)`. The base class wraps each instance's `forward` so these steps run
 * before the subclass's code; define `forward` as a method (not an arrow-function field).
 *
 * Name scopes (name-scope.ts), forward hooks (hooks.ts) and the child-field rules (fields.ts) live
 * in their own files; this class calls them.
 */
import type { DType } from '../core/dtype.js';
import { ShapeError, TraceError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkOptions, relabel } from '../core/public.js';
import { checkShape } from '../core/shape.js';
import { NDArray } from '../ndarray/ndarray.js';
import { pause } from '../autograd/state.js';
import { activeTracer } from '../graph/trace.js';
import type { InitLike } from '../init/builtins.js';
import { checkInputDType } from './input-dtype.js';
import { checkBlockOptions } from './block-options.js';
import { Parameter, inShapeOnlyMode, withShapeOnlyParams } from './parameter.js';
import { ParameterDict, pendingMessage, type PendingParam, type PendingReport } from './parameter-dict.js';
import { noteHolder, noteInferred, shareInto, shareOnFirstUse, sharedOrigin, type SharedParams } from './sharing.js';
import { blockPrefix, withScope } from './name-scope.js';
import { addHook, runPostHooks, runPreHooks, type ForwardHook, type ForwardPreHook, type HookHandle } from './hooks.js';
import { checkFields, installFieldGuard, warnUnregisteredContainers } from './fields.js';
import { structureChanged } from './structure.js';

/** Shapes a block's parameters need for given inputs, keyed by parameter key; 0 = still unknown. */
export type ParamShapes = Readonly<Record<string, readonly number[]>>;

/** A shape, or an array whose shape (and dtype) is used. */
export type ShapeSpec = readonly number[] | NDArray;

/** Options every block constructor accepts. */
export interface BlockOptions {
  /**
   * Prefix of the display names, e.g. 'encoder_'; default lowercase class name + counter + '_'.
   * Inside a parent's `nameScope` both are appended to the parent's prefix (`mlp0_dense0_`).
   */
  prefix?: string;
  /**
   * Share parameters with another block (Gluon's `params=`): `params.get(key, ...)` reuses the
   * parameter of this dict with the same key, `new nn.Dense(8, { params: other.params })`; and
   * for a composite block, every parameter of its tree whose structural path is a key of the
   * dict becomes that parameter, `new Net({ params: net1.collectParams() })`.
   */
  params?: ParameterDict;
}

/** Options of `net.hybridize(options)` (Gluon's `hybridize(active, static_alloc, static_shape)`). */
export interface HybridizeOptions {
  /** Run HybridBlocks as traced graphs (default true); false returns them to imperative. */
  active?: boolean;
  /** Allocate a graph's intermediate buffers once and reuse them across calls (default false). */
  staticAlloc?: boolean;
  /** Keep one graph per block for one input shape instead of a cache of several (default false). */
  staticShape?: boolean;
}

/** Options of `net.initialize(options)`. */
export interface BlockInitOptions {
  /** Initializer for parameters that have none of their own (default Uniform(0.07)). */
  init?: InitLike | null;
  /** Re-initialize parameters that already are (those with unknown shapes stay pending). */
  forceReinit?: boolean;
  /** Infer every deferred shape now from this input shape (or a list of them), computing nothing. */
  inputShape?: readonly number[] | readonly (readonly number[])[];
}

export { resetNameCounters } from './name-scope.js';

/** Errors a block's forward already named, so the blocks around it do not rename them. */
const namedByBlock = new WeakSet<object>();

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function indent(s: string, n: number): string {
  return s.split('\n').join(`\n${' '.repeat(n)}`);
}

/**
 * Base class of layers and models.
 * @example
 * class MLP extends gluon.Block {
 *   hidden = new nn.Dense(256, { activation: 'relu' });
 *   out = new nn.Dense(10);
 *   override forward(x: nd.NDArray): nd.NDArray {
 *     return this.out.forward(this.hidden.forward(x));
 *   }
 * }
 * const net = new MLP();
 * net.initialize();
 * net.forward(nd.random.uniform({ shape: [2, 20] }));
 */
export class Block {
  readonly #prefix: string;
  readonly #params: ParameterDict;
  readonly #children = new Map<string, Block>();
  #reached = false;
  /** The dict given as `params` when this block is a composite still to be tied to it, else null. */
  #shareFrom: ParameterDict | null;

  /**
   * The name counter a layer family shares, as Gluon's `_alias`: every convolution is `conv0`,
   * `conv1`... and every pooling layer `pool0`. Without one, the lowercase class name is used.
   */
  static readonly alias: string | undefined = undefined;

  /**
   * True for layers that compute with their parameters in floating point (Dense, convolutions,
   * normalization): their first input must then have the parameters' dtype, checked before each
   * forward with a message saying how to convert (src/gluon/input-dtype.ts).
   */
  static readonly floatInput: boolean = false;

  constructor(options: BlockOptions = {}) {
    checkBlockOptions(new.target.name, options);
    const base = (new.target as typeof Block).alias ?? (new.target.name || 'block').toLowerCase();
    this.#prefix = blockPrefix(base, options.prefix);
    this.#params = new ParameterDict(this.#prefix, { shared: options.params ?? null });
    this.#shareFrom = options.params ?? null;
    const userForward = this.forward;
    Object.defineProperty(this, 'forward', {
      value: (...args: unknown[]): unknown => this.#callForward(userForward, args),
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }

  /** Display name, e.g. `dense0`. */
  get name(): string {
    return this.#prefix.endsWith('_') ? this.#prefix.slice(0, -1) : this.#prefix;
  }

  /** Prefix of this block's parameter display names, e.g. `dense0_`. */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * This block's own parameters (not its children's), keyed by local name. `params.get(key,
   * options)` creates one, as Gluon's `self.params.get`.
   */
  get params(): ParameterDict {
    for (const [key, value] of Object.entries(this)) {
      if (!(value instanceof Parameter)) continue;
      if (this.#params.values().includes(value)) continue;
      this.#params.set(key, value);
      noteHolder(value, this.name);
    }
    return this.#params;
  }

  /** The direct children with their keys: registered ones first, then fields in definition order. */
  namedChildren(): [string, Block][] {
    this.#resolveSharing();
    checkFields(this, isBlock);
    const out = new Map(this.#children);
    const known = new Set(out.values());
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Block && !known.has(value)) out.set(key, value);
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Block)) {
        value.forEach((b: Block, i) => {
          if (!known.has(b)) out.set(`${key}.${i}`, b);
        });
      }
    }
    return [...out.entries()];
  }

  /** Registers a child that is not a field (containers); key defaults to the next index. */
  registerChild<B extends Block>(block: B, key?: string): B {
    if (!(block instanceof Block)) throw new ValueError(`${this.name}: registerChild needs a Block, got ${String(block)}`);
    this.#children.set(key ?? String(this.#children.size), block);
    structureChanged();
    return block;
  }

  /**
   * Runs `fn` (synchronously) with this block's name scope open: blocks created inside are named
   * under this block's prefix with counters of their own (`mlp0_dense0`), as Gluon 1.x's
   * `with self.name_scope():`. Returns what `fn` returns. See name-scope.ts.
   * @example
   * class MLP extends gluon.Block {
   *   constructor() {
   *     super();
   *     this.nameScope(() => {
   *       this.hidden = new nn.Dense(64);   // mlp0_dense0_weight
   *       this.out = new nn.Dense(10);      // mlp0_dense1_weight
   *     });
   *   }
   * }
   */
  nameScope<T>(fn: () => T): T {
    const out = withScope(this, this.#prefix, fn);
    checkFields(this, isBlock);
    return out;
  }

  /**
   * Calls `hook(block, inputs)` before every forward of this block; `handle.detach()` removes it.
   * @example const handle = net.registerForwardPreHook((b, [x]) => console.log(b.name, x));
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): HookHandle {
    return addHook(this, 'pre', hook, this.name);
  }

  /**
   * Calls `hook(block, inputs, output)` after every forward of this block; `handle.detach()`
   * removes it.
   * @example net.get(0).registerForwardHook((b, inputs, out) => console.log(b.name, (out as nd.NDArray).shape));
   */
  registerForwardHook(hook: ForwardHook<this>): HookHandle {
    return addHook(this, 'post', hook, this.name);
  }

  /**
   * The forward computation; subclasses override it, users call it. The base class runs
   * `paramShapes` first (see the file comment). A block returns one NDArray, so `net.forward(x)`
   * is an NDArray without a cast wherever the net is typed as a plain `Block` (a model-zoo net, a
   * list of layers); a subclass still declares the inputs it takes, e.g. `forward(x, mask)`.
   */
  forward(..._inputs: unknown[]): NDArray {
    throw new ValueError(`${this.constructor.name} does not define forward(); override forward(x) in your Block subclass`);
  }

  /**
   * Declares the shapes this block's parameters need for the given inputs; override it when a
   * parameter has unknown dimensions. Read only shapes of the inputs, never their values.
   * @example
   * protected override paramShapes(x: nd.NDArray): gluon.ParamShapes {
   *   return { weight: [this.units, x.shape[x.ndim - 1]] };
   * }
   */
  protected paramShapes(..._inputs: unknown[]): ParamShapes | undefined {
    return undefined;
  }

  #callForward(fn: (...args: unknown[]) => unknown, args: unknown[]): unknown {
    this.#reached = true;
    try {
      this.#resolveSharing();
      // No hooks while shapes are inferred without data or a hybridized forward is traced: a
      // hybridized block runs its hooks around the graph (hybridize.ts), its children's are inside it.
      const hooked = !inShapeOnlyMode() && activeTracer() === null;
      if (hooked) runPreHooks(this, args);
      if ((this.constructor as typeof Block).floatInput) checkInputDType(this.name, args[0], this.#params.values());
      const declared = this.paramShapes(...args);
      if (declared !== undefined) this.#reconcile(declared, args);
      const out = fn.apply(this, args);
      if (hooked) runPostHooks(this, args, out);
      return out;
    } catch (e) {
      // Named by the innermost block it came through (`dense1: fullyConnected: ...`); the
      // blocks around it leave that name alone.
      // A TraceError names the traced block and the one that failed inside it already.
      if (typeof e === 'object' && e !== null && !namedByBlock.has(e) && !(e instanceof TraceError)) {
        relabel(e, this.name);
        namedByBlock.add(e);
      }
      throw e;
    }
  }

  /** Ties a composite block to the dict given as `params`, once, before its tree is first used. */
  #resolveSharing(): void {
    const from = this.#shareFrom;
    if (from === null) return;
    this.#shareFrom = null;
    shareOnFirstUse(this, from);
  }

  #reconcile(declared: ParamShapes, args: unknown[]): void {
    const own = this.params;
    for (const [key, shape] of Object.entries(declared)) {
      if (!own.has(key)) {
        throw new ValueError(`${this.name}: paramShapes() returned a shape for '${key}', but this block has no such parameter; it has: ${own.keys().join(', ') || '(none)'}`);
      }
      const p = own.get(key);
      if (!p.fits(shape)) throw this.#mismatch(key, p, shape, args);
      if (!p.shapeKnown) {
        p.shape = shape;
        noteInferred(p, this.name);
      }
    }
    // Materialize what just became known, in declaration order.
    for (const p of own.values()) if (p.state === 'pending' && p.shapeKnown) p.data();
  }

  #mismatch(key: string, p: Parameter, need: readonly number[], args: unknown[]): ShapeError {
    const shapes = args.filter((a): a is NDArray => a instanceof NDArray).map((a) => fmtShape(a.shape));
    const input = shapes.length === 1 ? `input of shape ${shapes[0]}` : `inputs of shapes ${shapes.join(', ')}`;
    const needShape = need.map((d, i) => (d === 0 ? p.shape[i] ?? 0 : d));
    const origin = sharedOrigin(p, this.name) ?? (p.shapeInferable
      ? 'That shape was inferred from the first input. Feed inputs of the same size (only the batch size may change), ' +
        'or call net.resetShapes() so the next forward re-infers every inferred shape (and re-initializes those parameters).'
      : 'That shape was fixed when the layer was built (for example inUnits) or by setData. Pass inputs that match it, or build the layer with the right input size.');
    return new ShapeError(
      `${this.name}: ${input} does not fit parameter ${key} (${p.name}) of shape ${fmtShape(p.shape)}; ` +
        `this input needs shape ${fmtShape(needShape)}. ${origin} Parameters are unchanged.`,
    );
  }

  /** Visits this block and its descendants once each, pre-order, with structural paths. */
  #walk(visit: (block: Block, path: string) => void): void {
    const seen = new Set<Block>();
    const go = (b: Block, path: string): void => {
      if (seen.has(b)) return;
      seen.add(b);
      visit(b, path);
      for (const [key, child] of b.namedChildren()) go(child, join(path, key));
    };
    go(this, '');
  }

  /**
   * Every parameter of the tree, keyed by structural path (`0.weight`, `encoder.1.bias`), each
   * listed once even when shared. `select` keeps those whose path or display name matches: a
   * string is a regular expression anchored at the start (Python's re.match), a RegExp is used
   * as given.
   * @example net.collectParams('.*weight').keys() // ['0.weight', '1.weight']
   */
  collectParams(select?: string | RegExp): ParameterDict {
    const dict = new ParameterDict('', { pendingReport: () => this.pendingParams() });
    const seen = new Set<Parameter>();
    this.#walk((b, path) => {
      warnUnregisteredContainers(b, isBlock);
      for (const [key, p] of b.params) {
        if (seen.has(p)) continue;
        seen.add(p);
        dict.set(join(path, key), p);
      }
    });
    return select === undefined ? dict : dict.select(select);
  }

  /**
   * Initializes every parameter of the tree. Shapes still unknown stay pending until the first
   * forward (or until `inputShape` infers them now). Calling it again without `forceReinit`
   * warns once and changes nothing.
   * @example
   * net.initialize({ init: new init.Xavier() });
   * net.initialize({ init: 'normal', inputShape: [2, 20] });   // every shape known now
   */
  initialize(options: BlockInitOptions = {}): void {
    try {
      checkOptions(`${this.name}.initialize`, options);
      this.collectParams().initialize({ init: options.init ?? null, forceReinit: options.forceReinit ?? false });
      const { inputShape } = options;
      if (inputShape === undefined) return;
      if (!Array.isArray(inputShape)) throw new ValueError(`initialize: inputShape must be a shape such as [2, 20] or a list of them, got ${fmtValue(inputShape)}`);
      const shapes = inputShape.length > 0 && Array.isArray(inputShape[0]) ? (inputShape as readonly (readonly number[])[]) : [inputShape as readonly number[]];
      this.inferShape(...shapes);
    } catch (e) {
      throw relabel(e, this.name);
    }
  }

  /**
   * Completes every deferred shape from the input shapes without computing: the forward runs on
   * shape-only arrays (ops only propagate shapes, parameters hand out shape-only arrays), in
   * prediction mode. Pending parameters are initialized. Costs microseconds, not a forward pass.
   * @example
   * net.initialize();
   * net.inferShape([2, 20]);
   * net.get(0).params.get('weight').shape // [256, 20]
   */
  inferShape(...inputs: ShapeSpec[]): void {
    if (inputs.length === 0) throw new ValueError(`${this.name}.inferShape: give the shape of each input, e.g. inferShape([2, 20])`);
    const xs = inputs.map((s) => (s instanceof NDArray ? NDArray.shapeOnly(s.shape, s.dtype) : NDArray.shapeOnly(checkShape(s, `${this.name}.inferShape`), 'float32')));
    withShapeOnlyParams(() => pause(() => this.forward(...xs)));
  }

  /**
   * Returns every parameter whose shape was inferred to its declared form (unknown dimensions
   * back to 0) and to pending, keeping its initializer, so the next forward re-infers it from
   * its input. Shapes given at construction (inUnits) or pinned by setData are kept. Returns the
   * paths reset.
   */
  resetShapes(): string[] {
    structureChanged();
    return this.collectParams()
      .entries()
      .filter(([, p]) => p.resetShape())
      .map(([path]) => path);
  }

  /**
   * Parameters still pending (shape unknown), the blocks that own them, and those of these
   * blocks no forward has reached, with a message naming them and the fix.
   */
  pendingParams(): PendingReport {
    const params: PendingParam[] = [];
    const unreached: { path: string; name: string }[] = [];
    const seen = new Set<Parameter>();
    this.#walk((b, path) => {
      let any = false;
      for (const [key, p] of b.params) {
        if (seen.has(p)) continue;
        seen.add(p);
        if (p.state !== 'pending' || p.shapeKnown) continue;
        any = true;
        params.push({ path: join(path, key), name: p.name, shape: p.shape, block: b.name, blockReached: b.#reached });
      }
      if (any && !b.#reached) unreached.push({ path, name: b.name });
    });
    return { params, unreachedBlocks: unreached, message: pendingMessage(params, unreached) };
  }

  /**
   * Calls `fn` on every block of the tree, children first, then this one; a block used twice is
   * visited once.
   * @example net.apply((b) => { if (b instanceof nn.Dense) b.weight.initialize({ init: 'xavier', forceReinit: true }); });
   */
  apply(fn: (block: Block) => void): this {
    const seen = new Set<Block>();
    const go = (b: Block): void => {
      if (seen.has(b)) return;
      seen.add(b);
      for (const [, child] of b.namedChildren()) go(child);
      fn(b);
    };
    go(this);
    return this;
  }

  /**
   * Ties parameters to other ones (Gluon 2's `share_parameters`): every parameter of this tree
   * whose structural path is a key of `shared` is replaced by that Parameter object, so both
   * networks read and train the same array. Shapes and dtypes are checked first; nothing changes
   * on error. See docs/parameters.md.
   * @example decoder.shareParameters(encoder.collectParams('.*weight'));
   */
  shareParameters(shared: SharedParams): this {
    shareInto(this, shared);
    structureChanged();
    return this;
  }

  /** Zeroes the gradients of every parameter of the tree. */
  zeroGrad(): void {
    this.collectParams().zeroGrad();
  }

  /** Converts every parameter of the tree to `dtype`. */
  cast(dtype: DType): void {
    for (const p of this.collectParams().values()) p.cast(dtype);
  }

  /**
   * Hybridizes the HybridBlocks of the tree (see src/gluon/hybrid-block.ts); a plain Block itself
   * always runs imperatively, so this only passes the options on to its children.
   * @example net.hybridize();                 // HybridBlock children run as traced graphs
   */
  hybridize(options: HybridizeOptions = {}): this {
    for (const [, child] of this.namedChildren()) child.hybridize(options);
    return this;
  }

  /** Gluon's printed form: the class name and, indented, each child as `(key): ...`. */
  toString(): string {
    const children = this.namedChildren();
    if (children.length === 0) return `${this.constructor.name}()`;
    const lines = children.map(([key, child]) => `  (${key}): ${indent(child.toString(), 2)}`);
    return `${this.constructor.name}(\n${lines.join('\n')}\n)`;
  }

  /** How Node's console.log and util.inspect print it (the symbol needs no import of node:util). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function isBlock(v: unknown): boolean {
  return v instanceof Block;
}

installFieldGuard(Block.prototype, isBlock);
