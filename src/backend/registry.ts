/**
 * The one place that knows which backend runs the kernels. Backends register themselves; the
 * active one is chosen by `setBackend(name)` or the `TSGLUON_BACKEND` environment variable, and
 * defaults to the fastest that loaded.
 */
import { BackendError } from '../core/errors.js';
import type { KernelTable } from './kernels.js';

export interface Backend {
  readonly name: string;
  readonly kernels: KernelTable;
  /** Threads the backend's kernels may use (1 for single-threaded backends). */
  numThreads(): number;
  setNumThreads?(n: number): void;
}

const backends = new Map<string, Backend>();
let active: Backend | null = null;
let preferred: string | null = null;

/** Registers a backend; the first registered with priority becomes the default. */
export function registerBackend(backend: Backend, options: { makeDefault?: boolean } = {}): void {
  backends.set(backend.name, backend);
  if (preferred === null && options.makeDefault) active = backend;
  if (active === null) active = backend;
  if (preferred === backend.name) active = backend;
}

/** The backend kernels currently dispatch to. */
export function getBackend(): Backend {
  if (active === null) throw new BackendError('no backend is registered; import tsgluon from its index');
  return active;
}

/** Selects a registered backend by name ('ref', 'native'). */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) {
    throw new BackendError(
      `setBackend: no backend named '${name}' is available; available: ${[...backends.keys()].join(', ')}`,
    );
  }
  preferred = name;
  active = b;
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

/** Runs `fn` with the named backend active, restoring the previous one afterwards. */
export function withBackend<T>(name: string, fn: () => T): T {
  const prev = active;
  setBackend(name);
  try {
    return fn();
  } finally {
    active = prev;
  }
}
