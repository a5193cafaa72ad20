/**
 * The native CPU backend: C++ kernels through Node-API (native/src), with the instruction set
 * chosen at load time (AVX-512, AVX2+FMA or generic) and a persistent thread pool sized to the
 * machine (`TSGLUON_NUM_THREADS` or `setNumThreads(n)` override it).
 *
 * @example
 * ```ts
 * import { backend } from 'tsgluon';
 * backend.setBackend('native');
 * backend.getBackend().setNumThreads?.(1);
 * ```
 */
import { BackendError, ValueError, fmtValue } from '../../core/errors.js';
import type { Backend } from '../registry.js';
import { tuneGc } from './gc-tuning.js';
import { nativeKernels } from './kernels.js';
import { loadAddon, type NativeAddon } from './loader.js';

export type { NativeAddon } from './loader.js';

/** The native backend plus its addon, or why it could not load. */
export type NativeLoad = { backend: Backend; addon: NativeAddon; error: null } | { backend: null; addon: null; error: string };

let cached: NativeLoad | null = null;

/** The most threads a pool may have (kMaxThreads in native/src/runtime.h). */
const MAX_THREADS = 1024;

/** Loads the addon once and builds the backend over it. */
export function loadNativeBackend(): NativeLoad {
  if (cached !== null) return cached;
  const r = loadAddon();
  if (r.addon === null) {
    cached = { backend: null, addon: null, error: r.error };
    return cached;
  }
  // Its kernels make op outputs fast enough for V8's default sweeping to fall behind (gc-tuning.ts).
  tuneGc();
  cached = { backend: nativeBackend(r.addon), addon: r.addon, error: null };
  return cached;
}

/** @internal The backend over a loaded addon (exported so that tests can hand it a stand-in addon). */
export function nativeBackend(addon: NativeAddon): Backend {
  return {
    name: 'native',
    kernels: nativeKernels(addon),
    numThreads: () => addon.numThreads(),
    setNumThreads: (n: number) => {
      if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new ValueError(`setNumThreads: expected an integer in [1, ${MAX_THREADS}], got ${fmtValue(n)}`);
      const refused = addon.setNumThreads(n);
      if (refused !== '') {
        throw new BackendError(`setNumThreads: the system refused to start ${n} threads (${refused}); the previous pool of ${addon.numThreads()} thread(s) stays in service`);
      }
    },
  };
}
