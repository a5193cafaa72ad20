/**
 * The wasm backend in a browser: fetches and compiles the build that fits the page (relaxed SIMD
 * where the engine validates it; the threaded build where the page is cross-origin isolated, so
 * SharedArrayBuffer exists), and runs its threads as Web Workers started from a Blob. The four
 * file URLs are written out literally so bundlers (Vite, webpack, esbuild) find and ship them;
 * `baseUrl` points elsewhere (a CDN, or a bundler setup that leaves the package's wasm/ behind).
 */
import { BackendError } from '../../core/errors.js';
import {
  WORKER_SOURCE, createWasmBackend, hasRelaxedSimd, hasSharedMemory, variantFile, wasmImports, wasmMemory,
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
  /** Threads (default: the cores the browser reports, up to 8, when the page is cross-origin isolated; else 1). */
  threads?: number;
  /** Use relaxed SIMD's fused multiply-add where the engine has it (default true). */
  relaxedSimd?: boolean;
  /** Browsers: the folder URL holding the four tsgluon-*.wasm files (default: the package's wasm/). */
  baseUrl?: string | URL;
}

const BUNDLER_HINT =
  "a bundler may have moved tsgluon's modules away from its wasm/ folder: with Vite's dev server, add " +
  "optimizeDeps: { exclude: ['tsgluon'], include: ['tsgluon > protobufjs'] } to vite.config; or pass loadWasm({ baseUrl }) with where the files are served";

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
  const where = options.baseUrl !== undefined ? new URL(variantFile(variant), new URL(options.baseUrl, location.href)) : url(variant);
  const response = await fetch(where);
  if (!response.ok) throw new BackendError(`loadWasm: fetching ${where.href} gave HTTP ${response.status}; ${BUNDLER_HINT}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new BackendError(`loadWasm: ${where.href} is not a WebAssembly file (the server answered with something else, such as an HTML page); ${BUNDLER_HINT}`);
  }
  const memory = wasmMemory(variant);
  const { module, instance } = await WebAssembly.instantiate(bytes, wasmImports(memory));
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const threads = shared ? (options.threads ?? Math.max(1, Math.min(cores, 8))) : 1;
  return createWasmBackend(module, instance, memory, variant, { threads, spawn });
}
