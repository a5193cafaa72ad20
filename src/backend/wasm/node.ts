/**
 * The wasm backend in Node: reads the build from build/wasm/ (the package ships it there)
 * synchronously, so `TSGLUON_BACKEND=wasm` can select it while tsgluon loads, and runs its
 * threads as worker_threads. Loading never throws; a missing build yields the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../native/locate.js';
import { WORKER_SOURCE, createWasmBackend, hasRelaxedSimd, variantFile, type SpawnWorker, type WasmBackend, type WasmVariant } from './backend.js';

export type WasmLoad = { backend: WasmBackend; error: null } | { backend: null; error: string };

const spawn: SpawnWorker = (data, ready, failed) => {
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

const fileOf = (v: WasmVariant) => join(PACKAGE_ROOT, 'build', 'wasm', variantFile(v));

/** Whether the builds are there (a cheap check; loading happens on first use). */
export function wasmBuilt(): boolean {
  return existsSync(fileOf({ relaxed: false, threads: true }));
}

/** Loads the wasm backend once: relaxed SIMD when the engine has it, threads always. */
export function loadWasmBackendSync(options: { threads?: number; variant?: Partial<WasmVariant> } = {}): WasmLoad {
  if (cached !== null && options.variant === undefined) return cached;
  const variant: WasmVariant = { relaxed: options.variant?.relaxed ?? hasRelaxedSimd(), threads: options.variant?.threads ?? true };
  const path = fileOf(variant);
  let load: WasmLoad;
  if (!existsSync(path)) {
    load = { backend: null, error: `${path} is not built (npm run build:wasm)` };
  } else {
    try {
      const module = new WebAssembly.Module(readFileSync(path));
      const threads = options.threads ?? Number(process.env['TSGLUON_NUM_THREADS'] ?? availableParallelism());
      load = { backend: createWasmBackend(module, variant, { threads: Number.isInteger(threads) && threads > 0 ? threads : 1, spawn }), error: null };
    } catch (e) {
      load = { backend: null, error: `${path} failed to load: ${(e as Error).message}` };
    }
  }
  if (options.variant === undefined) cached = load;
  return load;
}
