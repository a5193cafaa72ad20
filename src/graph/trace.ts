/**
 * Tracing: running a forward on shape-only stand-ins while `apply` hands every primitive call to
 * a `Tracer` (src/ops/define.ts's capture hook), which records it as a graph node and returns a
 * shape-only stand-in for the result. Nothing is computed, so tracing costs what data-free shape
 * inference costs, and a forward that reads values (`toArray()`, `item()`, JavaScript branching on
 * data) meets a ShapeOnlyError, which `trace` turns into a TraceError naming the block and the call.
 *
 * Inputs of the graph are the stand-ins `input()` hands out; parameters are the stand-ins
 * `param(key)` hands out (the gluon layer calls it from `Parameter.data()`); any other array with
 * data that an op receives is captured as a constant, by reference, except a leaf with an attached
 * gradient, which becomes a parameter keyed by the array itself so gradients still reach it.
 * Steps that write in place or draw random numbers are kept even when no output needs them; other
 * nodes that no output needs are dropped.
 */
import type { DType } from '../core/dtype.js';
import { ShapeOnlyError, TraceError, fmtShape } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { withCapture, type Capture, type Inferred, type Primitive } from '../ops/define.js';
import { isRecording, isTraining, record } from '../autograd/state.js';
import { Graph, type GraphNode, type GraphParam, type GraphValue, type ValueSource } from './graph.js';

/** How the graph names a parameter key: structural path and display name. */
export type ParamNamer = (key: object, index: number) => GraphParam;

let active: Tracer | null = null;

/** The tracer of the trace running now, or null (Parameter.data() asks it for stand-ins). */
export function activeTracer(): Tracer | null {
  return active;
}

/** Records primitive calls into a graph. */
export class Tracer implements Capture {
  /** The block (or function) traced, for messages. */
  readonly name: string;
  readonly #values: GraphValue[] = [];
  readonly #nodes: GraphNode[] = [];
  readonly #prims: Primitive<unknown, unknown>[] = [];
  readonly #plans: unknown[] = [];
  readonly #inputs: number[] = [];
  readonly #paramKeys: object[] = [];
  readonly #paramValues: number[] = [];
  readonly #constants: NDArray[] = [];
  readonly #ids = new Map<NDArray, number>();
  readonly #standIns = new Map<object, NDArray>();

  readonly #adopt: ((x: NDArray) => boolean) | null;

  /**
   * `adopt`, when given, is asked about each shape-only array an op receives that is not part of
   * the trace; when it answers true the array becomes the next input of the graph (the backward
   * tracer adopts the forward values the gradient rules read).
   */
  constructor(name: string, adopt: ((x: NDArray) => boolean) | null = null) {
    this.name = name;
    this.#adopt = adopt;
  }

  /** The shapes of the inputs traced, for messages. */
  get inputShapes(): (readonly number[])[] {
    return this.#inputs.map((id) => this.#values[id]!.shape);
  }

