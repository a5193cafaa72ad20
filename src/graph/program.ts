/**
 * A graph made ready to run: its nodes as a flat list of steps (primitive, attributes, kernel
 * plan, input and output slots), run against the memory plan of src/graph/memory.ts. Running
 * does no shape inference, validation or dispatch: every step calls its primitive's `compute`
 * with the kernel plan settled when the graph was traced.
 *
 * A run fills one slot per value: externals (inputs, parameters, constants) from the caller,
 * views from their input's slot, pooled values from pool buffers (reused across runs with
 * `staticAlloc`), and kept values (outputs, values a backward graph reads) from arrays allocated
 * for the run, or from arrays the caller supplies (`into`: a weight's gradient buffer).
 */
import { allocate, type DType, type TypedArray } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import { allocateUninitialized } from '../core/uninit.js';
import type { KernelTable } from '../backend/kernels.js';
import { getBackend } from '../backend/registry.js';
import type { Primitive } from '../ops/define.js';
import type { Graph } from './graph.js';
import { planMemory, Storage, type MemoryPlan } from './memory.js';
import { fuseElementwise } from './fuse.js';
import { fuseEpilogue } from './fuse-epilogue.js';

interface Step {
  readonly prim: Primitive<unknown, unknown>;
  readonly attrs: unknown;
  readonly plan: unknown;
  readonly inputs: Int32Array;
  /** Output value id, or -1 for an in-place step. */
  readonly output: number;
  /** The output's dtype and number of elements (settled here, not looked up on every run). */
  readonly dtype: DType;
  readonly size: number;
  readonly view: boolean;
  readonly zero: boolean;
  /** Slots to drop after this step (values past their last reader). */
  readonly drop: readonly number[];
  /** Reused for this step's input storages on every run. */
  readonly ins: TypedArray[];
}

/** What a run needs from the caller: storage of every input and parameter. */
export interface RunArgs {
  readonly inputs: readonly TypedArray[];
  readonly params: readonly TypedArray[];
  /**
   * Arrays to compute kept values into instead of allocating them, by value id (exactly the
   * value's size and dtype): a weight's gradient buffer, or the static set of saved values.
   */
  readonly into?: ReadonlyMap<number, TypedArray>;
  /**
   * The run may clear `inputs` after reading it (so an input can be collected after its last
   * reader): a backward that will not run again hands over its saved values this way.
   */
  readonly consume?: boolean;
}

/** A graph with its memory plan, ready to run. */
export class Program {
  readonly graph: Graph;
  readonly memory: MemoryPlan;
  readonly #steps: Step[];
  readonly #staticAlloc: boolean;
  #pool: TypedArray[] | null = null;
  /** Value ids of constants, and their storage in the same order. */
  readonly #constIds: readonly number[];
  readonly #constStorage: readonly TypedArray[];
  /** Per value, its view of a pool buffer (staticAlloc only; built on the first run). */
  #views: (TypedArray | null)[] | null = null;

  /**
   * `keep`: values that must stay materialized after the run besides the outputs (read by a
   * backward graph). `fuse`: run element-wise chains as one fused kernel (see fuse.ts), merged
   * into the convolution that feeds them where possible (fuse-epilogue.ts).
   */
  constructor(graph: Graph, keep: ReadonlySet<number>, staticAlloc: boolean, fuse = true) {
    graph = fuse ? fuseEpilogue(fuseElementwise(graph, keep), keep) : graph;
    this.graph = graph;
    this.#staticAlloc = staticAlloc;
    this.memory = planMemory(graph, keep, staticAlloc);
    const consts = graph.values.flatMap((v) => (v.source.kind === 'const' ? [{ id: v.id, storage: graph.constants[v.source.index]!.storage }] : []));
    this.#constIds = consts.map((c) => c.id);
    this.#constStorage = consts.map((c) => c.storage);
    this.#steps = graph.nodes.map((n, i) => ({
      prim: graph.prims[i]!,
      attrs: n.attrs,
      plan: graph.plans[i],
      inputs: Int32Array.from(n.inputs),
      output: n.output ?? -1,
      dtype: n.output === null ? 'float32' : graph.values[n.output]!.dtype,
      size: n.output === null ? 0 : sizeOf(graph.values[n.output]!.shape),
      view: graph.prims[i]!.view === true,
      zero: this.memory.zeroFirst[i]!,
      drop: this.memory.lastUse[i]!,
      ins: new Array<TypedArray>(n.inputs.length),
    }));
  }

  /** The pool buffers of a run: allocated once with staticAlloc, else for each run. */
  #buffers(): TypedArray[] {
    if (this.#pool !== null) return this.#pool;
    const pool = this.memory.buffers.map((b) => allocate(b.dtype, b.size));
    if (this.#staticAlloc) this.#pool = pool;
    return pool;
  }

  /** Each value's storage for this run, computed; entries past their last reader are null. */
  run(args: RunArgs, kernels: KernelTable = getBackend().kernels): (TypedArray | null)[] {
    const g = this.graph;
    const { where } = this.memory;
    const slots = new Array<TypedArray | null>(g.values.length).fill(null);
    for (let i = 0; i < g.inputs.length; i++) slots[g.inputs[i]!] = args.inputs[i]!;
    for (let i = 0; i < g.paramValues.length; i++) slots[g.paramValues[i]!] = args.params[i]!;
    if (args.consume === true) (args.inputs as (TypedArray | null)[]).fill(null);
    const constIds = this.#constIds;
    for (let i = 0; i < constIds.length; i++) slots[constIds[i]!] = this.#constStorage[i]!;
    const into = args.into;
    const pool = this.#buffers();
    let views = this.#views;
    if (this.#staticAlloc && views === null) views = this.#views = new Array<TypedArray | null>(g.values.length).fill(null);
    const steps = this.#steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const ins = s.ins;
      for (let k = 0; k < ins.length; k++) ins[k] = slots[s.inputs[k]!]!;
      if (s.output < 0) {
        s.prim.compute(kernels, ins[0]!, ins, s.plan, s.attrs);
      } else if (s.view) {
        slots[s.output] = ins[0]!;
      } else {
        const v = s.output;
        const w = where[v]!;
        let out: TypedArray;
        if (w === Storage.Own) {
          const d = into?.get(v);
          // A kernel that writes every element needs no zero-filled array (as in eager mode).
          out = d ?? (s.prim.outputInit === 'none' ? allocateUninitialized(s.dtype, s.size) : allocate(s.dtype, s.size));
          if (d !== undefined && s.prim.outputInit !== 'none') out.fill(0);
        } else {
          const cached = views?.[v] ?? null;
          if (cached !== null) out = cached;
          else {
            const n = s.size;
            const buf = pool[w]!;
            out = buf.length === n ? buf : buf.subarray(0, n);
            if (views !== null) views[v] = out;
          }
          if (s.zero) out.fill(0);
        }
        slots[v] = out;
        s.prim.compute(kernels, out, ins, s.plan, s.attrs);
      }
      for (let k = 0; k < ins.length; k++) ins[k] = undefined as unknown as TypedArray;
      const drop = s.drop;
      for (let k = 0; k < drop.length; k++) slots[drop[k]!] = null;
    }
    return slots;
  }
}
