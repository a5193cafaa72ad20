/**
 * The wasm backend in Node: reads the build from the package's wasm/ folder
 * synchronously, so `TSGLUON_BACKEND=wasm` can select it while tsgluon loads, and runs its
 * threads as worker_threads. Node's modules load on first use (core/platform.ts), so this file
 * also loads, unused, in a browser. Loading never throws; a missing build yields the reason.
 */
import { env, isNode, nodeModule } from '../../core/platform.js';
import { PACKAGE_ROOT } from '../native/locate.js';
import {
  WORKER_SOURCE, createWasmBackend, hasRelaxedSimd, variantFile, wasmImports, wasmMemory,
  type SpawnWorker, type WasmBackend, type WasmVariant,
} from './backend.js';

export type WasmLoad = { backend: WasmBackend; error: null } | { backend: null; error: string };

const node = <T>(name: string) => nodeModule<T>(name, 'the wasm backend in Node');

const spawn: SpawnWorker = (data, ready, failed) => {
  const { Worker } = node<typeof import('node:worker_threads')>('node:worker_threads');
  const code = `const { workerData, parentPort } = require('node:worker_threads');\n${WORKER_SOURCE}\nstart(workerData, () => parentPort.postMessage('ready'));`;
  const w = new Worker(code, { eval: true, workerData: data });
  // Workers serve jobs forever, so once started they must not keep the process alive.
  w.once('message', () => {
    w.unref();
    ready();
  });
  w.once('error', failed);
};

let cached: WasmLoad | null = null;

const fileOf = (v: WasmVariant) => node<typeof import('node:path')>('node:path').join(PACKAGE_ROOT, 'wasm', variantFile(v));

/** Whether the builds are there (a cheap check; loading happens on first use). */
export function wasmBuilt(): boolean {
  return isNode() && node<typeof import('node:fs')>('node:fs').existsSync(fileOf({ relaxed: false, threads: true }));
}

/**
 * Loads the wasm backend once: relaxed SIMD when the engine has it (Node 22; Node 20 with
 * --experimental-wasm-relaxed-simd), shared memory and worker threads always. `variant` loads
 * another build, uncached (for tests).
 */
export function loadWasmBackendSync(options: { threads?: number; variant?: Partial<WasmVariant> } = {}): WasmLoad {
  if (cached !== null && options.variant === undefined) return cached;
  const variant: WasmVariant = { relaxed: options.variant?.relaxed ?? hasRelaxedSimd(), threads: options.variant?.threads ?? true };
  const path = fileOf(variant);
  const fs = node<typeof import('node:fs')>('node:fs');
  let load: WasmLoad;
  if (!fs.existsSync(path)) {
    load = { backend: null, error: `${path} is not built (npm run build:wasm)` };
  } else {
    try {
      const module = new WebAssembly.Module(fs.readFileSync(path));
      const memory = wasmMemory(variant);
      const instance = new WebAssembly.Instance(module, wasmImports(memory));
      const threads = options.threads ?? Number(env('TSGLUON_NUM_THREADS') ?? node<typeof import('node:os')>('node:os').availableParallelism());
      const backend = createWasmBackend(module, instance, memory, variant, { threads: Number.isInteger(threads) && threads > 0 ? threads : 1, spawn });
      load = { backend, error: null };
    } catch (e) {
      load = { backend: null, error: `${path} failed to load: ${(e as Error).message}` };
    }
  }
  if (options.variant === undefined) cached = load;
  return load;
}
