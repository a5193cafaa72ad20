/**
 * Attaches op functions to `NDArray.prototype` so `x.add(y)` calls `add(x, y)`. Each op family
 * declares its methods on the NDArray interface (declaration merging) and installs them here.
 */
import { NDArray } from '../ndarray/ndarray.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OpFn = (x: NDArray, ...rest: any[]) => unknown;

export function installMethods(methods: Record<string, OpFn>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(NDArray.prototype, name, {
      value: function (this: NDArray, ...rest: unknown[]) {
        return fn(this, ...rest);
      },
      writable: true,
      configurable: true,
    });
  }
}
