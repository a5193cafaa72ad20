/**
 * The checks of the options every block constructor takes, made before the block exists: a
 * JavaScript caller may pass null, a string, a prefix that is not a string, or an initializer
 * name with a typo, which used to fail later with a TypeError or while initializing. Errors name
 * the layer class the user constructed.
 */
import { ValueError, fmtValue } from '../core/errors.js';
import { checkOptions, relabel } from '../core/public.js';
import { create as createInit, type InitLike } from '../init/builtins.js';
import { ParameterDict } from './parameter-dict.js';

/** The options every block takes (see `BlockOptions` in block.ts). */
interface CommonOptions {
  readonly prefix?: unknown;
  readonly params?: unknown;
}

/**
 * Block options from a JavaScript caller: an object, a string prefix, a ParameterDict to share,
 * and initializers (`weightInitializer`, `biasInitializer`...) that resolve.
 * @example checkBlockOptions(new.target.name, options);
 */
export function checkBlockOptions(cls: string, options: CommonOptions): void {
  checkOptions(cls, options);
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw new ValueError(`${cls}: prefix must be a string such as 'encoder_', got ${fmtValue(options.prefix)}`);
  if (options.params != null && !(options.params instanceof ParameterDict)) {
    throw new ValueError(`${cls}: params must be a ParameterDict to share (another block's .params), got ${fmtValue(options.params)}`);
  }
  // Layers take their initializers as `...Initializer` options: checked here, once, for all.
  for (const [key, value] of Object.entries(options)) {
    if (!key.endsWith('Initializer') || value === null || value === undefined) continue;
    try {
      createInit(value as InitLike);
    } catch (e) {
      throw relabel(relabel(e, key), cls);
    }
  }
}
