// Shared helpers for the gluon tests: a recording initializer, warning capture, and a backend
// that counts kernel calls (to prove shape inference computes nothing).
import { backend, gluon, init, nd } from '../../src/index.js';

/** Records (name, shape) for each weight it initializes, and fills it with `value`. */
export class RecordingInit extends init.Initializer {
  readonly calls: [string, number[]][] = [];
  constructor(readonly value = 0.5) {
    super();
  }
  protected override initWeight(name: string, data: nd.NDArray): void {
    this.calls.push([name, [...data.shape]]);
    data.storage.fill(this.value);
  }
}

/** Runs `fn` collecting the warnings it emits. */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  const prev = gluon.setWarningHandler((m) => warnings.push(m));
  try {
    return { result: fn(), warnings };
  } finally {
    gluon.setWarningHandler(prev);
  }
}

let kernelCalls = 0;

function counting<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const v = Reflect.get(obj, key, receiver) as unknown;
      if (typeof v === 'function') {
        return (...args: unknown[]) => {
          kernelCalls++;
          return (v as (...a: unknown[]) => unknown).apply(obj, args);
        };
      }
      if (v !== null && typeof v === 'object') return counting(v as object);
      return v;
    },
  });
}

const base = backend.getBackend();
backend.registerBackend({ name: 'counting', kernels: counting(base.kernels), numThreads: () => 1 });

/** Runs `fn` on a backend that counts kernel calls; returns the count. */
export function countKernels(fn: () => void): number {
  kernelCalls = 0;
  backend.withBackend('counting', fn);
  return kernelCalls;
}

/** A copy of a parameter's values. */
export function values(p: gluon.Parameter): number[] {
  return Array.from(p.data().storage);
}