  #value(shape: readonly number[], dtype: DType, source: ValueSource): NDArray {
    const standIn = NDArray.shapeOnly(shape, dtype);
    this.#ids.set(standIn, this.#values.length);
    this.#values.push({ id: this.#values.length, shape: [...shape], dtype, source });
    return standIn;
  }

  /** A stand-in for the next input of the graph. */
  input(shape: readonly number[], dtype: DType): NDArray {
    const x = this.#value(shape, dtype, { kind: 'input', index: this.#inputs.length });
    this.#inputs.push(this.#ids.get(x)!);
    return x;
  }

  /** The stand-in for the parameter identified by `key` (the same one on every call). */
  param(key: object, shape: readonly number[], dtype: DType): NDArray {
    const known = this.#standIns.get(key);
    if (known !== undefined) return known;
    const x = this.#value(shape, dtype, { kind: 'param', index: this.#paramKeys.length });
    this.#paramKeys.push(key);
    this.#paramValues.push(this.#ids.get(x)!);
    this.#standIns.set(key, x);
    return x;
  }

  /** The keys of the parameters read, in order of first use. */
  get paramKeys(): readonly object[] {
    return this.#paramKeys;
  }

  /** The value id of an array an op received: a stand-in, or a constant / leaf met for the first time. */
  #idOf(x: NDArray, op: string): number {
    const id = this.#ids.get(x);
    if (id !== undefined) return id;
    if (x.isShapeOnly && this.#adopt?.(x) === true) {
      this.#ids.set(x, this.#values.length);
      this.#inputs.push(this.#values.length);
      this.#values.push({ id: this.#values.length, shape: [...x.shape], dtype: x.dtype, source: { kind: 'input', index: this.#inputs.length - 1 } });
      return this.#values.length - 1;
    }
    if (x.isShapeOnly) {
      throw new TraceError(
        `${op}: received a ${fmtShape(x.shape)} shape-only array that is not part of this trace (a stand-in kept from another trace, or one made with NDArray.shapeOnly); ` +
          `pass arrays with data, or arrays computed from the forward's own inputs`,
      );
    }
    if (x._gradReq !== 'null' && x._grad !== null) return this.#ids.get(this.param(x, x.shape, x.dtype))!;
    this.#ids.set(x, this.#values.length);
    this.#values.push({ id: this.#values.length, shape: [...x.shape], dtype: x.dtype, source: { kind: 'const', index: this.#constants.length } });
    this.#constants.push(x);
    return this.#values.length - 1;
  }

  record<A, P>(prim: Primitive<A, P>, inputs: readonly NDArray[], attrs: A, inferred: Inferred<P>): NDArray {
    const ins = inputs.map((x) => this.#idOf(x, prim.name));
    const id = this.#nodes.length;
    const inPlace = prim.effect === 'inPlace';
    let out: NDArray | null = null;
    if (!inPlace) out = this.#value(inferred.shape, inferred.dtype, { kind: 'node', node: id });
    this.#nodes.push({ id, op: prim.name, attrs, inputs: ins, output: out === null ? null : this.#ids.get(out)!, differentiable: isRecording() });
    this.#prims.push(prim as Primitive<unknown, unknown>);
    this.#plans.push(inferred.plan);
    return out ?? inputs[0]!;
  }

  /** The graph computing `outputs`, with unneeded nodes dropped and everything renumbered. */
  finish(name: string, outputs: readonly NDArray[], namer: ParamNamer): Graph {
    const outIds = outputs.map((x) => this.#idOf(x, 'the output'));
    return prune({
      name,
      values: this.#values,
      nodes: this.#nodes,
      inputs: this.#inputs,
      params: this.#paramKeys.map((k, i) => namer(k, i)),
      paramValues: this.#paramValues,
      constants: this.#constants,
      outputs: outIds,
      prims: this.#prims,
      plans: this.#plans,
    });
  }
}

/**
 * Keeps the nodes that outputs or effects (in-place writes, random draws) need, and the values
 * they use; renumbers nodes and values densely, in order. Inputs and parameters are always kept.
 */
export function prune(g: ConstructorParameters<typeof Graph>[0]): Graph {
  const live = new Array<boolean>(g.nodes.length).fill(false);
  const needed = new Set<number>(g.outputs);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if ((n.output !== null && needed.has(n.output)) || g.prims[i]!.effect !== undefined) {
      live[i] = true;
      for (const v of n.inputs) needed.add(v);
    }
  }
  const keepConst = g.constants.map((_, i) => g.values.some((v) => v.source.kind === 'const' && v.source.index === i && needed.has(v.id)));
  const valueMap = new Map<number, number>();
  const nodeMap = new Map<number, number>();
  const constMap = new Map<number, number>();
  const values: GraphValue[] = [];
  const keep = (v: GraphValue, source: ValueSource): void => {
    valueMap.set(v.id, values.length);
    values.push({ id: values.length, shape: v.shape, dtype: v.dtype, source });
  };
  const constants: NDArray[] = [];
  for (const v of g.values) {
    const s = v.source;
    if (s.kind === 'input' || s.kind === 'param') keep(v, s);
    else if (s.kind === 'const' && keepConst[s.index]) {
      if (!constMap.has(s.index)) {
        constMap.set(s.index, constants.length);
        constants.push(g.constants[s.index]!);
      }
      keep(v, { kind: 'const', index: constMap.get(s.index)! });
    }
  }
  const nodes: GraphNode[] = [];
  const prims: Primitive<unknown, unknown>[] = [];
  const plans: unknown[] = [];
  g.nodes.forEach((n, i) => {
    if (!live[i]) return;
    const id = nodes.length;
    nodeMap.set(i, id);
    if (n.output !== null) keep(g.values[n.output]!, { kind: 'node', node: id });
    nodes.push({ ...n, id, inputs: n.inputs.map((v) => valueMap.get(v)!), output: n.output === null ? null : valueMap.get(n.output)! });
    prims.push(g.prims[i]!);
    plans.push(g.plans[i]);
  });
  const map = (v: number): number => valueMap.get(v)!;
  return new Graph({
    name: g.name, values, nodes, prims, plans, constants,
    inputs: g.inputs.map(map), params: g.params, paramValues: g.paramValues.map(map), outputs: g.outputs.map(map),
  });
}

