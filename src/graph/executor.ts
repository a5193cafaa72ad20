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
import { AutogradError } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { allocateUninitialized } from '../core/uninit.js';
import { getBackend } from '../backend/registry.js';
import { NDArray, type TapeNode } from '../ndarray/ndarray.js';
import { needsGrad } from '../ops/define.js';
import { isRecording } from '../autograd/state.js';
import type { CompiledTapeNode } from '../autograd/replay.js';
import type { Graph } from './graph.js';
import { traceBackward, type BackwardGraph } from './backward.js';
import { Program } from './program.js';
import { Storage } from './memory.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Allocate intermediate buffers once and reuse them across runs (Gluon's static_alloc). */
  staticAlloc?: boolean;
  /** Run chains of element-wise ops as one fused kernel pass each (default true). */
  fuse?: boolean;
}

interface Training {
  readonly forward: Program;
  readonly backward: BackwardGraph;
  readonly program: Program;
  /** Saved values that are the forward's own (not inputs, parameters or outputs): static set candidates. */
  readonly ownSaved: readonly number[];
  staticSet: Map<number, TypedArray> | null;
  lent: boolean;
  /**
   * The backward run's `into` map and, per leaf, the buffer it holds for it (null: none): kept
   * across steps while autograd offers the same buffers (a weight's gradient buffer is fixed), so
   * a step neither clears nor refills a map.
   */
  into: Map<number, TypedArray>;
  readonly intoBufs: (TypedArray | null)[];
  /** Autograd's plan for a backward from this graph's output (src/autograd/replay.ts). */
  replayPlan: unknown;
}

const NO_PARAMS: readonly TypedArray[] = [];

/** `into` filled with the storage of `xs` (no new list per run). */
function storages(into: TypedArray[], xs: readonly NDArray[]): TypedArray[] {
  into.length = xs.length;
  for (let i = 0; i < xs.length; i++) into[i] = xs[i]!.storage;
  return into;
}

