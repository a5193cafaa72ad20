/**
 * The guard of every in-place write (`assign`, `fill`, `setSlice`, and the collectives of
 * `dist` that overwrite arrays): writing into an array that a recorded graph still needs would
 * silently corrupt its gradients. Kept apart from inplace.ts so `nd` does not re-export it.
 */
import { AutogradError, fmtShape } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { isRecording } from '../autograd/state.js';
import { viewBase } from './define.js';

/** Throws when writing into `x` in place would corrupt a recorded graph (`op` names the caller). */
export function checkWritable(op: string, x: NDArray, viaView = false): void {
  // A view (reshape) writes into its base's memory: the base must be writable too.
  const base = viewBase(x);
  if (base !== null) checkWritable(op, base, true);
  const subject = viaView
    ? `this array is a view (reshape) sharing memory with a ${fmtShape(x.shape)} array that`
    : `this ${fmtShape(x.shape)} array`;
  // Backward marks the nodes it has consumed 'freed' (without retainGraph); those need no values.
  if (x._node !== null && x._node.op !== 'freed') {
    throw new AutogradError(
      `${op}: ${subject} was produced by the recorded op '${x._node.op}' and its backward has not run yet; ` +
        `writing into it would corrupt the gradients. Write into a copy (nd.array(x)), or compute it inside autograd.pause(() => ...)`,
    );
  }
  if (isRecording() && x._gradReq !== 'null') {
    throw new AutogradError(
      `${op}: cannot write in place while autograd.record() is active: ${subject} has an attached gradient; ` +
        `do the update outside record(), or wrap it in autograd.pause(() => ...) (as optimizers do), or write into x.detach()`,
    );
  }
}
