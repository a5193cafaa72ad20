/**
 * What `hybridize()` does to a HybridBlock: its forward is traced into a graph once per input
 * signature and the compiled graph runs instead of the forward (src/graph).
 *
 * The first call for a signature (input shapes and dtypes, other arguments, training mode) runs
 * the block's forward on shape-only stand-ins under a tracer. That forward is the usual one:
 * `paramShapes` completes deferred shapes and pending parameters are initialized (so `Init ...`
 * lines print once, in order, as eagerly); `Parameter.data()` hands out stand-ins; children run
 * inline into the same graph. The graph is then compiled (memory plan, `staticAlloc`) and run.
 * Later calls with the same signature only check that the parameters still hold arrays of the
 * traced shapes (so `setData`, `forceReinit` and `loadParameters` are seen without tracing again)
 * and run the graph. A changed parameter shape or dtype, `resetShapes`, new sharing or a new child
 * traces again; `staticShape` keeps one graph, otherwise a bounded cache keeps several.
 *
 * A HybridBlock with a child that is a plain Block cannot be one graph: it runs imperatively (with
 * a warning at `hybridize()`), while its HybridBlock children are hybridized on their own.
 */
import { ShapeOnlyError, TraceError, ValueError, fmtValue } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { isCapturing } from '../ops/define.js';
import { isTraining } from '../autograd/state.js';
import type { Graph } from '../graph/graph.js';
import { activeTracer, trace, traceError } from '../graph/trace.js';
import { compile, type Executable } from '../graph/executor.js';
import type { Block, HybridizeOptions, ShapeSpec } from './block.js';
import { fieldChildrenCheck } from './fields.js';
import { isArrayTree, leaves, rebuild, sameTree, shapesOf, signatureKey } from './hybrid-args.js';
import { runPostHooks, runPreHooks } from './hooks.js';
import { Parameter, inShapeOnlyMode } from './parameter.js';
import { structureVersion } from './structure.js';
import { warn } from './warnings.js';

/** Graphs kept per block when input shapes vary (`staticShape: false`). */
const CACHE_SIZE = 16;

interface Entry {
  readonly graph: Graph;
  readonly exe: Executable;
  readonly keys: readonly object[];
  /** The arrays the parameters held at the last run (checked by identity first). */
  readonly arrays: NDArray[];
  readonly version: number;
  /** True while the tree's field children are the ones traced. */
  readonly fieldsUnchanged: () => boolean;
  /** What the forward returned, with shape-only arrays: the outputs are put back into it. */
  readonly result: unknown;
  /** The signature traced: training mode, and the arguments with shape-only arrays. */
  readonly training: boolean;
  readonly args: readonly unknown[];
}

interface State {
  active: boolean;
  staticAlloc: boolean;
  staticShape: boolean;
  /** A child is a plain Block: this block runs imperatively. */
  imperative: boolean;
  readonly cache: Map<string, Entry>;
  last: Entry | null;
}

const states = new WeakMap<Block, State>();

/** True for a HybridBlock or HybridSequential (a block `installHybrid` prepared). */
export function isHybridBlock(b: unknown): boolean {
  return typeof b === 'object' && b !== null && states.has(b as Block);
}

/**
 * @internal Makes `block` hybridizable: wraps its forward (already wrapped by Block for deferred
 * shapes) so that, once hybridized, calls go through the graph cache.
 */
