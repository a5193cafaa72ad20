/**
 * The WebAssembly backend: the native kernels compiled to wasm32 (scripts/build-wasm.mjs), run
 * through the native backend's own kernel wrappers over `wasmAddon`. Platform code (node.ts,
 * browser.ts) finds the bytes and starts workers; this file instantiates the module, chooses
 * nothing platform-specific, and manages the worker pool.
 *
 * Four builds exist: SIMD128 or relaxed SIMD (fused multiply-add, where the engine validates it),
 * each for one thread (a plain memory) or for threads (a shared memory, which browsers allow only
 * on cross-origin isolated pages). Threads run as workers that instantiate the same module over
 * the same memory, each with its own stack and thread-local block, and wait for jobs inside
 * the module. Results are bitwise identical for any number of threads.
 */
import { BackendError, ValueError } from '../../core/errors.js';
import type { Backend } from '../registry.js';
import { nativeKernels } from '../native/kernels.js';
import { wasmAddon, type WasmAddon, type WasmExports } from './addon.js';

/** Which build runs: relaxed SIMD or plain SIMD128, shared memory (threads) or not. */
export interface WasmVariant {
  readonly relaxed: boolean;
  readonly threads: boolean;
}

/** The file name of a build, in the package's wasm/ folder. */
export function variantFile(v: WasmVariant): string {
  return `tsgluon-${v.relaxed ? 'relaxed' : 'simd128'}${v.threads ? '-threads' : ''}.wasm`;
}

/** What a worker needs to join the pool (WORKER_SOURCE receives it). */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  index: number;
  stackTop: number;
  tls: number;
}

/** Starts one worker running WORKER_SOURCE's `start(data)`; `ready` is called once it joined. */
export type SpawnWorker = (data: WorkerStart, ready: () => void, failed: (e: unknown) => void) => void;

/**
 * The body of a pool worker, the same text for Web Workers and Node worker threads: instantiate
 * the module over the shared memory, take an own stack and thread-local block, then serve jobs
 * inside `tsg_worker` for good. It reports readiness first, since `tsg_worker` never returns.
 */
export const WORKER_SOURCE = `function start(data, ready) {
  const { exports } = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  exports.__stack_pointer.value = data.stackTop;
  exports.__wasm_init_tls(data.tls);
  ready();
  exports.tsg_worker(data.index);
}`;

/** The wasm backend: a Backend plus what only it has. */
export interface WasmBackend extends Backend {
  setNumThreads(n: number): void;
  readonly variant: WasmVariant;
  readonly addon: WasmAddon;
  /** Resolves once every worker the current thread count needs is serving jobs. */
  threadsReady(): Promise<void>;
  /**
   * @internal Tasks of parallel jobs each thread has run so far (index 0: the calling thread), so
   * a benchmark can show how many threads really shared its work; [] for the one-thread builds.
   */
  poolTasks(): number[];
  /** @internal The linear memory and its allocator (for measurements of in-place storage). */
  readonly linear: { readonly memory: WebAssembly.Memory; alloc(bytes: number): number; free(ptr: number): void };
}

const STACK_BYTES = 1 << 20;

/** The memory a build imports: shared (growable to 4 GiB) for the threaded builds. */
export function wasmMemory(variant: WasmVariant): WebAssembly.Memory {
  return variant.threads
    ? new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial: 64 });
}

/** What a build is instantiated with. */
export const wasmImports = (memory: WebAssembly.Memory): WebAssembly.Imports => ({ env: { memory } });

/**
 * Wraps an instance of a build (over `memory`, from `wasmMemory`) as a backend. `threads` is the
 * starting thread count (1 for the single-thread builds); `spawn` starts workers.
 */
export function createWasmBackend(
  module: WebAssembly.Module,
  instance: WebAssembly.Instance,
  memory: WebAssembly.Memory,
  variant: WasmVariant,
  options: { threads: number; spawn: SpawnWorker | null },
): WasmBackend {
  const exports = instance.exports as unknown as WasmExports;
  const workers: Promise<void>[] = [];

  /** Starts workers until `helpers` exist (they take jobs once the count allows them). */
  function ensureWorkers(helpers: number): void {
    if (!variant.threads || options.spawn === null) return;
    while (workers.length < helpers) {
      const index = workers.length + 1;
      const stack = exports.tsg_alloc(STACK_BYTES) >>> 0;
      const tlsSize = Number(exports.__tls_size!.value);
      const tls = exports.tsg_alloc(Math.max(tlsSize, 16)) >>> 0;
      if (stack === 0 || tls === 0) throw new BackendError('wasm backend: out of memory starting a worker');
      const spawn = options.spawn;
      workers.push(
        new Promise<void>((ready, failed) => spawn({ module, memory, index, stackTop: stack + STACK_BYTES, tls }, ready, failed)),
      );
    }
  }

  let wanted = 1;
  let started = false;
  const addon = wasmAddon(exports, memory, () => {
    if (!started) {
      started = true;
      ensureWorkers(wanted - 1);
    }
  });

  function setNumThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 1024) throw new ValueError(`setNumThreads: expected an integer in [1, 1024], got ${n}`);
    if (n > 1 && !variant.threads) {
      throw new BackendError(
        `setNumThreads(${n}): the wasm backend runs on one thread here, because shared WebAssembly memory is unavailable; ` +
          'a browser page needs cross-origin isolation (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
      );
    }
    if (n > 256) throw new ValueError(`setNumThreads: the wasm backend runs at most 256 threads, got ${n}`);
    wanted = n;
    addon.setNumThreads(n);
    if (started) ensureWorkers(n - 1);
  }
  setNumThreads(variant.threads ? Math.max(1, options.threads) : 1);

  return {
    name: 'wasm',
    kernels: nativeKernels(addon),
    variant,
    addon,
    numThreads: () => addon.numThreads(),
    setNumThreads,
    poolTasks: () => {
      const tasks = exports.tsg_pool_tasks;
      return tasks === undefined ? [] : Array.from({ length: workers.length + 1 }, (_, i) => tasks(i) >>> 0);
    },
    linear: { memory, alloc: (bytes) => exports.tsg_alloc(bytes) >>> 0, free: (ptr) => exports.tsg_free(ptr) },
    threadsReady: async () => {
      started = true;
      ensureWorkers(wanted - 1);
      await Promise.all(workers.slice(0, wanted - 1));
    },
  };
}

// A module using f32x4.relaxed_madd: () -> v128 { relaxed_madd(0, 0, 0) }.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00,
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]),
  0xfd, 0x85, 0x02, 0x0b,
]);

/** Whether this engine runs relaxed SIMD (Chrome 114+, Node 22+; Node 20 only with a flag). */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** Whether shared WebAssembly memory works here (browsers: only on cross-origin isolated pages). */
export function hasSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
