/**
 * Saving and loading a network's parameters: `net.saveParameters(path)`,
 * `net.loadParameters(path, options)` and the in-memory `saveParametersBytes()` /
 * `loadParametersBytes(bytes)`, in the safetensors format, keyed by structural path (`0.weight`,
 * the keys of `collectParams()`), with the library version in the file's metadata.
 *
 * Loading is transactional: the file is decoded and validated, every key, shape and dtype is
 * checked against the network, and only then is anything written; on any error the network is
 * exactly as before. Loading into a network whose shapes are still unknown (never initialized, or
 * pending after `initialize()`) takes every unknown dimension from the file: no `initialize()` and
 * no forward is needed, and `data()` works at once.
 *
 * A parameter shared by several blocks (the same Parameter object at two paths) is written once,
 * under its first path in `collectParams()` order; loading sets that one object, so the tie holds.
 * A file that (like one written from an unshared copy) also holds the other paths is accepted when
 * the copies are identical.
 *
 * The methods are installed on `Block.prototype` here (with a `declare module` augmentation), the
 * same way op families attach methods to NDArray.
 */
import { isFloat, type DType } from '../core/dtype.js';
import { DTypeError, DeferredInitializationError, ShapeError, UninitializedParameterError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkDType } from '../ndarray/creation.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { inFile, readFileBytes, writeFileBytes } from '../io/file.js';
import { publicOp } from '../core/public.js';
import { LIBRARY_METADATA, decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { bytesFrom, type ByteSource } from '../io/sources.js';
import { Block } from './block.js';
import type { Parameter } from './parameter.js';
import type { ParameterDict } from './parameter-dict.js';
import { Constant } from './constant.js';

/** Options of `net.saveParameters(path, options)`. */
export interface SaveParametersOptions {
  /** Extra strings for the file's `__metadata__` (next to the library version). */
  metadata?: Readonly<Record<string, string>>;
}

/** Options of `net.loadParameters(path, options)`. */
export interface LoadParametersOptions {
  /** Leave parameters that the file does not hold as they are (default false: an error). */
  allowMissing?: boolean;
  /** Skip tensors of the file that match no parameter (default false: an error). */
  ignoreExtra?: boolean;
  /**
   * Which dtype each loaded parameter ends with: 'current' (default) keeps the parameter's dtype
   * and converts the file's values into it (float into an integer parameter is refused); 'saved'
   * takes the file's dtype; a dtype casts every loaded parameter to it.
   */
  dtype?: 'current' | 'saved' | DType;
  /**
   * Gluon's `cast_dtype`: true converts as `dtypeSource` says; false refuses a file whose dtypes
   * differ from the parameters'. Omitted: `dtype` decides (by default converting to 'current').
   */
  castDType?: boolean;
  /** Gluon's `dtype_source` with `castDType: true`: 'current' (default) or 'saved'. */
  dtypeSource?: 'current' | 'saved';
  /**
   * Maps a key of the file to the parameter path it loads into, or null to skip the tensor (for
   * files from other libraries, e.g. PyTorch). Default: keys are parameter paths.
   * @example { rename: (k) => k.replace(/^2\./, '1.') }
   */
  rename?: (fileKey: string) => string | null;
}

/** What a load did, by parameter path (file keys for `ignored`). */
export interface LoadReport {
  readonly loaded: readonly string[];
  /** Parameters the file did not hold (only with allowMissing). */
  readonly missing: readonly string[];
  /** File tensors that matched no parameter (only with ignoreExtra) or that rename skipped. */
  readonly ignored: readonly string[];
}

/** Missing and unexpected keys, reported together. */
export class ParameterKeyError extends ValueError {
  constructor(
    message: string,
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
  ) {
    super(message);
  }
}

declare module './block.js' {
  interface Block {
    /**
     * Saves every parameter to a safetensors file, keyed by structural path.
     * @example net.saveParameters('mlp.safetensors')
     */
    saveParameters(path: string, options?: SaveParametersOptions): void;
    /** The bytes `saveParameters` would write (for browsers, or to send over a network). */
    saveParametersBytes(options?: SaveParametersOptions): Uint8Array;
    /**
     * Loads parameters saved by `saveParameters` (or any safetensors file with matching keys).
     * Works on a never-initialized or pending network: shapes come from the file.
     * @example
     * const net = new nn.Sequential().add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
     * net.loadParameters('mlp.safetensors');   // no initialize() needed
     */
    loadParameters(path: string, options?: LoadParametersOptions): LoadReport;
    /** `loadParameters` from bytes in memory. */
    loadParametersBytes(bytes: Uint8Array | ArrayBuffer, options?: LoadParametersOptions): LoadReport;
    /** The bytes of `saveParametersBytes` as a Blob, e.g. for a download link in a browser. */
    saveParametersBlob(options?: SaveParametersOptions): Blob;
    /**
     * `loadParametersBytes` from a fetch Response, a Blob or File, or bytes: loading in a browser.
     * @example await net.loadParametersFrom(await fetch('mlp.safetensors'));
     */
    loadParametersFrom(source: ByteSource, options?: LoadParametersOptions): Promise<LoadReport>;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Every path at which each parameter is reachable (a shared one has several), first path first. */
function pathsByParam(net: Block): Map<string, Parameter> {
  const byPath = new Map<string, Parameter>();
  const onPath = new Set<Block>();
  const go = (b: Block, path: string): void => {
    if (onPath.has(b)) return; // a cycle; every finite path is reached anyway
    onPath.add(b);
    for (const [key, p] of b.params) if (!byPath.has(join(path, key))) byPath.set(join(path, key), p);
    for (const [key, child] of b.namedChildren()) go(child, join(path, key));
    onPath.delete(b);
  };
  go(net, '');
  return byPath;
}

/**
 * @internal The safetensors bytes of `dict`'s parameters, keyed by its keys; `where` names the
 * call for messages. Nothing is produced while a parameter is pending or was never initialized.
 */
export function encodeParameters(dict: ParameterDict, where: string, options: SaveParametersOptions = {}): Uint8Array {
  const entries = dict.entries();
  const report = dict.pendingParams();
  if (report.params.length > 0) {
    throw new DeferredInitializationError(`${where}: nothing was written. ${report.message}`);
  }
  const declared = entries.filter(([, p]) => p.state === 'declared').map(([path, p]) => `${path} (${p.name})`);
  if (declared.length > 0) {
    throw new UninitializedParameterError(
      `${where}: nothing was written; ${declared.length} parameter${declared.length === 1 ? ' has' : 's have'} never been initialized: ` +
        `${declared.join(', ')}. Call net.initialize() (and run a forward or net.inferShape(...) if shapes are unknown), or loadParameters first.`,
    );
  }
  const arrays: [string, NDArray][] = entries.map(([path, p]) => [path, p.data()]);
  return encodeSafetensors(arrays, { ...options.metadata, ...LIBRARY_METADATA, tsgluon_content: 'parameters' });
}

function saveBytes(net: Block, options: SaveParametersOptions = {}): Uint8Array {
  return encodeParameters(net.collectParams(), `${net.name}.saveParameters`, options);
}

/** Bitwise equality of two arrays' values (NaN payloads included). */
function sameBits(a: NDArray, b: NDArray): boolean {
  if (a.dtype !== b.dtype || a.size !== b.size || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = new Uint8Array(a._raw.buffer, a._raw.byteOffset, a._raw.byteLength);
  const y = new Uint8Array(b._raw.buffer, b._raw.byteOffset, b._raw.byteLength);
  return x.every((v, i) => v === y[i]);
}

function keyHint(missing: readonly string[], unexpected: readonly string[]): string {
  for (const m of missing) {
    const u = unexpected.find((k) => k.endsWith(`.${m}`));
    if (u !== undefined) {
      const prefix = u.slice(0, u.length - m.length);
      return ` The file's keys look prefixed with '${prefix}': pass rename: (k) => k.startsWith('${prefix}') ? k.slice(${prefix.length}) : null.`;
    }
  }
  return '';
}

function list(keys: readonly string[]): string {
  return keys.length <= 12 ? keys.join(', ') : `${keys.slice(0, 12).join(', ')} and ${keys.length - 12} more`;
}

interface Planned {
  readonly path: string;
  readonly param: Parameter;
  readonly value: NDArray;
  readonly dtype: DType;
}

/** The `dtype` mode that `dtype`, `castDType` and `dtypeSource` ask for together ('strict': no conversion). */
function dtypeModeOf(where: string, options: LoadParametersOptions): 'current' | 'saved' | 'strict' | DType {
  const { castDType, dtypeSource, dtype } = options;
  if (castDType !== undefined && dtype !== undefined) throw new ValueError(`${where}: give either dtype or castDType (Gluon's cast_dtype), not both`);
  if (dtypeSource !== undefined && dtypeSource !== 'current' && dtypeSource !== 'saved') {
    throw new ValueError(`${where}: dtypeSource must be 'current' or 'saved', got ${JSON.stringify(dtypeSource)}`);
  }
  if (castDType === false) return 'strict';
  if (castDType === true) return dtypeSource ?? 'current';
  const mode = dtype ?? 'current';
  if (mode !== 'current' && mode !== 'saved') checkDType(mode, where);
  return mode;
}

/** What a load reads and where: the parameters by canonical key, every key each is reachable at, and the caller's name. */
export interface LoadTarget {
  readonly where: string;
  readonly canonical: readonly [string, Parameter][];
  readonly byPath: ReadonlyMap<string, Parameter>;
}

/** Checks everything and returns what to write; throws (changing nothing) on any problem. */
function plan(target: LoadTarget, tensors: Record<string, NDArray>, options: LoadParametersOptions): { planned: Planned[]; report: LoadReport } {
  const { allowMissing = false, ignoreExtra = false, rename } = options;
  const { where, canonical, byPath } = target;
  const dtypeMode = dtypeModeOf(where, options);
  const pathOf = new Map<Parameter, string>(canonical.map(([path, p]) => [p, path]));
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const found = new Map<Parameter, { key: string; value: NDArray }>();
  const renamedFrom = new Map<string, string>();
  for (const [fileKey, value] of Object.entries(tensors)) {
    const key = rename === undefined ? fileKey : rename(fileKey);
    if (key === null) {
      ignored.push(fileKey);
      continue;
    }
    if (typeof key !== 'string') throw new ValueError(`${where}: rename(${JSON.stringify(fileKey)}) returned ${fmtValue(key)}; return a parameter path or null`);
    const clash = renamedFrom.get(key);
    if (clash !== undefined) throw new ValueError(`${where}: rename maps both ${JSON.stringify(clash)} and ${JSON.stringify(fileKey)} to ${JSON.stringify(key)}`);
    renamedFrom.set(key, fileKey);
    const p = byPath.get(key);
    if (p === undefined) {
      unexpected.push(fileKey);
      continue;
    }
    const prior = found.get(p);
    if (prior !== undefined) {
      if (!sameBits(prior.value, value)) {
        throw new ValueError(
          `${where}: ${JSON.stringify(prior.key)} and ${JSON.stringify(key)} are the same shared parameter (${p.name}) in this network, ` +
            `but the file holds different values for them; a shared parameter can only take one value`,
        );
      }
      continue;
    }
    found.set(p, { key, value });
  }
  const missing = canonical.filter(([, p]) => !found.has(p)).map(([path]) => path);
  if ((missing.length > 0 && !allowMissing) || (unexpected.length > 0 && !ignoreExtra)) {
    const parts: string[] = [];
    if (missing.length > 0 && !allowMissing) parts.push(`missing from the file: ${list(missing)}`);
    if (unexpected.length > 0 && !ignoreExtra) parts.push(`in the file but not in the network: ${list(unexpected)}`);
    throw new ParameterKeyError(
      `${where}: the file's keys do not match the network's parameters (nothing was loaded). ${parts.join('; ')}.` +
        keyHint(missing, unexpected) +
        ` The network's keys are ${list(canonical.map(([k]) => k))}. Pass allowMissing: true / ignoreExtra: true to load the common part, ` +
        `or rename to map keys.`,
      allowMissing ? [] : missing,
      ignoreExtra ? [] : unexpected,
    );
  }
  const shapeProblems: string[] = [];
  const dtypeProblems: string[] = [];
  const constantProblems: string[] = [];
  const planned: Planned[] = [];
  for (const [p, { value }] of found) {
    const path = pathOf.get(p)!;
    if (value.shape.some((d) => d === 0) || !p.fits(value.shape)) {
      shapeProblems.push(`${path} (${p.name}): the network has ${p.shapeKnown ? 'shape' : 'partly known shape'} ${fmtShape(p.shape)}, the file has ${fmtShape(value.shape)}`);
      continue;
    }
    // A constant keeps its value: the file must hold that same value (setData accepts it as a no-op).
    if (p instanceof Constant && !p.holds(value)) {
      constantProblems.push(`${path} (${p.name}): the network's constant differs from the file's value`);
      continue;
    }
    if (dtypeMode === 'strict' && value.dtype !== p.dtype) {
      dtypeProblems.push(`${path} (${p.name}): the parameter is ${p.dtype}, the file holds ${value.dtype}; pass castDType: true to convert`);
      continue;
    }
    const target = dtypeMode === 'current' || dtypeMode === 'strict' ? p.dtype : dtypeMode === 'saved' ? value.dtype : dtypeMode;
    if (!isFloat(target) && isFloat(value.dtype)) {
      dtypeProblems.push(`${path} (${p.name}): the file holds ${value.dtype} values, which would be truncated into ${target}`);
    } else if (!isFloat(target) && p.gradReq !== 'null') {
      dtypeProblems.push(`${path} (${p.name}): cannot become ${target} while it has gradients (gradReq '${p.gradReq}'); set gradReq to 'null' first`);
    }
    planned.push({ path, param: p, value, dtype: target });
  }
  if (shapeProblems.length > 0) {
    throw new ShapeError(
      `${where}: shapes in the file do not fit the network (nothing was loaded; 0 in a network shape means not yet known):\n  ` +
        `${shapeProblems.join('\n  ')}\nBuild the network with the same layer sizes as the one that was saved.`,
    );
  }
  if (constantProblems.length > 0) {
    throw new ValueError(
      `${where}: nothing was loaded; constants never change, and the file holds other values for:\n  ${constantProblems.join('\n  ')}\n` +
        `Build the network with the constants it was saved with, or skip them: rename returning null for their keys, with allowMissing: true.`,
    );
  }
  if (dtypeProblems.length > 0) {
    throw new DTypeError(`${where}: nothing was loaded:\n  ${dtypeProblems.join('\n  ')}\nPass dtype: 'saved' to take the file's dtypes, or a float dtype.`);
  }
  return { planned, report: { loaded: planned.map((x) => x.path), missing, ignored: [...ignored, ...unexpected] } };
}

/** @internal Loads safetensors bytes into `target`'s parameters, all or nothing. */
export function loadBytesInto(target: LoadTarget, bytes: Uint8Array | ArrayBuffer, options: LoadParametersOptions = {}): LoadReport {
  const { tensors } = decodeSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  return loadTensorsInto(target, tensors, options);
}

/**
 * @internal Loads named arrays decoded from any file format into `net`, with `loadParameters`'
 * checks and options; transactional (nothing changes on error).
 */
export function loadArraysInto(net: Block, tensors: Record<string, NDArray>, options: LoadParametersOptions = {}): LoadReport {
  return loadTensorsInto(blockTarget(net), tensors, options);
}

function loadTensorsInto(target: LoadTarget, tensors: Record<string, NDArray>, options: LoadParametersOptions): LoadReport {
  const { planned, report } = plan(target, tensors, options);
  // Everything is validated: from here on nothing can fail.
  for (const { param, value, dtype } of planned) {
    if (param.dtype !== dtype) param.cast(dtype);
    param.setData(value);
  }
  return report;
}

function blockTarget(net: Block): LoadTarget {
  return { where: `${net.name}.loadParameters`, canonical: net.collectParams().entries(), byPath: pathsByParam(net) };
}

const methods = {
  saveParametersBytes(this: Block, options?: SaveParametersOptions): Uint8Array {
    return saveBytes(this, options);
  },
  saveParameters(this: Block, path: string, options?: SaveParametersOptions): void {
    writeFileBytes(path, saveBytes(this, options), 'saveParameters');
  },
  loadParametersBytes(this: Block, bytes: Uint8Array | ArrayBuffer, options?: LoadParametersOptions): LoadReport {
    return loadBytesInto(blockTarget(this), bytes, options);
  },
  loadParameters(this: Block, path: string, options?: LoadParametersOptions): LoadReport {
    const bytes = readFileBytes(path, 'loadParameters');
    return inFile(path, () => loadBytesInto(blockTarget(this), bytes, options));
  },
  saveParametersBlob(this: Block, options?: SaveParametersOptions): Blob {
    return new Blob([saveBytes(this, options) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  },
  async loadParametersFrom(this: Block, source: ByteSource, options?: LoadParametersOptions): Promise<LoadReport> {
    return loadBytesInto(blockTarget(this), await bytesFrom(source, `${this.name}.loadParametersFrom`), options);
  },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Block.prototype, name, { value: publicOp(name, fn), writable: true, configurable: true });
}
