/**
 * `ParameterDict.save` / `load` (Gluon's `params.save(file)` / `params.load(file, ...)`): a
 * dict's parameters to and from a safetensors file keyed by the dict's keys (structural paths for
 * `net.collectParams()`, local names for a dict built with `get`). Loading is all or nothing and
 * fills unknown shapes from the file, exactly as `net.loadParameters` (serialization.ts), with the
 * same options: `allowMissing`, `ignoreExtra`, `rename`, and the dtype rules, including Gluon's
 * `castDType` and `dtypeSource`.
 *
 * The methods are installed on `ParameterDict.prototype` here (with a `declare module`
 * augmentation), as serialization.ts installs the Block methods.
 */
import { inFile, readFileBytes, writeFileBytes } from '../io/file.js';
import { ParameterDict } from './parameter-dict.js';
import { encodeParameters, loadBytesInto, type LoadParametersOptions, type LoadReport, type LoadTarget, type SaveParametersOptions } from './serialization.js';

declare module './parameter-dict.js' {
  interface ParameterDict {
    /**
     * Saves every parameter to a safetensors file keyed by this dict's keys.
     * @example net.collectParams().save('mlp.safetensors')
     */
    save(path: string, options?: SaveParametersOptions): void;
    /**
     * Loads a file written by `save` (or `saveParameters`) into these parameters, all or nothing.
     * @example params.load('mlp.safetensors', { castDType: true, dtypeSource: 'saved' })
     */
    load(path: string, options?: LoadParametersOptions): LoadReport;
    /** The bytes `save` would write. */
    saveBytes(options?: SaveParametersOptions): Uint8Array;
    /** `load` from bytes in memory. */
    loadBytes(bytes: Uint8Array | ArrayBuffer, options?: LoadParametersOptions): LoadReport;
  }
}

function target(dict: ParameterDict): LoadTarget {
  const entries = dict.entries();
  return { where: 'ParameterDict.load', canonical: entries, byPath: new Map(entries) };
}

const methods = {
  saveBytes(this: ParameterDict, options?: SaveParametersOptions): Uint8Array {
    return encodeParameters(this, 'ParameterDict.save', options);
  },
  save(this: ParameterDict, path: string, options?: SaveParametersOptions): void {
    writeFileBytes(path, encodeParameters(this, 'ParameterDict.save', options), 'ParameterDict.save');
  },
  loadBytes(this: ParameterDict, bytes: Uint8Array | ArrayBuffer, options?: LoadParametersOptions): LoadReport {
    return loadBytesInto(target(this), bytes, options);
  },
  load(this: ParameterDict, path: string, options?: LoadParametersOptions): LoadReport {
    const bytes = readFileBytes(path, 'ParameterDict.load');
    return inFile(path, () => loadBytesInto(target(this), bytes, options));
  },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(ParameterDict.prototype, name, { value: fn, writable: true, configurable: true });
}
