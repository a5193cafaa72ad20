/**
 * `nd.saveBytes` / `nd.loadBytes`: dictionaries (or lists) of NDArrays as safetensors bytes in
 * memory, for browsers and for sending models over a network. `nd.save` / `nd.load` in `file.ts`
 * are the same with a path.
 *
 * A list is stored under the keys "0", "1", ... with `"tsgluon_container": "list"` in the
 * metadata. Loading always returns a dictionary; JavaScript orders integer-like keys numerically,
 * so `Object.values(nd.loadBytes(bytes))` gives a saved list back in order.
 */
import { FormatError, ValueError, fmtValue } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { LIBRARY_METADATA, decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { publicOp } from '../core/public.js';

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
    throw new ValueError(`expected a dictionary or a list of NDArrays, got ${arrays instanceof NDArray ? 'a single NDArray (wrap it: {x})' : fmtValue(arrays)}`);
  }
  return { entries: Object.entries(arrays), isList: false };
}

/** @internal `saveBytes` without its public name, for `save`. */
export function encodeArrays(arrays: Readonly<Record<string, NDArray>> | readonly NDArray[], options: SaveArraysOptions): Uint8Array {
  const { entries, isList } = namedArrays(arrays);
  const extra = options.metadata ?? {};
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra) || Object.values(extra).some((v) => typeof v !== 'string')) {
    throw new ValueError(`metadata must be a dictionary of strings, got ${fmtValue(extra)}`);
  }
  const metadata: Record<string, string> = { ...extra, ...LIBRARY_METADATA };
  if (isList) metadata['tsgluon_container'] = 'list';
  return encodeSafetensors(entries, metadata);
}

/** @internal `loadBytes` without its public name, for `load`. */
export function decodeArrays(bytes: Uint8Array | ArrayBuffer): Record<string, NDArray> {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new FormatError(`expects the bytes of a file as a Uint8Array or ArrayBuffer, got ${fmtValue(bytes)}; use nd.load(path) for a file`);
  }
  return decodeSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).tensors;
}

/**
 * Encodes NDArrays as safetensors bytes. Bitwise exact for every dtype.
 * @example const bytes = nd.saveBytes({ w: nd.ones([2, 3]) })
 */
export const saveBytes = publicOp('saveBytes', function saveBytes(arrays: Readonly<Record<string, NDArray>> | readonly NDArray[], options: SaveArraysOptions = {}): Uint8Array {
  return encodeArrays(arrays, options);
}, 1);

/**
 * Decodes safetensors bytes (from tsgluon, PyTorch, or any other writer) into a dictionary of
 * NDArrays. Throws a SafetensorsError (a FormatError) on any malformed input.
 * @example const { w } = nd.loadBytes(bytes)
 */
export const loadBytes = publicOp('loadBytes', function loadBytes(bytes: Uint8Array | ArrayBuffer): Record<string, NDArray> {
  return decodeArrays(bytes);
});
