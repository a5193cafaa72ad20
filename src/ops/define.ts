/**
 * `apply`: the single choke point every primitive op goes through.
 *
 * A primitive is described once, by a `Primitive` object: how to infer (and validate) its output
 * shape and dtype, which kernel computes it, and its gradient rule written with `nd` ops. `apply`
 * checks, allocates the output, dispatches to the active backend's kernel table, and records a
 * tape node when autograd is recording and an input needs a gradient. Inputs that carry only a
 * shape produce a shape-only output without running any kernel. A *view* primitive (reshape)
 * allocates nothing: its output wraps the input's storage, as MXNet's and PyTorch's reshape do.
 *
 * Gradient rules may return gradients in the broadcast output shape; autograd sums them back to
 * each input's shape once, centrally.
 *
 * Every primitive is registered by name (`primitive(...)`), so a graph described as plain data
 * (op names, attributes, inputs) can be run, and `apply` has a capture hook: while a graph is
 * being traced (src/graph), `apply` hands each call to the capture instead of computing.
 *
 * float16 and bfloat16 inputs are storage, not compute, dtypes: `apply` widens them to float32
 * (a recorded conversion, so gradients flow back to them in their own dtype) before a primitive
 * sees them, so kernels never meet 16-bit patterns. Only view primitives (which move no values)
 * and primitives marked `halfInputs` (the conversion itself) take them as they are; an in-place
 * primitive updates a widened copy, which is rounded back into its 16-bit input.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import { sizeOf } from '../core/shape.js';
import { allocateUninitialized } from '../core/uninit.js';
import type { KernelTable } from '../backend/kernels.js';
import { DTypeError, ValueError } from '../core/errors.js';
import { isHalf } from '../core/half.js';
import { getBackend } from '../backend/registry.js';
import { NDArray, type TapeNode } from '../ndarray/ndarray.js';
import { isRecording } from '../autograd/state.js';

/** What `infer` returns: the output's shape and dtype, and the plan handed to `compute`. */
export interface Inferred<P> {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly plan: P;
}

/** What a gradient rule sees: the forward's inputs, output and attributes. */
export interface GradContext<A> {
  readonly inputs: readonly NDArray[];
  readonly out: NDArray;
  readonly attrs: A;
  /**
   * Which inputs take part in the graph (an attached leaf or a recorded result). A rule may return
   * null for the others instead of computing a gradient nobody reads, such as the data-side GEMM
   * of a first layer. Absent means all.
   */
  readonly needsGrad?: readonly boolean[];
  /**
   * Where autograd would like each input's gradient: a buffer of exactly that input's shape and
   * dtype (a leaf's gradient buffer, or a view of it) that nothing else reads, or null. A rule may
   * write input i's gradient into `into[i]` (overwriting it, e.g. with `applyInto`) and return
   * `into[i]` itself, which saves allocating the gradient and copying it into place; any other
   * return value is used as usual. Absent means none.
   */
  readonly into?: readonly (NDArray | null)[];
}

/** True unless the context says input `i` needs no gradient. */
export function wantsGrad(ctx: GradContext<unknown>, i: number): boolean {
  return ctx.needsGrad?.[i] ?? true;
}

/**
 * One primitive op, described once (see docs/ADDING-AN-OP.md). `A` is the attributes the caller
 * passes, `P` the kernel plan `infer` computes from them.
 * @example
 * const expPrim: Primitive<null, null> = {
 *   name: 'exp',
 *   infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype, plan: null }),
 *   compute: (k, out, [x]) => k.unary.exp(out, x!),
 *   grad: (g, { out }) => [mul(g, out)],
 * };
 */
export interface Primitive<A, P> {
  readonly name: string;
  /** Validates inputs and attributes and returns the output's shape, dtype and kernel plan. */
  infer(inputs: readonly NDArray[], attrs: A): Inferred<P>;
  /** Fills `out` (contiguous; zeroed unless `outputInit` is 'none'; never empty: an empty result skips compute) from the inputs' storage. */
  compute(kernels: KernelTable, out: TypedArray, inputs: readonly TypedArray[], plan: P, attrs: A): void;
  /** Gradient of each input given the output's gradient `g`; null where none flows. */
  grad?(g: NDArray, ctx: GradContext<A>): readonly (NDArray | null)[];
  /**
   * When true the output is a view: it shares the first input's storage (same dtype, same number
   * of elements, same row-major order) and `compute` is never called. Only reshape-like ops
   * qualify; `viewBase` then answers which array owns the memory.
   */
  readonly view?: boolean;
  /**
   * What `compute` expects of `out`. 'zero' (the default): the kernel adds into `out` or leaves
   * some elements untouched, so `out` must arrive zeroed. 'none': the kernel writes every element,
   * so `out` may be an uninitialized or reused buffer (the graph executor and `applyInto` then skip
   * zeroing it).
   */
  readonly outputInit?: 'zero' | 'none';
  /**
   * A step with state beyond its inputs and output, which a graph must keep, in order, on every
   * run: 'random' draws from the random generator (the same inputs give new values each call);
   * 'inPlace' writes input 0's storage in place and returns input 0 itself instead of a new array
   * (BatchNorm's running statistics).
   */
  readonly effect?: 'random' | 'inPlace';
  /** When true, float16 / bfloat16 inputs reach `infer` and `compute` as they are (astype); otherwise `apply` widens them. */
  readonly halfInputs?: boolean;
}

