/**
 * Registers the available backends. The reference backend is always there. In Node the native
 * backend registers when its addon loaded and then becomes the default, and the WebAssembly
 * backend registers (loaded on first use) when it is built; `TSGLUON_BACKEND=ref|native|wasm`
 * selects one at start-up, `backend.setBackend(name)` at run time. When native is unavailable a
 * single notice goes to stderr (not when ref was asked for explicitly). In a browser the wasm
 * backend arrives with `await backend.loadWasm()`.
 */
import { refBackend } from './ref/index.js';
import { listBackends, registerBackend, setBackend } from './registry.js';
import { loadNativeBackend } from './native/index.js';
import { lazyBackend } from './wasm/lazy.js';
import { loadWasmBackendSync, wasmBuilt } from './wasm/node.js';
import { BackendError } from '../core/errors.js';
import { env, isNode, notice } from '../core/platform.js';

registerBackend(refBackend);

if (isNode()) {
  const wanted = env('TSGLUON_BACKEND');
  const native = loadNativeBackend();
  if (native.backend !== null) registerBackend(native.backend, { makeDefault: true });
  else if (wanted !== 'ref') notice(`tsgluon: native backend unavailable, using the reference backend: ${native.error}`);
  if (wasmBuilt()) {
    registerBackend(lazyBackend('wasm', () => {
      const r = loadWasmBackendSync();
      if (r.backend === null) throw new BackendError(`the wasm backend failed to load: ${r.error}`);
      return r.backend;
    }));
  }
  if (wanted !== undefined && wanted !== '') {
    if (listBackends().includes(wanted)) setBackend(wanted);
    else notice(`tsgluon: TSGLUON_BACKEND=${wanted} is not available (have: ${listBackends().join(', ')}); ignoring it`);
  }
}

export { getBackend, setBackend, listBackends, withBackend, registerBackend, type Backend } from './registry.js';
export type { KernelTable } from './kernels.js';
export { loadWasm, type LoadWasmAndUseOptions, type WasmBackend, type WasmVariant } from './wasm/index.js';
