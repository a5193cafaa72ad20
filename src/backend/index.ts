/**
 * Registers the available backends. The reference backend is always there; the native backend
 * registers when its addon loaded and then becomes the default. `TSGLUON_BACKEND=ref|native`
 * selects one at start-up, `backend.setBackend(name)` at run time. When native is unavailable a
 * single notice goes to stderr (not when ref was asked for explicitly).
 */
import { refBackend } from './ref/index.js';
import { listBackends, registerBackend, setBackend } from './registry.js';
import { loadNativeBackend } from './native/index.js';

registerBackend(refBackend);

const wanted = process.env['TSGLUON_BACKEND'];
const native = loadNativeBackend();
if (native.backend !== null) registerBackend(native.backend, { makeDefault: true });
else if (wanted !== 'ref') process.stderr.write(`tsgluon: native backend unavailable, using the reference backend: ${native.error}\n`);

if (wanted !== undefined && wanted !== '') {
  if (listBackends().includes(wanted)) setBackend(wanted);
  else process.stderr.write(`tsgluon: TSGLUON_BACKEND=${wanted} is not available (have: ${listBackends().join(', ')}); ignoring it\n`);
}

export { getBackend, setBackend, listBackends, withBackend, registerBackend, type Backend } from './registry.js';
export type { KernelTable } from './kernels.js';
