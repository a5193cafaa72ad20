/**
 * The native kernel table: thin wrappers that hand the typed arrays (zero-copy) and a plan packed
 * into one reused Int32Array to the C++ addon. The addon answers false for a dtype it leaves to
 * the reference backend, and the wrapper then calls the reference kernel, so every entry is
 * complete for every dtype.
 *
 * Native for float32 and float64: matmul, unary and binary element-wise ops, reductions and
 * arg-reductions, the softmax family, takeGrad and pickGrad, im2col/col2im and max/avg pooling
 * with their gradients, convolution (forward, data and weight gradients), batch normalization
 * (statistics, forward, gradient statistics and data gradient).
 * Native for float32 and float64 too: the fused optimizer updates (sgdUpdate, adamUpdate,
 * rmspropUpdate, adagradUpdate), except when arrays share memory or mix dtypes.
 * Native for float32 and float64 too: the recurrences rnnForward and rnnBackward, and
 * clipGlobalNorm.
 * Native for every dtype: cast, copyStrided, where, take, pick.
 * Native for float32 and float64: the fused element-wise chains of hybridized graphs (fused).
 * Left to ref: movingAverage (a few channels' worth of work).
 * Deliberately left to ref: int32/uint8 arithmetic (unary, binary, reduce, argReduce, matmul,
 * takeGrad, pickGrad, the window kernels), and any call whose plan has more than 32 axes, whose arrays have 2^31
 * or more elements, or whose plan holds any value an int32 cannot (a pad or stride of 2^31): every value is
 * range-checked before it is packed into the Int32Array plan, so nothing wraps around.
 */
import type { TypedArray } from '../../core/dtype.js';
import {
  ARG_REDUCE_OPS,
  BINARY_OPS,
  REDUCE_OPS,
  RNN_MODES,
  UNARY_OPS,
  type ArgReduceKernel,
  type AxisPlan,
  type BinaryKernel,
  type BroadcastPlan,
  type KernelTable,
  type MatmulPlan,
  type ReduceKernel,
  type RnnPlan,
  type TernaryPlan,
  type AvgPoolPlan,
  type BatchNormPlan,
  type ConvPlan,
  type FusedPlan,
  type WindowPlan,
  type UnaryKernel,
  type UpdateParams,
  type View,
} from '../kernels.js';
import { refKernels } from '../ref/index.js';
import type { NativeAddon } from './loader.js';

const MAX_DIMS = 32;
const MAX_LEN = 0x7fffffff;

/** True when `v` survives the trip into an Int32Array plan unchanged. */
const isInt32 = (v: number): boolean => (v | 0) === v;

