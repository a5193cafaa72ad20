/**
 * Registers the available backends. The reference backend is always there; faster ones register
 * themselves here when they load.
 */
import { refBackend } from './ref/index.js';
import { registerBackend } from './registry.js';

registerBackend(refBackend);

export { getBackend, setBackend, listBackends, withBackend, registerBackend, type Backend } from './registry.js';
export type { KernelTable } from './kernels.js';
