/**
 * Loads a compiled addon by name: the binary compiled on this machine (build/Release, by
 * scripts/build-native.mjs during install) or the prebuilt one shipped for this platform
 * (prebuilds/<platform>-<arch>, see locate.ts). Loading never throws: a missing or broken binary
 * yields the reason and how to get one, and the caller falls back to the reference backend.
 */
import type { TypedArray } from '../../core/dtype.js';
import { isNode, nodeModule } from '../../core/platform.js';
import { PACKAGE_ROOT, addonCandidates } from './locate.js';

/** The functions exported by native/src/addon.cc; each returns false when it leaves a dtype to ref. */
export interface NativeAddon {
  gemm(out: TypedArray, a: TypedArray, b: TypedArray, plan: Int32Array, bias?: TypedArray): boolean;
  unary(op: number, out: TypedArray, x: TypedArray): boolean;
  binary(op: number, out: TypedArray, a: TypedArray, b: TypedArray, plan: Int32Array): boolean;
  where(out: TypedArray, cond: TypedArray, a: TypedArray, b: TypedArray, plan: Int32Array): boolean;
  reduce(op: number, out: TypedArray, x: TypedArray, outer: number, reduce: number, inner: number): boolean;
  argReduce(op: number, out: Int32Array, x: TypedArray, outer: number, reduce: number, inner: number): boolean;
  softmax(op: number, out: TypedArray, x: TypedArray, y: TypedArray, outer: number, len: number, inner: number): boolean;
  cast(out: TypedArray, x: TypedArray): boolean;
  copyStrided(dst: TypedArray, src: TypedArray, plan: Int32Array): boolean;
  gather(kind: number, out: TypedArray, x: TypedArray, idx: Int32Array, outer: number, axisLen: number, inner: number): boolean;
  window(kind: number, out: TypedArray, x: TypedArray, y: TypedArray, plan: Int32Array): boolean;
  /**
   * Batch normalization: kind 0 mean, 1 variance, 2 forward, 3 gradient statistics, 4 data
   * gradient; operands a kind does not read are null; dims = [outer, channels, inner].
   */
  batchNorm(
    kind: number, out: TypedArray, x: TypedArray, g: TypedArray | null, mean: TypedArray | null, variance: TypedArray | null,
    gamma: TypedArray | null, beta: TypedArray | null, sums: TypedArray | null, dims: Int32Array, eps: number,
  ): boolean;
  /** Convolution: kind 0 forward (y, x, w, bias), 1 data gradient (gx, g, w), 2 weight gradient (gw, x, g). */
  conv(kind: number, out: TypedArray, a: TypedArray, b: TypedArray, bias: TypedArray | null, plan: Int32Array): boolean;
  /**
   * A fused optimizer update: kind 0 SGD, 1 Adam, 2 RMSProp, 3 AdaGrad; unused states null; the
   * hyper-parameters in the order native/src/isa.h lists.
   */
  optimizer(
    kind: number,
    weight: TypedArray,
    grad: TypedArray,
    s0: TypedArray | null,
    s1: TypedArray | null,
    s2: TypedArray | null,
    params: Float64Array,
  ): boolean;
  /**
   * A fused element-wise chain: per step 8 codes in `code` (kind 0 unary / 1 binary / 2 batchNorm,
   * op, five argument registers, flags 1 scale 2 center) and its eps in `eps`.
   */
  fused(out: TypedArray, inputs: readonly TypedArray[], layouts: Int32Array, code: Int32Array, eps: Float64Array, size: number, inner: number, channels: number): boolean;
  /**
   * Forward convolution (y, x, w, bias, plan as conv's) with a fused chain (as fused's) applied to
   * y as it is computed; the chain's input `self` is y itself and is left out of `inputs`.
   */
  convFused(y: TypedArray, x: TypedArray, w: TypedArray, bias: TypedArray | null, plan: Int32Array, inputs: readonly TypedArray[], layouts: Int32Array, code: Int32Array, eps: Float64Array, inner: number, channels: number, self: number): boolean;
  /**
   * A recurrent layer direction over a sequence: kind 0 rnnForward (out, ws, xproj, whh, bhh, h0,
   * c0, whr), 1 rnnBackward (grads, dout, out, ws, whh, h0, c0, whr); plan [mode, T, N, H, P, reverse].
   */
  rnn(kind: number, a0: TypedArray, a1: TypedArray, a2: TypedArray, a3: TypedArray, a4: TypedArray, a5: TypedArray, a6: TypedArray, a7: TypedArray, plan: Int32Array): boolean;
  /** The joint L2 norm of float arrays, scaling them in place when above maxNorm; false for other dtypes. */
  clipGlobalNorm(arrays: readonly TypedArray[], maxNorm: number): number | false;
  /** Float32 FMA throughput probe on the calling thread: runs `iters` rounds, returns the flops done. */
  fmaLoop(iters: number): number;
  isa(): string;
  setIsa(name: string): boolean;
  numThreads(): number;
  /** Rebuilds the pool with n threads; returns '' or why the system refused them (the old pool stays). */
  setNumThreads(n: number): string;
  readonly unaryOps: readonly string[];
  readonly binaryOps: readonly string[];
  readonly reduceOps: readonly string[];
}

export type LoadResult<T = NativeAddon> = { addon: T; error: null } | { addon: null; error: string };

/**
 * Loads addon `name` (default the kernels, `tsgluon`; an optional addon such as `tsgluon_mpi`
 * by its name) from the package at `root`, trying each candidate in order: a prebuilt binary that does not load here (an
 * older C library, say) gives way to the next.
 */
export function loadAddon<T = NativeAddon>(name = 'tsgluon', root = PACKAGE_ROOT): LoadResult<T> {
  if (!isNode()) return { addon: null, error: `${name} is a Node addon; this is not Node` };
  const require = nodeModule<typeof import('node:module')>('node:module', 'loading a native addon').createRequire(import.meta.url);
  const failures: string[] = [];
  for (const path of addonCandidates(name, root)) {
    try {
      return { addon: require(path) as T, error: null };
    } catch (e) {
      failures.push(`${path} failed to load: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const fix = `npm rebuild tsgluon with a C++ compiler installed builds one`;
  if (failures.length > 0) return { addon: null, error: `${failures.join('; ')}; ${fix}` };
  return {
    addon: null,
    error: `no ${name} binary for ${process.platform}-${process.arch}: none is prebuilt for it and none was compiled at install (no C++ compiler, or install scripts disabled); ${fix}`,
  };
}