/** Builds the kernel table over a loaded addon. */
export function nativeKernels(addon: NativeAddon): KernelTable {
  // One plan buffer for every call: JavaScript is single-threaded and the addon reads it at once.
  const P = new Int32Array(1 + 4 * MAX_DIMS + 2);

  /**
   * Packs [nd, shape..., strides0..., strides1..., ...] into P; false (the caller then runs ref)
   * when it does not fit: too many axes, or a value an int32 would change.
   */
  function packStrides(shape: readonly number[], lists: readonly (readonly number[])[], lengths: number): boolean {
    const nd = shape.length;
    if (nd > MAX_DIMS || lengths > MAX_LEN) return false;
    P[0] = nd;
    for (let d = 0; d < nd; d++) {
      if (!isInt32(shape[d]!)) return false;
      P[1 + d] = shape[d]!;
    }
    for (let l = 0; l < lists.length; l++) {
      const s = lists[l]!;
      const base = 1 + nd * (l + 1);
      for (let d = 0; d < nd; d++) {
        if (!isInt32(s[d]!)) return false;
        P[base + d] = s[d]!;
      }
    }
    return true;
  }

  const table = <K extends string, F>(names: readonly K[], known: readonly string[], make: (code: number, name: K) => F | null, fallback: Record<K, F>) => {
    const out = {} as Record<K, F>;
    for (const name of names) out[name] = make(known.indexOf(name), name) ?? fallback[name];
    return out;
  };

  const unary = table(UNARY_OPS, addon.unaryOps, (code, name): UnaryKernel | null => {
    if (code < 0) return null;
    const ref = refKernels.unary[name];
    return (out, x) => {
      if (!addon.unary(code, out, x)) ref(out, x);
    };
  }, refKernels.unary);

  const binary = table(BINARY_OPS, addon.binaryOps, (code, name): BinaryKernel | null => {
    if (code < 0) return null;
    const ref = refKernels.binary[name];
    return (out: TypedArray, a: TypedArray, b: TypedArray, plan: BroadcastPlan) => {
      const n = out.length;
      if (a.length === n && b.length === n) P[0] = -1;
      else if (b.length === 1 && a.length === n) P[0] = -2;
      else if (a.length === 1 && b.length === n) P[0] = -3;
      else if (!packStrides(plan.shape, [plan.aStrides, plan.bStrides], n)) return ref(out, a, b, plan);
      if (!addon.binary(code, out, a, b, P)) ref(out, a, b, plan);
    };
  }, refKernels.binary);

  const reduce = table(REDUCE_OPS, addon.reduceOps, (code, name): ReduceKernel | null => {
    if (code < 0) return null;
    const ref = refKernels.reduce[name];
    return (out, x, plan) => {
      if (!addon.reduce(code, out, x, plan.outer, plan.reduce, plan.inner)) ref(out, x, plan);
    };
  }, refKernels.reduce);

  const argReduce = table(ARG_REDUCE_OPS, ARG_REDUCE_OPS, (code, name): ArgReduceKernel => {
    const ref = refKernels.argReduce[name];
    return (out, x, plan) => {
      if (!addon.argReduce(code, out, x, plan.outer, plan.reduce, plan.inner)) ref(out, x, plan);
    };
  }, refKernels.argReduce);

  /** Packs the GEMM plan into P (mode 0 overwrite, 1 accumulate, 2 from the bias); false when it does not fit. */
  function packGemm(out: TypedArray, a: TypedArray, b: TypedArray, plan: MatmulPlan, mode: number): boolean {
    const fits = isInt32(plan.batch) && isInt32(plan.m) && isInt32(plan.n) && isInt32(plan.k) && isInt32(plan.aBatchStride) && isInt32(plan.bBatchStride);
    if (!fits || out.length > MAX_LEN || a.length > MAX_LEN || b.length > MAX_LEN) return false;
    P[0] = plan.batch;
    P[1] = plan.m;
    P[2] = plan.n;
    P[3] = plan.k;
    P[4] = plan.transA ? 1 : 0;
    P[5] = plan.transB ? 1 : 0;
    P[6] = plan.aBatchStride;
    P[7] = plan.bBatchStride;
    P[8] = mode;
    return true;
  }

  function matmul(out: TypedArray, a: TypedArray, b: TypedArray, plan: MatmulPlan): void {
    if (!packGemm(out, a, b, plan, plan.accumulate ? 1 : 0) || !addon.gemm(out, a, b, P)) refKernels.matmul(out, a, b, plan);
  }

  function matmulBias(out: TypedArray, a: TypedArray, b: TypedArray, bias: TypedArray, plan: MatmulPlan): void {
    if (!packGemm(out, a, b, plan, 2) || !addon.gemm(out, a, b, P, bias)) refKernels.matmulBias(out, a, b, bias, plan);
  }

  function where(out: TypedArray, cond: TypedArray, a: TypedArray, b: TypedArray, plan: TernaryPlan): void {
    const ok = packStrides(plan.shape, [plan.cStrides, plan.aStrides, plan.bStrides], out.length) && addon.where(out, cond, a, b, P);
    if (!ok) refKernels.where(out, cond, a, b, plan);
  }

  function copyStrided(dst: TypedArray, dv: View, src: TypedArray, sv: View, shape: readonly number[]): void {
    const nd = shape.length;
    if (nd > MAX_DIMS || dst.length > MAX_LEN || src.length > MAX_LEN) return refKernels.copyStrided(dst, dv, src, sv, shape);
    if (!isInt32(dv.offset) || !isInt32(sv.offset)) return refKernels.copyStrided(dst, dv, src, sv, shape);
    P[0] = nd;
    P[1] = dv.offset;
    P[2] = sv.offset;
    for (let d = 0; d < nd; d++) {
      const n = shape[d]!;
      const ds = dv.strides[d]!;
      const ss = sv.strides[d]!;
      if (!isInt32(n) || !isInt32(ds) || !isInt32(ss)) return refKernels.copyStrided(dst, dv, src, sv, shape);
      P[3 + d] = n;
      P[3 + nd + d] = ds;
      P[3 + 2 * nd + d] = ss;
    }
    if (!addon.copyStrided(dst, src, P)) refKernels.copyStrided(dst, dv, src, sv, shape);
  }

  const gather = (kind: number, ref: (o: TypedArray, x: TypedArray, idx: Int32Array, p: AxisPlan) => void) =>
    (out: TypedArray, x: TypedArray, idx: Int32Array, plan: AxisPlan): void => {
      if (!addon.gather(kind, out, x, idx, plan.outer, plan.axisLen, plan.inner)) ref(out, x, idx, plan);
    };

  const softmaxFamily = (op: number, ref: (o: TypedArray, x: TypedArray, y: TypedArray, p: AxisPlan) => void) =>
    (out: TypedArray, x: TypedArray, y: TypedArray, plan: AxisPlan): void => {
      if (!addon.softmax(op, out, x, y, plan.outer, plan.axisLen, plan.inner)) ref(out, x, y, plan);
    };
  const softmaxFwd = softmaxFamily(0, (o, x, _y, p) => refKernels.softmax(o, x, p));
  const logSoftmaxFwd = softmaxFamily(1, (o, x, _y, p) => refKernels.logSoftmax(o, x, p));

  /**
   * Packs a WindowPlan into P: batch, channels, then the six 3-vectors, then countIncludePad.
   * False when a value (a pad or stride of 2^31 or more) would not survive the int32.
   */
  function packWindow(p: WindowPlan, includePad: boolean): boolean {
    if (!isInt32(p.batch) || !isInt32(p.channels)) return false;
    P[0] = p.batch;
    P[1] = p.channels;
    const vecs = [p.in, p.out, p.kernel, p.stride, p.pad, p.dilation];
    for (let v = 0; v < 6; v++) {
      for (let i = 0; i < 3; i++) {
        const value = vecs[v]![i]!;
        if (!isInt32(value)) return false;
        P[2 + 3 * v + i] = value;
      }
    }
    P[20] = includePad ? 1 : 0;
    return true;
  }
  const windowed = <Pl extends WindowPlan>(kind: number, ref: (o: TypedArray, x: TypedArray, y: TypedArray, p: Pl) => void) =>
    (out: TypedArray, x: TypedArray, y: TypedArray, plan: Pl): void => {
      const packed = packWindow(plan, (plan as Partial<AvgPoolPlan>).countIncludePad ?? false);
      if (!packed || !addon.window(kind, out, x, y, P)) ref(out, x, y, plan);
    };
  /**
   * Packs a ConvPlan into P: batch, channels, filters, then the six 3-vectors. False when a value
   * (a pad or stride of 2^31 or more) would not survive the int32.
   */
  function packConv(p: ConvPlan): boolean {
    if (!isInt32(p.batch) || !isInt32(p.channels) || !isInt32(p.filters)) return false;
    P[0] = p.batch;
    P[1] = p.channels;
    P[2] = p.filters;
    const vecs = [p.in, p.out, p.kernel, p.stride, p.pad, p.dilation];
    for (let v = 0; v < 6; v++) {
      for (let i = 0; i < 3; i++) {
        const value = vecs[v]![i]!;
        if (!isInt32(value)) return false;
        P[3 + 3 * v + i] = value;
      }
    }
    return true;
  }
  const conv: KernelTable['conv'] = (y, x, w, bias, plan) => {
    if (!packConv(plan) || !addon.conv(0, y, x, w, bias, P)) refKernels.conv(y, x, w, bias, plan);
  };
  const convDataGrad: KernelTable['convDataGrad'] = (gx, g, w, plan) => {
    if (!packConv(plan) || !addon.conv(1, gx, g, w, null, P)) refKernels.convDataGrad(gx, g, w, plan);
  };
  const convWeightGrad: KernelTable['convWeightGrad'] = (gw, x, g, plan) => {
    if (!packConv(plan) || !addon.conv(2, gw, x, g, null, P)) refKernels.convWeightGrad(gw, x, g, plan);
  };
  const convFused: KernelTable['convFused'] = (y, x, w, bias, plan, inputs, epilogue, self) => {
    const p = packedPlan(epilogue);
    if (p === null || y.length > MAX_LEN || !packConv(plan) || !addon.convFused(y, x, w, bias, P, inputs, p.layouts, p.code, p.eps, epilogue.inner, epilogue.channels, self)) {
      refKernels.convFused(y, x, w, bias, plan, inputs, epilogue, self);
    }
  };
  const im2col = windowed<WindowPlan>(0, (o, x, _y, p) => refKernels.im2col(o, x, p));
  const col2im = windowed<WindowPlan>(1, (o, x, _y, p) => refKernels.col2im(o, x, p));
  const maxPool = windowed<WindowPlan>(2, (o, x, _y, p) => refKernels.maxPool(o, x, p));
  const maxPoolGrad = windowed<WindowPlan>(3, refKernels.maxPoolGrad);
  const avgPool = windowed<AvgPoolPlan>(4, (o, x, _y, p) => refKernels.avgPool(o, x, p));
  const avgPoolGrad = windowed<AvgPoolPlan>(5, (o, x, _y, p) => refKernels.avgPoolGrad(o, x, p));

  // Hyper-parameters of the fused optimizer updates, in the order native/src/isa.h lists.
  const H = new Float64Array(9);
  function hyper(p: UpdateParams, h4: number, h5 = 0, h6 = 0, h7 = 0, h8 = 0): Float64Array {
    H[0] = p.lr;
    H[1] = p.wd;
    H[2] = p.rescale;
    H[3] = p.clip;
    H[4] = h4;
    H[5] = h5;
    H[6] = h6;
    H[7] = h7;
    H[8] = h8;
    return H;
  }
  const sgdUpdate: KernelTable['sgdUpdate'] = (w, g, mom, p) => {
    if (!addon.optimizer(0, w, g, mom, null, null, hyper(p, p.momentum, p.nesterov ? 1 : 0))) refKernels.sgdUpdate(w, g, mom, p);
  };
  const adamUpdate: KernelTable['adamUpdate'] = (w, g, mean, variance, p) => {
    const h = hyper(p, p.beta1, p.beta2, p.epsilon, p.decoupled ? 1 : 0, p.decay);
    if (!addon.optimizer(1, w, g, mean, variance, null, h)) refKernels.adamUpdate(w, g, mean, variance, p);
  };
  const rmspropUpdate: KernelTable['rmspropUpdate'] = (w, g, n, gbar, delta, p) => {
    // The reference kernel raises the typed error for a centered update without its states.
    const ok =
      (!p.centered || (gbar !== null && delta !== null)) &&
      addon.optimizer(2, w, g, n, gbar, delta, hyper(p, p.gamma1, p.gamma2, p.epsilon, p.clipWeights, p.centered ? 1 : 0));
    if (!ok) refKernels.rmspropUpdate(w, g, n, gbar, delta, p);
  };
  const adagradUpdate: KernelTable['adagradUpdate'] = (w, g, history, p) => {
    if (!addon.optimizer(3, w, g, history, null, null, hyper(p, p.epsilon))) refKernels.adagradUpdate(w, g, history, p);
  };

  // Batch normalization: kind and operands as native/src/isa.h's BnKind lists.
  const BN = new Int32Array(3);
  const bn = (kind: number, out: TypedArray, x: TypedArray, g: TypedArray | null, mean: TypedArray | null, v: TypedArray | null,
    gamma: TypedArray | null, beta: TypedArray | null, sums: TypedArray | null, p: BatchNormPlan): boolean => {
    if (x.length > MAX_LEN || !isInt32(p.outer) || !isInt32(p.channels) || !isInt32(p.inner)) return false;
    BN[0] = p.outer;
    BN[1] = p.channels;
    BN[2] = p.inner;
    return addon.batchNorm(kind, out, x, g, mean, v, gamma, beta, sums, BN, p.eps);
  };
  const batchNormMean: KernelTable['batchNormMean'] = (mean, x, p) => {
    if (!bn(0, mean, x, null, null, null, null, null, null, p)) refKernels.batchNormMean(mean, x, p);
  };
  const batchNormVariance: KernelTable['batchNormVariance'] = (v, x, mean, p) => {
    if (!bn(1, v, x, null, mean, null, null, null, null, p)) refKernels.batchNormVariance(v, x, mean, p);
  };
  const batchNormForward: KernelTable['batchNormForward'] = (y, x, mean, v, gamma, beta, p) => {
    if (!bn(2, y, x, null, mean, v, gamma, beta, null, p)) refKernels.batchNormForward(y, x, mean, v, gamma, beta, p);
  };
  const batchNormGradStats: KernelTable['batchNormGradStats'] = (sums, g, x, mean, v, p) => {
    if (!bn(3, sums, x, g, mean, v, null, null, null, p)) refKernels.batchNormGradStats(sums, g, x, mean, v, p);
  };
  const batchNormGradData: KernelTable['batchNormGradData'] = (gx, g, x, mean, v, gamma, sums, p) => {
    if (!bn(4, gx, x, g, mean, v, gamma, null, sums, p)) refKernels.batchNormGradData(gx, g, x, mean, v, gamma, sums, p);
  };
  /** The fused plan packed for the addon once (plans live as long as their graph). */
  const packed = new WeakMap<FusedPlan, { layouts: Int32Array; code: Int32Array; eps: Float64Array } | null>();
  function pack(plan: FusedPlan): { layouts: Int32Array; code: Int32Array; eps: Float64Array } | null {
    const code = new Int32Array(8 * plan.steps.length);
    const eps = new Float64Array(plan.steps.length);
    for (let s = 0; s < plan.steps.length; s++) {
      const st = plan.steps[s]!;
      const c = code.subarray(8 * s, 8 * s + 8);
      if (st.op === 'batchNorm') {
        c.set([2, 0, ...st.args, (st.scale ? 1 : 0) | (st.center ? 2 : 0)]);
        eps[s] = st.eps;
        continue;
      }
      const unary = addon.unaryOps.indexOf(st.op);
      const binary = addon.binaryOps.indexOf(st.op);
      if (st.args.length === 1 && unary >= 0) c.set([0, unary, st.args[0]!]);
      else if (st.args.length === 2 && binary >= 0) c.set([1, binary, st.args[0]!, st.args[1]!]);
      else return null;
    }
    return { layouts: Int32Array.from(plan.layouts), code, eps };
  }
  function packedPlan(plan: FusedPlan): { layouts: Int32Array; code: Int32Array; eps: Float64Array } | null {
    let p = packed.get(plan);
    if (p === undefined) packed.set(plan, (p = pack(plan)));
    return p;
  }
  const fused: KernelTable['fused'] = (out, inputs, plan) => {
    const p = packedPlan(plan);
    if (p === null || plan.size > MAX_LEN || !addon.fused(out, inputs, p.layouts, p.code, p.eps, plan.size, plan.inner, plan.channels)) {
      refKernels.fused(out, inputs, plan);
    }
  };

  // A recurrence's plan: [mode, T, N, H, P, reverse] (native/src/isa.h, RnnArgs).
  function rnnPlan(plan: RnnPlan): Int32Array {
    P[0] = RNN_MODES.indexOf(plan.mode);
    P[1] = plan.steps;
    P[2] = plan.batch;
    P[3] = plan.hidden;
    P[4] = plan.proj;
    P[5] = plan.reverse ? 1 : 0;
    return P;
  }
  const rnnForward: KernelTable['rnnForward'] = (out, ws, xproj, whh, bhh, h0, c0, whr, plan) => {
    if (!addon.rnn(0, out, ws, xproj, whh, bhh, h0, c0, whr, rnnPlan(plan))) refKernels.rnnForward(out, ws, xproj, whh, bhh, h0, c0, whr, plan);
  };
  const rnnBackward: KernelTable['rnnBackward'] = (grads, dout, out, ws, whh, h0, c0, whr, plan) => {
    if (!addon.rnn(1, grads, dout, out, ws, whh, h0, c0, whr, rnnPlan(plan))) refKernels.rnnBackward(grads, dout, out, ws, whh, h0, c0, whr, plan);
  };

  return {
    ...refKernels,
    batchNormMean,
    batchNormVariance,
    batchNormForward,
    batchNormGradStats,
    batchNormGradData,
    fused,
    movingAverage: refKernels.movingAverage,
    sgdUpdate,
    adamUpdate,
    rmspropUpdate,
    adagradUpdate,
    rnnForward,
    rnnBackward,
    clipGlobalNorm: (arrays, maxNorm) => {
      const norm = addon.clipGlobalNorm(arrays, maxNorm);
      return norm === false ? refKernels.clipGlobalNorm(arrays, maxNorm) : norm;
    },
    im2col: (cols, x, plan) => im2col(cols, x, x, plan),
    col2im: (gx, cols, plan) => col2im(gx, cols, cols, plan),
    conv,
    convFused,
    convDataGrad,
    convWeightGrad,
    maxPool: (out, x, plan) => maxPool(out, x, x, plan),
    maxPoolGrad,
    avgPool: (out, x, plan) => avgPool(out, x, x, plan),
    avgPoolGrad: (gx, g, plan) => avgPoolGrad(gx, g, g, plan),
    unary,
    binary,
    reduce,
    argReduce,
    where,
    cast(out, x) {
      if (!addon.cast(out, x)) refKernels.cast(out, x);
    },
    copyStrided,
    matmul,
    matmulBias,
    take: gather(0, refKernels.take),
    takeGrad: gather(1, refKernels.takeGrad),
    pick: gather(2, refKernels.pick),
    pickGrad: gather(3, refKernels.pickGrad),
    softmax: (out, x, plan) => softmaxFwd(out, x, x, plan),
    logSoftmax: (out, x, plan) => logSoftmaxFwd(out, x, x, plan),
    softmaxGrad: softmaxFamily(2, refKernels.softmaxGrad),
    logSoftmaxGrad: softmaxFamily(3, refKernels.logSoftmaxGrad),
  };
}
