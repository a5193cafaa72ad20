/**
 * The wasm backend in a browser: fetches and compiles the build that fits the page (relaxed SIMD
 * where the engine validates it; the threaded build where the page is cross-origin isolated, so
 * SharedArrayBuffer exists), and runs its threads as Web Workers started from a Blob. The four
 * file URLs are written out literally so bundlers (Vite, webpack, esbuild) find and ship them.
 */
import { BackendError } from '../../core/errors.js';
import {
  WORKER_SOURCE, createWasmBackend, hasRelaxedSimd, hasSharedMemory, wasmImports, wasmMemory,
  type SpawnWorker, type WasmBackend, type WasmVariant,
} from './backend.js';

function url(v: WasmVariant): URL {
  if (v.relaxed) {
    return v.threads
      ? new URL('../../../wasm/tsgluon-relaxed-threads.wasm', import.meta.url)
      : new URL('../../../wasm/tsgluon-relaxed.wasm', import.meta.url);
  }
  return v.threads
    ? new URL('../../../wasm/tsgluon-simd128-threads.wasm', import.meta.url)
    : new URL('../../../wasm/tsgluon-simd128.wasm', import.meta.url);
}

let workerUrl: string | null = null;
const spawn: SpawnWorker = (data, ready, failed) => {
  workerUrl ??= URL.createObjectURL(
    new Blob([`${WORKER_SOURCE}\nonmessage = (e) => start(e.data, () => postMessage('ready'));`], { type: 'text/javascript' }),
  );
  const w = new Worker(workerUrl);
  w.onmessage = () => ready();
  w.onerror = (e) => failed(new BackendError(`wasm backend: a worker failed to start: ${e.message}`));
  w.postMessage(data);
};

/** Options of `backend.loadWasm`. */
export interface LoadWasmOptions {
  /** Threads (default: the cores the browser reports, when the page is cross-origin isolated; else 1). */
  threads?: number;
  /** Use relaxed SIMD's fused multiply-add where the engine has it (default true). */
  relaxedSimd?: boolean;
}

/** Fetches, compiles and instantiates the build that fits this page, and starts its workers. */
export async function loadWasmInBrowser(options: LoadWasmOptions = {}): Promise<WasmBackend> {
  const shared = hasSharedMemory();
  if ((options.threads ?? 1) > 1 && !shared) {
    throw new BackendError(
      `loadWasm({ threads: ${options.threads} }): this page is not cross-origin isolated, so SharedArrayBuffer and threads are unavailable; ` +
        'serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, or ask for one thread',
    );
  }
  const variant: WasmVariant = { relaxed: (options.relaxedSimd ?? true) && hasRelaxedSimd(), threads: shared };
  const where = url(variant);
  const response = await fetch(where);
  if (!response.ok) throw new BackendError(`loadWasm: fetching ${where.href} gave HTTP ${response.status}; the package's wasm/ folder must be served with the page`);
  const memory = wasmMemory(variant);
  const { module, instance } = await WebAssembly.instantiate(await response.arrayBuffer(), wasmImports(memory));
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const threads = shared ? (options.threads ?? Math.max(1, Math.min(cores, 8))) : 1;
  return createWasmBackend(module, instance, memory, variant, { threads, spawn });
}
