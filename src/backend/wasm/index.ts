/**
 * `backend.loadWasm()`: the WebAssembly backend, loaded, registered as 'wasm' and (by default)
 * made the active backend, with its workers running. In a browser this is how the backend
 * arrives (its bytes are fetched); in Node it is also selectable at start-up with
 * `TSGLUON_BACKEND=wasm`, and this returns the same instance.
 *
 * @example
 * ```ts
 * import { backend } from 'tsgluon';
 * await backend.loadWasm();   // then train as usual
 * ```
 */
import { BackendError } from '../../core/errors.js';
import { isNode } from '../../core/platform.js';
import { registerBackend, setBackend } from '../registry.js';
import type { WasmBackend } from './backend.js';
import { loadWasmInBrowser, type LoadWasmOptions } from './browser.js';
import { loadWasmBackendSync } from './node.js';

export type { WasmBackend, WasmVariant } from './backend.js';
export type { LoadWasmOptions } from './browser.js';

/** Options of `loadWasm`: those of the browser loader, plus whether to switch to it. */
export interface LoadWasmAndUseOptions extends LoadWasmOptions {
  /** Make it the active backend (default true). */
  activate?: boolean;
}

let loaded: Promise<WasmBackend> | null = null;

/** Loads the wasm backend once, registers it as 'wasm', activates it unless told otherwise. */
export async function loadWasm(options: LoadWasmAndUseOptions = {}): Promise<WasmBackend> {
  loaded ??= (async () => {
    if (!isNode()) return loadWasmInBrowser(options);
    const r = loadWasmBackendSync(options.threads !== undefined ? { threads: options.threads } : {});
    if (r.backend === null) throw new BackendError(`loadWasm: ${r.error}`);
    return r.backend;
  })();
  let backend: WasmBackend;
  try {
    backend = await loaded;
  } catch (e) {
    loaded = null;
    throw e;
  }
  if (options.threads !== undefined && backend.numThreads() !== options.threads) backend.setNumThreads(options.threads);
  registerBackend(backend);
  if (options.activate ?? true) setBackend('wasm');
  await backend.threadsReady();
  return backend;
}
