/**
 * Finds and loads the compiled addon (build/Release/tsgluon.node, built by `npm install` through
 * scripts/build-native.mjs). Loading never throws: a missing or broken build yields the reason,
 * and the caller falls back to the reference backend.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TypedArray } from '../../core/dtype.js';

/** The functions exported by native/src/addon.cc; each returns false when it leaves a dtype to ref. */
export interface NativeAddon {
  gemm(out: TypedArray, a: TypedArray, b: TypedArray, plan: Int32Array): boolean;
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

export type LoadResult = { addon: NativeAddon; error: null } | { addon: null; error: string };

const CANDIDATES = ['../../../build/Release/tsgluon.node', '../../../build/Debug/tsgluon.node'];

/** Loads the addon from the package's build folder (the same relative path from src/ and dist/). */
export function loadAddon(): LoadResult {
  const require = createRequire(import.meta.url);
  for (const rel of CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      return { addon: require(path) as NativeAddon, error: null };
    } catch (e) {
      return { addon: null, error: `${path} failed to load: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return { addon: null, error: 'the addon is not built (no C++ compiler during install?)' };
}