function sameFlags(a: readonly boolean[], b: readonly boolean[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  readonly fuse: boolean;
  #inference: Program | null = null;
  readonly #training = new Map<string, Training>();
  #lastTraining: [readonly boolean[], Training] | null = null;
  /** Scratch for the storage of a run's inputs and parameters (the programs only read it while they run). */
  readonly #ins: TypedArray[] = [];
  readonly #ps: TypedArray[] = [];
  /** Each output's shape, frozen once: every run's output arrays share it (NDArray keeps a frozen shape as is). */
  readonly #outShapes: readonly (readonly number[])[];

  constructor(graph: Graph, options: CompileOptions = {}) {
    this.graph = graph;
    this.#outShapes = graph.outputs.map((v) => Object.freeze([...graph.values[v]!.shape]));
    this.staticAlloc = options.staticAlloc ?? false;
    this.fuse = options.fuse ?? true;
  }

  /** The forward program used outside autograd.record (built on first use). */
  get inference(): Program {
    return (this.#inference ??= new Program(this.graph, new Set(), this.staticAlloc, this.fuse));
  }

  /** The forward and backward programs for this set of inputs (then parameters) needing gradients. */
  training(needs: readonly boolean[]): Training {
    const last = this.#lastTraining;
    if (last !== null && sameFlags(last[0], needs)) return last[1];
    const key = needs.map((b) => (b ? '1' : '0')).join('');
    let t = this.#training.get(key);
    if (t === undefined) {
      const backward = traceBackward(this.graph, needs);
      const keep = new Set(backward.saved);
      const forward = new Program(this.graph, keep, this.staticAlloc, this.fuse);
      const outputs = new Set(this.graph.outputs.map((v) => forward.memory.rootOf[v]!));
      const ownSaved = [...new Set(backward.saved.map((v) => forward.memory.rootOf[v]!))].filter(
        (r) => forward.memory.where[r] === Storage.Own && !outputs.has(r),
      );
      t = { forward, backward, program: new Program(backward.graph, new Set(), this.staticAlloc, this.fuse), ownSaved, staticSet: null, lent: false, into: new Map(), intoBufs: [], replayPlan: null };
      this.#training.set(key, t);
    }
    this.#lastTraining = [[...needs], t];
    return t;
  }

  /**
   * Runs the graph: `inputs` in order, `params` in the graph's parameter order. Under
   * autograd.record, when an input or parameter needs a gradient, the outputs carry one tape node.
   */
  run(inputs: readonly NDArray[], params: readonly NDArray[]): NDArray[] {
    const ins = storages(this.#ins, inputs);
    const ps = storages(this.#ps, params);
    try {
      return this.#run(inputs, params, ins, ps);
    } finally {
      // The scratch lists hold no caller's storage past the run.
      ins.fill(null as unknown as TypedArray);
      ps.fill(null as unknown as TypedArray);
    }
  }

  #run(inputs: readonly NDArray[], params: readonly NDArray[], ins: TypedArray[], ps: TypedArray[]): NDArray[] {
    const kernels = getBackend().kernels;
    let needs: boolean[] | null = null;
    if (isRecording()) {
      const n = inputs.length;
      needs = new Array<boolean>(n + params.length);
      let any = false;
      for (let i = 0; i < needs.length; i++) any = (needs[i] = needsGrad(i < n ? inputs[i]! : params[i - n]!)) || any;
      if (!any) needs = null;
    }
    if (needs === null) return this.#outputs(this.inference.run({ inputs: ins, params: ps }, kernels), inputs, params);
    const leaves = inputs.concat(params);
    const t = this.training(needs);
    let into: Map<number, TypedArray> | undefined;
    let lent = false;
    if (this.staticAlloc && !t.lent && t.ownSaved.length > 0) {
      t.staticSet ??= new Map(t.ownSaved.map((v) => [v, allocate(this.graph.values[v]!.dtype, sizeOf(this.graph.values[v]!.shape))]));
      into = t.staticSet;
      t.lent = lent = true;
    }
    const slots = t.forward.run({ inputs: ins, params: ps, into }, kernels);
    const outs = this.#outputs(slots, inputs, params);
    const saved = t.backward.saved.map((v) => slots[v]!);
    const tape = new GraphTape(this.graph.name, t, leaves, saved, outs, lent);
    if (outs.length > 1 && outs.every((o) => o.dtype === outs[0]!.dtype)) joinOutputs(tape, outs);
    else for (let j = 0; j < outs.length; j++) outs[j]!._node = tape.forOutput(j);
    return outs;
  }

  /** The output arrays: fresh arrays over their storage (never a caller's array object). */
  #outputs(slots: readonly (TypedArray | null)[], inputs: readonly NDArray[], params: readonly NDArray[]): NDArray[] {
    const g = this.graph;
    const n = g.outputs.length;
    const outs = new Array<NDArray>(n);
    for (let j = 0; j < n; j++) {
      const v = g.outputs[j]!;
      const { dtype, source } = g.values[v]!;
      const shape = this.#outShapes[j]!;
      if (source.kind === 'const') {
        outs[j] = new NDArray(g.constants[source.index]!.storage.slice(), shape, dtype);
        continue;
      }
      const out = new NDArray(slots[v]!, shape, dtype);
      const base = source.kind === 'input' ? inputs[source.index]! : source.kind === 'param' ? params[source.index]! : null;
      if (base !== null) out._viewOf = base._viewOf ?? base;
      outs[j] = out;
    }
    return outs;
  }
}

/**
 * The one tape node of a recorded run; with several outputs each gets an `OutputTape` that runs
 * the backward graph with the other heads zero.
 */
class GraphTape implements CompiledTapeNode {
  readonly op: string;
  /** Replayable by autograd's plan (src/autograd/replay.ts): reads its gradient, one program a step. */
  readonly compiledGraph = true;

  /** The plan lives with the compiled graph, not with this step's node. */
  get replayPlan(): unknown {
    return this.#t.replayPlan;
  }

  set replayPlan(plan: unknown) {
    this.#t.replayPlan = plan;
  }
  readonly inputs: readonly NDArray[];
  readonly #t: Training;
  #saved: (TypedArray | null)[] | null;
  readonly #outs: readonly NDArray[];
  #lent: boolean;

  constructor(name: string, t: Training, leaves: readonly NDArray[], saved: TypedArray[], outs: readonly NDArray[], lent: boolean) {
    this.op = `hybridized ${name}`;
    this.inputs = leaves;
    this.#t = t;
    this.#saved = saved;
    this.#outs = outs;
    this.#lent = lent;
  }

  /** The tape node of output `j`. */
  forOutput(j: number): TapeNode {
    return this.#outs.length === 1 ? this : new OutputTape(this, j);
  }

  backward(g: NDArray, offered?: readonly (NDArray | null)[], retain?: boolean): (NDArray | null)[] {
    return this.runHeads(this.#outs.length === 1 ? [g.storage] : this.#split(g.storage), false, offered, retain ?? false);
  }

  /** The head gradients packed one after another (joinOutputs), as views of `packed`. */
  #split(packed: TypedArray): TypedArray[] {
    let at = 0;
    return this.#outs.map((o) => packed.subarray(at, (at += o.size)));
  }

  /** Runs the backward graph with head `j` given (the others zero). */
  run(j: number, g: NDArray, offered: readonly (NDArray | null)[] | undefined, retain: boolean): (NDArray | null)[] {
    return this.runHeads(this.#outs.map((o, k) => (k === j ? g.storage : allocate(o.dtype, o.size))), true, offered, retain);
  }

  /** Runs the backward graph once with these head gradients; `multi`: one of several partial runs. */
  runHeads(heads: TypedArray[], multi: boolean, offered: readonly (NDArray | null)[] | undefined, retain: boolean): (NDArray | null)[] {
    const saved = this.#saved;
    if (saved === null) throw new AutogradError(`${this.op}: backward ran twice through a graph that was not retained`);
    const { backward, program } = this.#t;
    // A weight's gradient computed straight into the buffer autograd offers (one output only:
    // with several, each backward run gives a part that autograd adds up).
    const into = offered !== undefined && !multi ? this.#intoFor(offered) : undefined;
    // Without retainGraph nothing reads the saved values again: the run may drop each one after
    // its last reader, so the collector can take them while the backward goes on.
    const consume = !retain && !multi;
    const inputs = heads.concat(saved as TypedArray[]);
    if (consume) this.#release();
    const slots = program.run({ inputs, params: NO_PARAMS, into, consume });
    const leaves = this.inputs;
    const grads = new Array<NDArray | null>(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      const k = backward.gradOf[i]!;
      grads[i] = k < 0 ? null : new NDArray(slots[backward.graph.outputs[k]!]!, leaves[i]!.shape, leaves[i]!.dtype);
    }
    return grads;
  }

  /** The `into` map for these offered buffers: the last one when autograd offers the same storage again. */
  #intoFor(offered: readonly (NDArray | null)[]): ReadonlyMap<number, TypedArray> | undefined {
    const t = this.#t;
    const { backward, program } = t;
    const bufs = t.intoBufs;
    let same = bufs.length === offered.length;
    if (!same) bufs.length = offered.length;
    let any = false;
    for (let i = 0; i < offered.length; i++) {
      const buf = offered[i];
      const k = backward.gradOf[i]!;
      let raw: TypedArray | null = null;
      if (buf !== null && buf !== undefined && k >= 0) {
        const root = program.memory.rootOf[backward.graph.outputs[k]!]!;
        const val = backward.graph.values[root]!;
        if (program.memory.where[root] === Storage.Own && val.dtype === buf.dtype && sizeOf(val.shape) === buf.size) raw = buf.storage;
      }
      if (bufs[i] !== raw) same = false;
      bufs[i] = raw;
      any ||= raw !== null;
    }
    if (!any) return undefined;
    if (!same) {
      t.into = new Map();
      for (let i = 0; i < offered.length; i++) {
        const raw = bufs[i];
        if (raw !== null && raw !== undefined) t.into.set(program.memory.rootOf[backward.graph.outputs[backward.gradOf[i]!]!]!, raw);
      }
    }
    return t.into;
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
 * Gives the outputs of a graph (several, of one dtype) one joint tape node, as eager mode has one
 * node per primitive: output j's node only places its gradient at its offset in a packed
 * gradient of a hidden joint array, autograd sums what every output sends there (disjoint parts,
 * so exactly), and the joint array's node runs the backward graph ONCE with every head. So a
 * recurrent layer's output and states backpropagate in one pass, and in eager mode's order.
 */
function joinOutputs(tape: GraphTape, outs: readonly NDArray[]): void {
  const dtype = outs[0]!.dtype;
  const total = outs.reduce((n, o) => n + o.size, 0);
  // Never read: autograd only needs an array with storage to key the packed gradient on.
  const joint = new NDArray(allocateUninitialized(dtype, total), [total], dtype);
  joint._node = tape;
  let at = 0;
  for (const o of outs) {
    const offset = at;
    at += o.size;
    const node: TapeNode = {
      op: tape.op,
      inputs: [joint],
      backward(g: NDArray): (NDArray | null)[] {
        const packed = allocate(dtype, total);
        packed.set(g.storage, offset);
        return [new NDArray(packed, [total], dtype)];
      },
    };
    o._node = node;
  }
}

/** Output `j` of a graph with several outputs. */
class OutputTape implements TapeNode {
  readonly op: string;
  readonly inputs: readonly NDArray[];

  constructor(
    private readonly tape: GraphTape,
    private readonly j: number,
  ) {
    this.op = tape.op;
    this.inputs = tape.inputs;
  }

  backward(g: NDArray, offered?: readonly (NDArray | null)[], retain?: boolean): (NDArray | null)[] {
    return this.tape.run(this.j, g, offered, retain ?? false);
  }
}

/**
 * Makes `graph` runnable: `compile(graph).run(inputs, params)`.
 * @example const [y] = compile(net.graph()).run([x], net.graph().params.map((p) => net.collectParams().get(p.path).data()));
 */
export function compile(graph: Graph, options: CompileOptions = {}): Executable {
  return new Executable(graph, options);
}
