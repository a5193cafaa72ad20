/**
 * `compile(graph)`: a graph that runs on arrays, with autograd.
 *
 * Outside `autograd.record` (or when nothing needs a gradient) a run is the forward program
 * alone. Under `record`, with some input or parameter needing a gradient, the forward keeps the
 * values the backward graph reads, and the outputs record ONE tape node for the whole graph: its
 * backward runs the backward graph (traced once per set of inputs needing gradients, planned the
 * same way), writing a weight's gradient straight into the buffer autograd offers when it can,
 * and dropping the saved values as it consumes them unless the graph is retained.
 *
 * With `staticAlloc` the pools of both programs are allocated once, and so is the set of saved
 * values, which is lent to one recorded run at a time: a run that finds it still lent (a recorded
 * forward whose backward has not run) allocates its own.
 */
import { allocate, type TypedArray } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import { getBackend } from '../backend/registry.js';
import { NDArray, type TapeNode } from '../ndarray/ndarray.js';
import { needsGrad } from '../ops/define.js';
import { isRecording } from '../autograd/state.js';
import type { Graph } from './graph.js';
import { traceBackward, type BackwardGraph } from './backward.js';
import { Program } from './program.js';
import { Storage } from './memory.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Allocate intermediate buffers once and reuse them across runs (Gluon's static_alloc). */
  staticAlloc?: boolean;
}

interface Training {
  readonly forward: Program;
  readonly backward: BackwardGraph;
  readonly program: Program;
  /** Saved values that are the forward's own (not inputs, parameters or outputs): static set candidates. */
  readonly ownSaved: readonly number[];
  staticSet: Map<number, TypedArray> | null;
  lent: boolean;
}

/**
 * A compiled graph.
 * @example
 * const exe = compile(graph);
 * const [y] = exe.run([x], params); // params in graph.params order
 */
export class Executable {
  readonly graph: Graph;
  readonly staticAlloc: boolean;
  #inference: Program | null = null;
  readonly #training = new Map<string, Training>();

  constructor(graph: Graph, options: CompileOptions = {}) {
    this.graph = graph;
    this.staticAlloc = options.staticAlloc ?? false;
  }

  /** The forward program used outside autograd.record (built on first use). */
  get inference(): Program {
    return (this.#inference ??= new Program(this.graph, new Set(), this.staticAlloc));
  }

  /** The forward and backward programs for this set of inputs (then parameters) needing gradients. */
  training(needs: readonly boolean[]): Training {
    const key = needs.map((b) => (b ? '1' : '0')).join('');
    let t = this.#training.get(key);
    if (t === undefined) {
      const backward = traceBackward(this.graph, needs);
      const keep = new Set(backward.saved);
      const forward = new Program(this.graph, keep, this.staticAlloc);
      const outputs = new Set(this.graph.outputs.map((v) => forward.memory.rootOf[v]!));
      const ownSaved = [...new Set(backward.saved.map((v) => forward.memory.rootOf[v]!))].filter(
        (r) => forward.memory.where[r] === Storage.Own && !outputs.has(r),
      );
      t = { forward, backward, program: new Program(backward.graph, new Set(), this.staticAlloc), ownSaved, staticSet: null, lent: false };
      this.#training.set(key, t);
    }
    return t;
  }

  /**
   * Runs the graph: `inputs` in order, `params` in the graph's parameter order. Under
   * autograd.record, when an input or parameter needs a gradient, the outputs carry one tape node.
   */
  run(inputs: readonly NDArray[], params: readonly NDArray[]): NDArray[] {
    const args = { inputs: inputs.map((x) => x.storage), params: params.map((p) => p.storage) };
    const kernels = getBackend().kernels;
    const leaves = [...inputs, ...params];
    const needs = isRecording() ? leaves.map(needsGrad) : null;
    if (needs === null || !needs.some(Boolean)) return this.#outputs(this.inference.run(args, kernels), inputs, params);
    const t = this.training(needs);
    let into: Map<number, TypedArray> | undefined;
    let lent = false;
    if (this.staticAlloc && !t.lent && t.ownSaved.length > 0) {
      t.staticSet ??= new Map(t.ownSaved.map((v) => [v, allocate(this.graph.values[v]!.dtype, sizeOf(this.graph.values[v]!.shape))]));
      into = t.staticSet;
      t.lent = lent = true;
    }
    const slots = t.forward.run({ ...args, into }, kernels);
    const outs = this.#outputs(slots, inputs, params);
    const saved = t.backward.saved.map((v) => slots[v]!);
    const tape = new GraphTape(this.graph.name, t, leaves, saved, outs, lent);
    outs.forEach((o, j) => (o._node = tape.forOutput(j)));
    return outs;
  }

  /** The output arrays: fresh arrays over their storage (never a caller's array object). */
  #outputs(slots: readonly (TypedArray | null)[], inputs: readonly NDArray[], params: readonly NDArray[]): NDArray[] {
    const g = this.graph;
    return g.outputs.map((v) => {
      const { shape, dtype, source } = g.values[v]!;
      if (source.kind === 'const') return new NDArray(g.constants[source.index]!.storage.slice(), shape, dtype);
      const out = new NDArray(slots[v]!, shape, dtype);
      const base = source.kind === 'input' ? inputs[source.index]! : source.kind === 'param' ? params[source.index]! : null;
      if (base !== null) out._viewOf = base._viewOf ?? base;
      return out;
    });
  }
}