let widen: ((x: NDArray) => NDArray) | null = null;
let narrow: ((x: NDArray, dtype: DType) => NDArray) | null = null;

/** @internal cast.ts installs the conversions `apply` uses for float16 / bfloat16 inputs. */
export function setHalfConversions(toFloat32: (x: NDArray) => NDArray, back: (x: NDArray, dtype: DType) => NDArray): void {
  widen = toFloat32;
  narrow = back;
}

function hasHalf(inputs: readonly NDArray[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (isHalf(inputs[i]!.dtype)) return true;
  return false;
}

/** `apply` on float16 / bfloat16 inputs: the primitive runs on float32 copies (see the file comment). */
function applyWidened<A, P>(prim: Primitive<A, P>, inputs: readonly NDArray[], attrs: A): NDArray {
  if (widen === null || narrow === null) throw new DTypeError(`${prim.name}: float16 / bfloat16 inputs need the astype op, which is not loaded; import tsgluon's nd namespace`);
  const w = widen;
  const out = apply(prim, inputs.map((x) => (isHalf(x.dtype) ? w(x) : x)), attrs);
  const target = inputs[0]!;
  if (prim.effect !== 'inPlace' || !isHalf(target.dtype) || target.isShapeOnly || capture !== null) return out;
  target._raw.set(narrow(out, target.dtype)._raw);
  return target;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- primitives of every attribute and plan type share one table
type AnyPrimitive = Primitive<any, any>;

const registry = new Map<string, AnyPrimitive>();

/**
 * Registers a primitive under its name and returns it; every primitive is defined through this,
 * so `primitiveByName` finds it when a graph is built from a description.
 * @example const expPrim = primitive({ name: 'exp', ... });
 */
export function primitive<A, P>(prim: Primitive<A, P>): Primitive<A, P> {
  const known = registry.get(prim.name);
  if (known !== undefined && known !== prim) throw new ValueError(`primitive: the name '${prim.name}' is already taken by another primitive`);
  registry.set(prim.name, prim);
  return prim;
}

/** The registered primitive called `name`, or undefined. */
export function primitiveByName(name: string): AnyPrimitive | undefined {
  return registry.get(name);
}

/** The names of every registered primitive, sorted. */
export function primitiveNames(): string[] {
  return [...registry.keys()].sort();
}

/**
 * What `apply` hands each call to while a graph is traced: the primitive, its inputs and
 * attributes, and what `infer` returned. It returns the (shape-only) array standing for the result.
 */
export interface Capture {
  record<A, P>(prim: Primitive<A, P>, inputs: readonly NDArray[], attrs: A, inferred: Inferred<P>): NDArray;
}

let capture: Capture | null = null;

/** Runs `fn` with every `apply` call handed to `c` instead of computed (null: computed again). */
export function withCapture<T>(c: Capture | null, fn: () => T): T {
  const prev = capture;
  capture = c;
  try {
    return fn();
  } finally {
    capture = prev;
  }
}

/** True while a graph is being traced (`withCapture`). */
export function isCapturing(): boolean {
  return capture !== null;
}

/**
 * The array whose storage `x` shares when `x` is a view made by a view primitive (reshape,
 * expandDims, squeeze, flatten), or null. Chains resolve to the first array that is not a view,
 * so in-place writes can check the owner of the memory.
 * @example viewBase(nd.zeros([2, 3]).reshape([6])) // the (2, 3) array
 */
export function viewBase(x: NDArray): NDArray | null {
  return x._viewOf;
}

/** True when `x` takes part in a recorded graph: an attached leaf or a recorded result. */
export function needsGrad(x: NDArray): boolean {
  return x._node !== null || x._gradReq !== 'null';
}

/**
 * Runs a primitive: infer (validating), allocate, compute on the active backend, and record a tape
 * node when autograd is recording and an input takes part in the graph. Shape-only inputs give a
 * shape-only output without computing.
 * @example const y = apply(expPrim, [x], null);
 */
export function apply<A, P>(prim: Primitive<A, P>, inputs: readonly NDArray[], attrs: A): NDArray {
  if (prim.view !== true && prim.halfInputs !== true && hasHalf(inputs)) return applyWidened(prim, inputs, attrs);
  const inferred = prim.infer(inputs, attrs);
  if (capture !== null) return capture.record(prim, inputs, attrs, inferred);
  const { shape, dtype, plan } = inferred;
  const n = inputs.length;
  const inPlace = prim.effect === 'inPlace';
  for (let i = 0; i < n; i++) if (inputs[i]!.isShapeOnly) return inPlace ? inputs[0]! : NDArray.shapeOnly(shape, dtype);
  let out: NDArray;
  if (inPlace) {
    prim.compute(getBackend().kernels, inputs[0]!._raw, inputs.map((x) => x._raw), plan, attrs);
    return inputs[0]!;
  } else if (prim.view === true) {
    const x = inputs[0]!;
    out = new NDArray(x._raw, shape, dtype);
    out._viewOf = x._viewOf ?? x;
  } else {
    out = prim.outputInit === 'none' ? new NDArray(allocateUninitialized(dtype, sizeOf(shape)), shape, dtype) : NDArray.empty(shape, dtype);
    // An empty result has nothing to compute, whatever the other dimensions: O(1).
    if (out.size > 0) {
      const storages: TypedArray[] = new Array<TypedArray>(n);
      for (let i = 0; i < n; i++) storages[i] = inputs[i]!._raw;
      prim.compute(getBackend().kernels, out._raw, storages, plan, attrs);
    }
  }
  if (prim.grad !== undefined && isRecording()) {
    let any = false;
    const needs = new Array<boolean>(n);
    for (let i = 0; i < n; i++) any = (needs[i] = needsGrad(inputs[i]!)) || any;
    if (any) out._node = new PrimNode(prim, { inputs, out, attrs, needsGrad: needs });
  }
  return out;
}

/**
 * @internal The tape node `apply` records: the primitive's gradient rule bound to the forward's
 * context. The graph layer builds the same nodes over shape-only arrays to trace a backward graph.
 */
export class PrimNode<A, P> implements TapeNode {
  readonly op: string;
  readonly inputs: readonly NDArray[];

  constructor(
    private readonly prim: Primitive<A, P>,
    private readonly ctx: GradContext<A>,
  ) {
    this.op = prim.name;
    this.inputs = ctx.inputs;
  }

  backward(g: NDArray, into?: readonly (NDArray | null)[]): readonly (NDArray | null)[] {
    return this.prim.grad!(g, into === undefined ? this.ctx : { ...this.ctx, into });
  }
}

/**
 * Runs a primitive into an existing array instead of a fresh one, unrecorded; for gradient rules
 * filling a buffer offered through `GradContext.into`. `dest` is zeroed first unless the primitive
 * overwrites every element (`outputInit: 'none'`, such as matmul). Falls back to `apply`
 * (returning a new array) when `dest` is null, does not match the inferred shape and dtype, or
 * shares memory with an input, and while a graph is traced.
 * @example const gw = applyInto(bmmPrim, [g, x], attrs, ctx.into?.[1] ?? null);
 */
export function applyInto<A, P>(prim: Primitive<A, P>, inputs: readonly NDArray[], attrs: A, dest: NDArray | null): NDArray {
  if (capture !== null || dest === null || dest.isShapeOnly || prim.view === true || prim.effect !== undefined || isRecording() || inputs.some((x) => x.isShapeOnly) || hasHalf(inputs) || isHalf(dest.dtype)) {
    return apply(prim, inputs, attrs);
  }
  const { shape, dtype, plan } = prim.infer(inputs, attrs);
  const target = dest.storage;
  if (dtype !== dest.dtype || !sameShape(shape, dest.shape) || inputs.some((x) => x.storage.buffer === target.buffer)) return apply(prim, inputs, attrs);
  if (target.length === 0) return dest;
  const storages: TypedArray[] = new Array<TypedArray>(inputs.length);
  for (let i = 0; i < inputs.length; i++) storages[i] = inputs[i]!.storage;
  if (prim.outputInit !== 'none') target.fill(0);
  prim.compute(getBackend().kernels, target, storages, plan, attrs);
  return dest;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
