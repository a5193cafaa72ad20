/**
 * `apply`: the single choke point every primitive op goes through.
 *
 * A primitive is described once, by a `Primitive` object: how to infer (and validate) its output
 * shape and dtype, which kernel computes it, and its gradient rule written with `nd` ops. `apply`
 * checks, allocates the output, dispatches to the active backend's kernel table, and records a
 * tape node when autograd is recording and an input needs a gradient. Inputs that carry only a
 * shape produce a shape-only output without running any kernel.
 *
 * Gradient rules may return gradients in the broadcast output shape; autograd sums them back to
 * each input's shape once, centrally.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import type { KernelTable } from '../backend/kernels.js';
import { getBackend } from '../backend/registry.js';
import { NDArray } from '../ndarray/ndarray.js';
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
  /** Fills `out` (fresh, zeroed, contiguous) from the inputs' storage. */
  compute(kernels: KernelTable, out: TypedArray, inputs: readonly TypedArray[], plan: P, attrs: A): void;
  /** Gradient of each input given the output's gradient `g`; null where none flows. */
  grad?(g: NDArray, ctx: GradContext<A>): readonly (NDArray | null)[];
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
  const { shape, dtype, plan } = prim.infer(inputs, attrs);
  if (inputs.some((x) => x.isShapeOnly)) return NDArray.shapeOnly(shape, dtype);
  const out = NDArray.empty(shape, dtype);
  prim.compute(
    getBackend().kernels,
    out.storage,
    inputs.map((x) => x.storage),
    plan,
    attrs,
  );
  if (prim.grad !== undefined && isRecording() && inputs.some(needsGrad)) {
    const grad = prim.grad.bind(prim);
    const ctx: GradContext<A> = { inputs, out, attrs, needsGrad: inputs.map(needsGrad) };
    out._node = { op: prim.name, inputs, backward: (g) => grad(g, ctx) };
  }
  return out;
}