export function installHybrid(block: Block): void {
  states.set(block, { active: false, staticAlloc: false, staticShape: false, imperative: false, cache: new Map(), last: null });
  const inner = block.forward;
  Object.defineProperty(block, 'forward', {
    value: (...args: unknown[]): unknown => call(block, inner, args),
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/** @internal `HybridBlock.hybridize`: this block's flags, its cache cleared, then its children. */
export function hybridizeBlock(block: Block, options: HybridizeOptions, children: () => void): void {
  const st = states.get(block)!;
  const active = options.active ?? true;
  const staticAlloc = options.staticAlloc ?? false;
  const staticShape = options.staticShape ?? false;
  for (const [k, v] of Object.entries({ active, staticAlloc, staticShape })) {
    if (typeof v !== 'boolean') throw new ValueError(`${block.name}.hybridize: ${k} must be true or false, got ${fmtValue(v)}`);
  }
  Object.assign(st, { active, staticAlloc, staticShape, last: null });
  st.cache.clear();
  const plain = block.namedChildren().filter(([, c]) => !isHybridBlock(c));
  st.imperative = plain.length > 0;
  if (active && st.imperative) {
    const [key, child] = plain[0]!;
    warn(
      `${block.name} has a child that is not a HybridBlock (${key}: ${child.constructor.name}), so it cannot be hybridized as one graph and runs imperatively; ` +
        `its HybridBlock children are hybridized on their own. Use HybridBlock children (HybridSequential instead of Sequential) to hybridize it whole.`,
    );
  }
  children();
}

function signature(args: readonly unknown[]): string | null {
  return signatureKey(args, isTraining());
}

function call(block: Block, inner: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const st = states.get(block)!;
  const tracer = activeTracer();
  if (tracer !== null || isCapturing()) {
    // Inside a parent's trace: this forward becomes part of the parent's graph.
    try {
      return inner.apply(block, args);
    } catch (e) {
      if ((e instanceof ShapeOnlyError || e instanceof TraceError) && tracer !== null) throw traceError(block.name, pathIn(tracingRoot, block), tracer, e);
      throw e;
    }
  }
  if (!st.active || st.imperative || inShapeOnlyMode()) return inner.apply(block, args);
  const xs = leaves(args);
  for (let i = 0; i < xs.length; i++) if (xs[i]!.isShapeOnly) return inner.apply(block, args);
  // The common case, the same signature as the last call, needs no key.
  const last = st.last;
  if (last !== null && sameSignature(last, args) && current(last)) return runHooked(block, last, args, xs);
  const key = signature(args);
  if (key === null) return inner.apply(block, args);
  let entry = st.cache.get(key);
  if (entry !== undefined && !current(entry)) {
    st.cache.delete(key);
    entry = undefined;
  }
  if (entry === undefined) {
    entry = build(block, inner, args, st);
    if (st.staticShape) st.cache.clear();
    else if (st.cache.size >= CACHE_SIZE) st.cache.delete(st.cache.keys().next().value!);
  } else st.cache.delete(key);
  st.cache.set(key, entry);
  st.last = entry;
  return runHooked(block, entry, args, xs);
}

/**
 * Runs the graph between the block's forward hooks, as Gluon runs a hybridized block's hooks at
 * every call with real arrays (the trace itself runs no hooks, see Block's forward).
 */
function runHooked(block: Block, entry: Entry, args: readonly unknown[], xs: readonly NDArray[]): unknown {
  runPreHooks(block, args);
  const out = run(entry, xs);
  runPostHooks(block, args, out);
  return out;
}

/** Runs the entry's graph on `xs`, the arrays of the arguments (leaves(args)). */
function run(entry: Entry, xs: readonly NDArray[]): unknown {
  const outs = entry.exe.run(xs, entry.arrays);
  return entry.result instanceof NDArray ? outs[0] : rebuild(entry.result, outs);
}

/** True when `args` (in the current training mode) have the signature `entry` was traced for. */
function sameSignature(entry: Entry, args: readonly unknown[]): boolean {
  return entry.training === isTraining() && sameTree(args, entry.args);
}

/** The array a parameter key stands for now, or null when it has none (pending, reset). */
function arrayOf(key: object): NDArray | null {
  return key instanceof Parameter ? key.dataIfReady() : (key as NDArray);
}

/** True when the entry can run as traced: same structure, parameters of the traced shapes. */
function current(entry: Entry): boolean {
  if (entry.version !== structureVersion() || !entry.fieldsUnchanged()) return false;
  const { keys, arrays, graph } = entry;
  for (let i = 0; i < keys.length; i++) {
    const now = arrayOf(keys[i]!);
    if (now === arrays[i]) continue;
    const v = graph.values[graph.paramValues[i]!]!;
    if (now === null || now.dtype !== v.dtype || now.shape.length !== v.shape.length || now.shape.some((d, k) => d !== v.shape[k])) return false;
    arrays[i] = now;
  }
  return true;
}

/** The block whose forward is being traced now (for the structural path in messages). */
let tracingRoot: Block | null = null;

/** The structural path of `block` inside `root` ('0.attention'), or '' when not found. */
function pathIn(root: Block | null, block: Block): string {
  if (root === null || root === block) return '';
  for (const [key, child] of root.namedChildren()) {
    if (child === block) return key;
    const sub = pathIn(child, block);
    if (sub !== '') return `${key}.${sub}`;
  }
  return '';
}

function build(block: Block, inner: (...args: unknown[]) => unknown, args: readonly unknown[], st: State): Entry {
  const specs = leaves(args).map((a) => ({ shape: a.shape, dtype: a.dtype }));
  const version = structureVersion();
  const fieldsUnchanged = fieldChildrenCheck(block);
  const paths = new Map<Parameter, string>(block.collectParams().entries().map(([path, p]) => [p, path]));
  const outerRoot = tracingRoot;
  tracingRoot = block;
  let traced: ReturnType<typeof trace<unknown>>;
  try {
    traced = trace(
      block.name,
      specs,
      (...xs) => inner.apply(block, rebuild(args, xs) as unknown[]),
      (r) => {
        if (isArrayTree(r)) return leaves(r);
        throw new ValueError(`${block.name}: a hybridized forward must return an NDArray or a list (possibly nested) of NDArrays, got ${describe(r)}`);
      },
      (key) => (key instanceof Parameter ? { path: paths.get(key) ?? '', name: key.name } : { path: '', name: '(array)' }),
    );
  } finally {
    tracingRoot = outerRoot;
  }
  const { graph, paramKeys, result } = traced;
  const arrays = paramKeys.map((k) => arrayOf(k)!);
  return { graph, exe: compile(graph, { staticAlloc: st.staticAlloc }), keys: paramKeys, arrays, version, fieldsUnchanged, result: shapesOf(result), training: isTraining(), args: shapesOf(args) as unknown[] };
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length} values`;
  return v === null ? 'null' : typeof v;
}

/**
 * @internal `HybridBlock.graph(...)`: the graph of the last call, or of the call with these
 * inputs (traced now, without running, if it is not cached).
 */
export function graphOf(block: Block, inputs: readonly ShapeSpec[]): Graph {
  const st = states.get(block)!;
  if (inputs.length === 0) {
    if (st.last === null) {
      throw new ValueError(`${block.name}.graph(): no graph yet; call ${block.name}.hybridize() and run a forward first, or give the input shapes: graph([1, 3, 224, 224])`);
    }
    return st.last.graph;
  }
  const args = inputs.map((s) => (s instanceof NDArray ? NDArray.shapeOnly(s.shape, s.dtype) : NDArray.shapeOnly(s, 'float32')));
  const key = signature(args)!;
  const hit = st.cache.get(key);
  if (hit !== undefined && current(hit)) return hit.graph;
  // Called inside the trace, the block's forward runs inline whatever its flags say.
  const entry = build(block, block.forward.bind(block) as (...a: unknown[]) => unknown, args, st);
  st.cache.set(key, entry);
  return entry.graph;
}
