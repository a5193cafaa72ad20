/**
 * `nd.saveBytes` / `nd.loadBytes`: dictionaries (or lists) of NDArrays as safetensors bytes in
 * memory, for browsers and for sending models over a network. `nd.save` / `nd.load` in `file.ts`
 * are the same with a path.
 *
 * A list is stored under the keys "0", "1", ... with `"tsgluon_container": "list"` in the
 * metadata. Loading always returns a dictionary; JavaScript orders integer-like keys numerically,
 * so `Object.values(nd.loadBytes(bytes))` gives a saved list back in order.
 */
import { FormatError, ValueError } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { LIBRARY_METADATA, decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Options of `nd.save` / `nd.saveBytes`. */
export interface SaveArraysOptions {
  /** Extra string metadata stored in the file's `__metadata__` (next to the library version). */
  metadata?: Readonly<Record<string, string>>;
}

/** A list as "0", "1", ... keys, or the dictionary itself. */
export function namedArrays(arrays: Readonly<Record<string, NDArray>> | readonly NDArray[]): {
  entries: [string, NDArray][];
  isList: boolean;
} {
  if (Array.isArray(arrays)) return { entries: arrays.map((a, i) => [String(i), a]), isList: true };
  if (arrays === null || typeof arrays !== 'object' || arrays instanceof NDArray) {
    throw new ValueError(`save: expected a dictionary or a list of NDArrays, got ${arrays instanceof NDArray ? 'a single NDArray (wrap it: {x})' : typeof arrays}`);
  }
  return { entries: Object.entries(arrays), isList: false };
}

/**
 * Encodes NDArrays as safetensors bytes. Bitwise exact for every dtype.
 * @example const bytes = nd.saveBytes({ w: nd.ones([2, 3]) })
 */
export function saveBytes(arrays: Readonly<Record<string, NDArray>> | readonly NDArray[], options: SaveArraysOptions = {}): Uint8Array {
  const { entries, isList } = namedArrays(arrays);
  const metadata: Record<string, string> = { ...options.metadata, ...LIBRARY_METADATA };
  if (isList) metadata['tsgluon_container'] = 'list';
  return encodeSafetensors(entries, metadata);
}

/**
 * Decodes safetensors bytes (from tsgluon, PyTorch, or any other writer) into a dictionary of
 * NDArrays. Throws a SafetensorsError (a FormatError) on any malformed input.
 * @example const { w } = nd.loadBytes(bytes)
 */
export function loadBytes(bytes: Uint8Array | ArrayBuffer): Record<string, NDArray> {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new FormatError(`loadBytes: expects the bytes of a file as a Uint8Array or ArrayBuffer, got ${bytes === null ? 'null' : typeof bytes}; use nd.load(path) for a file`);
  }
  return decodeSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).tensors;
}
