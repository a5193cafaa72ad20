/**
 * A registry entry that loads its backend on first use, so registering the wasm backend costs
 * nothing until someone selects it (compiling the module and starting workers happen then).
 */
import type { Backend } from '../registry.js';

/** A Backend whose kernels and threads come from `load()`, called once, on first access. */
export function lazyBackend(name: string, load: () => Backend): Backend {
  let loaded: Backend | null = null;
  const get = (): Backend => (loaded ??= load());
  return {
    name,
    get kernels() {
      return get().kernels;
    },
    numThreads: () => get().numThreads(),
    setNumThreads: (n: number) => {
      const b = get();
      if (b.setNumThreads === undefined) throw new RangeError(`setNumThreads: the ${name} backend has a fixed thread count`);
      b.setNumThreads(n);
    },
  };
}
