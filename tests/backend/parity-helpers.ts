/**
 * Shared pieces of the native-vs-ref parity tests: the loaded backends, seeded random inputs with
 * special values, exact and tolerant comparisons, and runners over instruction sets and thread
 * counts.
 *
 * The backend under test is the native addon, or the WebAssembly build of the same C++ when
 * `TSGLUON_BACKEND=wasm` (CI runs the whole suite that way too): the same tests then check the
 * wasm kernels against ref, through the same addon interface. Its workers are started here, so
 * the thread-count tests really run on several threads.
 */
import assert from 'node:assert/strict';
import { Generator } from '../../src/core/rng.js';
import type { TypedArray } from '../../src/core/dtype.js';
import type { KernelTable } from '../../src/backend/kernels.js';
import { refKernels } from '../../src/backend/ref/index.js';
import { loadNativeBackend, type NativeLoad } from '../../src/backend/native/index.js';
import { loadWasmBackendSync } from '../../src/backend/wasm/node.js';

function loadUnderTest(): NativeLoad {
  if (process.env['TSGLUON_BACKEND'] !== 'wasm') return loadNativeBackend();
  const r = loadWasmBackendSync();
  return r.backend === null ? { backend: null, addon: null, error: r.error } : { backend: r.backend, addon: r.backend.addon, error: null };
}

export const load = loadUnderTest();
export const skip = load.backend === null ? `${process.env['TSGLUON_BACKEND'] === 'wasm' ? 'wasm build' : 'native addon'} not built: ${load.error}` : false;
if (load.backend !== null && 'threadsReady' in load.backend) {
  const wasm = load.backend as { setNumThreads(n: number): void; threadsReady(): Promise<void> };
  wasm.setNumThreads(3);
  await wasm.threadsReady();
}
export const nat = (load.backend?.kernels ?? refKernels) as KernelTable;
export const addon = load.addon;
export const g = new Generator(1234);

export type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
export const FLOATS: [string, Ctor][] = [['float32', Float32Array], ['float64', Float64Array]];

export function rand(C: Ctor | Int32ArrayConstructor | Uint8ArrayConstructor, n: number, lo = -2, hi = 2): TypedArray {
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * g.nextFloat();
  return a;
}

/** Sprinkles NaN, ±Inf, ±0 and 1 over the first slots so special values meet every op. */
export function withSpecials<T extends TypedArray>(a: T): T {
  const sp = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2.5];
  for (let i = 0; i < Math.min(sp.length, a.length); i++) a[(i * 7) % a.length] = sp[i]!;
  return a;
}

export function close(actual: TypedArray, expected: TypedArray, rtol: number, atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const x = actual[i]!;
    const y = expected[i]!;
    if (Number.isNaN(y)) {
      assert.ok(Number.isNaN(x), `${what}[${i}]: expected NaN, got ${x}`);
    } else if (!Number.isFinite(y)) {
      assert.equal(x, y, `${what}[${i}]`);
    } else if (Math.abs(x - y) > atol + rtol * Math.abs(y)) {
      assert.fail(`${what}[${i}]: native ${x}, ref ${y}`);
    }
  }
}

export function same(actual: TypedArray, expected: TypedArray, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      assert.fail(`${what}[${i}]: native ${actual[i]}, ref ${expected[i]}`);
    }
  }
}

/** Runs `fn` once per instruction set the CPU supports (the wasm build has one), restoring the best one afterwards. */
export function forEachIsa(fn: (isa: string) => void): void {
  const best = addon!.isa();
  const isas = ['avx512', 'avx2', 'generic'];
  if (!isas.includes(best)) isas.unshift(best);
  try {
    for (const isa of isas) if (addon!.setIsa(isa)) fn(isa);
  } finally {
    addon!.setIsa(best);
  }
}

export function withThreads<T>(n: number, fn: () => T): T {
  const prev = load.backend!.numThreads();
  load.backend!.setNumThreads!(n);
  try {
    return fn();
  } finally {
    load.backend!.setNumThreads!(prev);
  }
}