/** What `trace` returns: the graph and the parameter keys in graph order. */
export interface Traced<T> {
  readonly graph: Graph;
  readonly paramKeys: readonly object[];
  /** What the traced function returned besides arrays (the output structure), if anything. */
  readonly result: T;
}

/**
 * Traces `fn` on stand-ins for inputs of these shapes and dtypes: every primitive call becomes a
 * node. The body runs with recording on (so `autograd.pause` inside marks nodes without
 * gradients) and the current training mode. `outputsOf` picks the output arrays from what `fn`
 * returns. A value read while tracing raises a TraceError naming `who` and the call.
 */
export function trace<T>(
  who: string,
  inputs: readonly { readonly shape: readonly number[]; readonly dtype: DType }[],
  fn: (...xs: NDArray[]) => T,
  outputsOf: (result: T) => readonly NDArray[],
  namer: ParamNamer,
): Traced<T> {
  const tracer = new Tracer(who);
  const xs = inputs.map((x) => tracer.input(x.shape, x.dtype));
  const prev = active;
  active = tracer;
  let result: T;
  try {
    result = withCapture(tracer, () => record(() => fn(...xs), { trainMode: isTraining() }));
  } catch (e) {
    if (e instanceof ShapeOnlyError || e instanceof TraceError) throw traceError(who, '', tracer, e);
    throw e;
  } finally {
    active = prev;
  }
  const graph = tracer.finish(who, outputsOf(result), namer);
  return { graph, paramKeys: tracer.paramKeys, result };
}

/** TraceErrors that already name the block they arose in. */
const attributed = new WeakSet<TraceError>();

/**
 * The TraceError for a failure while `tracer` traced: `who` is the block whose forward failed
 * (the innermost one), `path` its structural path inside the traced block ('' when it is that
 * block), `e` the ShapeOnlyError a value read raised or a TraceError from the tracer. The message
 * names the block, where it sits, the call and the input shapes; an error that already names its
 * block passes through unchanged.
 */
export function traceError(who: string, path: string, tracer: Tracer, e: ShapeOnlyError | TraceError): TraceError {
  if (e instanceof TraceError && attributed.has(e)) return e;
  const shapes = tracer.inputShapes.map(fmtShape).join(', ');
  const inside = who === tracer.name ? '' : ` (called inside ${tracer.name}${path === '' ? '' : ` at '${path}'`})`;
  let err: TraceError;
  if (e instanceof TraceError) {
    err = new TraceError(`${who}${inside}: ${e.message} (while hybridize() traced ${tracer.name} for inputs of shape ${shapes})`);
  } else {
    const call = e.call === 'storage' ? 'x.storage (or an op that reads values in JavaScript)' : `x.${e.call}`;
    err = new TraceError(
      `${who}${inside}: the forward read the values of an array (${call}) while hybridize() traced ${tracer.name} for inputs of shape ${shapes}; ` +
        `a hybridized forward must be the same sequence of ops for every input, so it cannot look at values. ` +
        `Compute with nd ops instead (nd.where for data-dependent choices), or run this block imperatively with hybridize({ active: false }).`,
    );
  }
  attributed.add(err);
  return err;
}