/** The one tape node of a recorded run (one per output when there are several). */
class GraphTape {
  readonly #name: string;
  readonly #t: Training;
  readonly #leaves: readonly NDArray[];
  #saved: (TypedArray | null)[] | null;
  readonly #outs: readonly NDArray[];
  #lent: boolean;

  constructor(name: string, t: Training, leaves: readonly NDArray[], saved: TypedArray[], outs: readonly NDArray[], lent: boolean) {
    this.#name = name;
    this.#t = t;
    this.#leaves = leaves;
    this.#saved = saved;
    this.#outs = outs;
    this.#lent = lent;
  }

  /** The tape node of output `j`: its backward runs the backward graph with the other heads zero. */
  forOutput(j: number): TapeNode {
    return { op: `hybridized ${this.#name}`, inputs: this.#leaves, backward: (g, into, retain) => this.#backward(j, g, into, retain ?? false) };
  }

  #backward(j: number, g: NDArray, offered: readonly (NDArray | null)[] | undefined, retain: boolean): (NDArray | null)[] {
    const saved = this.#saved;
    if (saved === null) throw new Error(`hybridized ${this.#name}: backward ran twice through a graph that was not retained`);
    const { backward, program } = this.#t;
    const heads = this.#outs.map((o, k) => (k === j ? g.storage : allocate(o.dtype, o.size)));
    const into = new Map<number, TypedArray>();
    const multi = this.#outs.length > 1;
    offered?.forEach((buf, i) => {
      const k = backward.gradOf[i]!;
      if (buf === null || k < 0 || multi) return;
      const v = backward.graph.outputs[k]!;
      const root = program.memory.rootOf[v]!;
      const val = backward.graph.values[root]!;
      if (program.memory.where[root] === Storage.Own && val.dtype === buf.dtype && sizeOf(val.shape) === buf.size) into.set(root, buf.storage);
    });
    // Without retainGraph nothing reads the saved values again: the run may drop each one after
    // its last reader, so the collector can take them while the backward goes on.
    const consume = !retain && !multi;
    const inputs = [...heads, ...(saved as TypedArray[])];
    if (consume) this.#release();
    const slots = program.run({ inputs, params: [], into, consume });
    return this.#leaves.map((x, i) => {
      const k = backward.gradOf[i]!;
      return k < 0 ? null : new NDArray(slots[backward.graph.outputs[k]!]!, x.shape, x.dtype);
    });
  }

  /** Drops the saved values (and gives back the static set) once no backward will read them. */
  #release(): void {
    this.#saved = null;
    if (this.#lent) {
      this.#t.lent = false;
      this.#lent = false;
    }
  }
}

/**
 * Makes `graph` runnable: `compile(graph).run(inputs, params)`.
 * @example const [y] = compile(net.graph()).run([x], net.graph().params.map((p) => net.collectParams().get(p.path).data()));
 */
export function compile(graph: Graph, options: CompileOptions = {}): Executable {
  return new Executable(graph, options);
}
