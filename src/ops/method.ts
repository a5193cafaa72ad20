/**
 * Attaches op functions to `NDArray.prototype` so `x.add(y)` calls `add(x, y)`. Each op family
 * declares its methods on the NDArray interface (declaration merging) and installs them here.
 */
import { NDArray } from '../ndarray/ndarray.js';

/**
 * An op whose first argument is the array. `never[]` accepts any parameter list for the rest
 * (parameters are contravariant), so each family passes its typed functions without `any`.
 */
type OpFn = (x: NDArray, ...rest: never[]) => unknown;

/**
 * @internal Installs each op as a method of the same name; the argument list is forwarded as
 * given, so the types come from the family's `declare module` block.
 * @example installMethods({ exp }); // x.exp() === exp(x)
 */
export function installMethods(methods: Record<string, OpFn>): void {
  for (const [name, fn] of Object.entries(methods)) {
    const call = fn as (x: NDArray, ...rest: unknown[]) => unknown;
    Object.defineProperty(NDArray.prototype, name, {
      value: function (this: NDArray, ...rest: unknown[]) {
        return call(this, ...rest);
      },
      writable: true,
      configurable: true,
    });
  }
}
