/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {string: string}}`, then the raw little-endian, row-major tensor bytes.
 *
 * The reader treats every file as hostile. Before it allocates anything proportional to what the
 * file declares, it checks what the reference implementation checks, and more: the header length
 * is within the file and at most 100 MB; the header is well-formed UTF-8 and exactly one JSON
 * object (strictly parsed: duplicate keys, lone surrogates and deep nesting are refused, where
 * `JSON.parse` would silently keep the last duplicate); every entry has exactly `dtype`, `shape`
 * and `data_offsets`; dtypes are known; shapes and offsets are exact non-negative integers; the
 * element count cannot overflow; byte sizes match the offsets; sorted by offset the tensors tile
 * the data buffer exactly, from 0 to the end of the file, with no gap and no overlap; metadata
 * values are strings. Nothing in a file is ever executed or evaluated. Every failure is a
 * SafetensorsError (a FormatError) naming the tensor and the byte offset.
 *
 * This file has no Node dependency; `file.ts` adds reading and writing paths.
 */
import { bytesPerElement, type TypedArray } from '../core/dtype.js';
import { ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';
import { SafetensorsError } from './safetensors-error.js';
import { HOST_LITTLE_ENDIAN, SAFETENSORS_DTYPES, ST_DTYPE_OF, convertFromFile, isKnownStDType, swapBytes } from './safetensors-dtypes.js';
import { JsonNumber, JsonSyntaxError, firstInvalidUtf8, jsonTypeName, parseStrictJson, type JsonValue } from './strict-json.js';

export { SafetensorsError } from './safetensors-error.js';

/** The reference implementation's limit on the JSON header (bytes). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Throws unless `bytes` is a Uint8Array (a Node Buffer is one). */
function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`expects the bytes of a file as a Uint8Array, got ${fmtValue(bytes)}`);
}

/** Metadata tsgluon writes into every file it saves. */
export const LIBRARY_METADATA: Readonly<Record<string, string>> = Object.freeze({ format: 'tsgluon', tsgluon_version: '1' });

/** One tensor entry of a validated header. Offsets are absolute positions in the file. */
export interface SafetensorsEntry {
  readonly name: string;
  /** The safetensors dtype string, e.g. 'F32'. */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A validated header: the entries in data order and the `__metadata__` strings (null if absent). */
export interface SafetensorsHeader {
  readonly headerLength: number;
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>> | null;
}

const INT_RE = /^(?:0|[1-9][0-9]*)$/;
const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'];

/** An exact non-negative integer no larger than 2^53 - 1, or a SafetensorsError. */
function exactIndex(v: JsonValue, what: string, tensor: string): number {
  // The parser returns plain-digit integers up to 2^53 - 1 as numbers, everything else otherwise.
  if (typeof v === 'number') return v;
  if (v instanceof JsonNumber && INT_RE.test(v.text)) {
    throw new SafetensorsError(`${what} is ${v.text}, larger than 2^53 - 1; no real file is that large`, { tensor });
  }
  throw new SafetensorsError(`${what} must be a non-negative integer written as plain digits, got ${jsonTypeName(v)}`, { tensor });
}

function parseEntry(name: string, v: JsonValue): Omit<SafetensorsEntry, 'begin' | 'end'> & { b: number; e: number } {
  if (!(v instanceof Map)) throw new SafetensorsError(`the header entry must be an object, got ${jsonTypeName(v)}`, { tensor: name });
  for (const key of v.keys()) {
    if (!ENTRY_FIELDS.includes(key)) {
      throw new SafetensorsError(`unexpected field ${JSON.stringify(key)}; an entry has exactly dtype, shape and data_offsets`, { tensor: name });
    }
  }
  for (const key of ENTRY_FIELDS) if (!v.has(key)) throw new SafetensorsError(`the entry has no "${key}" field`, { tensor: name });
  const dtype = v.get('dtype')!;
  if (typeof dtype !== 'string') throw new SafetensorsError(`dtype must be a string, got ${jsonTypeName(dtype)}`, { tensor: name });
  if (!isKnownStDType(dtype)) {
    throw new SafetensorsError(`unknown dtype ${JSON.stringify(dtype)}; known: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`, { tensor: name });
  }
  const shapeV = v.get('shape')!;
  if (!Array.isArray(shapeV)) throw new SafetensorsError(`shape must be an array, got ${jsonTypeName(shapeV)}`, { tensor: name });
  const shape = shapeV.map((d, i) => exactIndex(d, `shape[${i}]`, name));
  const offV = v.get('data_offsets')!;
  if (!Array.isArray(offV) || offV.length !== 2) {
    throw new SafetensorsError(`data_offsets must be an array [begin, end], got ${jsonTypeName(offV)}${Array.isArray(offV) ? ` of length ${offV.length}` : ''}`, { tensor: name });
  }
  const b = exactIndex(offV[0]!, 'data_offsets[0]', name);
  const e = exactIndex(offV[1]!, 'data_offsets[1]', name);
  if (e < b) throw new SafetensorsError(`data_offsets [${b}, ${e}] end before they begin`, { tensor: name });
  return { name, dtype, shape, b, e };
}

function parseMetadata(v: JsonValue): Record<string, string> | null {
  if (v === null) return null;
  if (!(v instanceof Map)) throw new SafetensorsError(`"__metadata__" must be an object of strings, got ${jsonTypeName(v)}`);
  const out: [string, string][] = [];
  for (const [k, s] of v) {
    if (typeof s !== 'string') throw new SafetensorsError(`"__metadata__" value of ${JSON.stringify(k)} must be a string, got ${jsonTypeName(s)}`);
    out.push([k, s]);
  }
  return Object.fromEntries(out);
}

/** Byte size of `count` elements of `bits` bits, or a SafetensorsError when it is not whole. */
function byteSize(entry: { name: string; dtype: string; shape: readonly number[] }, offset: number): number {
  let count = 1;
  for (const d of entry.shape) {
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) {
      throw new SafetensorsError(`shape ${fmtShape(entry.shape)} has more elements than 2^53 - 1 (the product overflows)`, { tensor: entry.name, offset });
    }
  }
  const bits = SAFETENSORS_DTYPES[entry.dtype]!.bits;
  // Beyond 2^53 bits no file can hold it, and the arithmetic would stop being exact.
  if (count * bits > Number.MAX_SAFE_INTEGER) return Infinity;
  if ((count * bits) % 8 !== 0) {
    throw new SafetensorsError(`${count} elements of ${bits}-bit ${entry.dtype} do not fill a whole number of bytes`, { tensor: entry.name, offset });
  }
  return (count * bits) / 8;
}

/**
 * Reads and validates the header of a safetensors file held in `bytes`, without copying any
 * tensor data. Throws a SafetensorsError on any defect.
 * @example const { entries, metadata } = readSafetensorsHeader(bytes)
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  checkBytes(bytes);
  const fileLength = bytes.length;
  if (fileLength < 8) {
    throw new SafetensorsError(`the file is ${fileLength} bytes, too short for the 8-byte header length; it is empty or truncated`, { offset: 0 });
  }
  const lo = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  const hi = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) {
    const exact = (BigInt(hi) << 32n) | BigInt(lo);
    throw new SafetensorsError(`the header length is ${exact} bytes, above the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file or it is corrupt`, { offset: 0 });
  }
  if (8 + n > fileLength) {
    throw new SafetensorsError(`the header length ${n} runs past the end of the file (${fileLength} bytes); the file is truncated or the length is corrupt`, { offset: 0 });
  }
  const bad = firstInvalidUtf8(bytes, 8, 8 + n);
  if (bad >= 0) throw new SafetensorsError(`the header is not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')})`, { offset: bad });
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  const byteOffset = (position: number): number => 8 + new TextEncoder().encode(text.slice(0, position)).length;
  let metadata: Record<string, string> | null = null;
  const raw: ReturnType<typeof parseEntry>[] = [];
  // Each entry is validated as soon as it is parsed (as serde does with its schema), so a hostile
  // header fails at its first bad entry and never builds a large generic tree.
  const onRootMember = (name: string, v: JsonValue, keyPosition: number): void => {
    try {
      if (name === '__metadata__') metadata = parseMetadata(v);
      else raw.push(parseEntry(name, v));
    } catch (e) {
      if (e instanceof SafetensorsError && e.offset === undefined) {
        throw new SafetensorsError(e.detail, { ...(e.tensor === undefined ? {} : { tensor: e.tensor }), offset: byteOffset(keyPosition) });
      }
      throw e;
    }
  };
  let root: JsonValue;
  try {
    // No valid header nests deeper than 3 or has a shape of more than 1024 dimensions.
    root = parseStrictJson(text, { maxDepth: 16, maxArrayLength: 1024, onRootMember });
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new SafetensorsError(`the header is not valid JSON: ${e.message}`, { offset: byteOffset(e.position) });
  }
  if (!(root instanceof Map)) throw new SafetensorsError(`the header must be a JSON object, got ${jsonTypeName(root)}`, { offset: 8 });
  return validateLayout(raw, metadata, n, fileLength);
}

function validateLayout(
  raw: ReturnType<typeof parseEntry>[],
  metadata: Record<string, string> | null,
  n: number,
  fileLength: number,
): SafetensorsHeader {
  const dataStart = 8 + n;
  const dataLength = fileLength - dataStart;
  raw.sort((x, y) => x.b - y.b || x.e - y.e);
  const entries: SafetensorsEntry[] = [];
  let cursor = 0;
  let previous: string | null = null;
  for (const t of raw) {
    const where = { tensor: t.name, offset: dataStart + t.b };
    if (t.b < cursor) {
      throw new SafetensorsError(`data_offsets [${t.b}, ${t.e}] overlap the previous tensor ${JSON.stringify(previous)}, which ends at ${cursor}`, where);
    }
    if (t.b > cursor) {
      throw new SafetensorsError(
        `data_offsets [${t.b}, ${t.e}] leave a gap: bytes [${cursor}, ${t.b}) of the data buffer belong to no tensor` +
          (previous === null ? ' (the first tensor must start at 0)' : ` (after ${JSON.stringify(previous)})`),
        where,
      );
    }
    if (t.e > dataLength) {
      throw new SafetensorsError(
        `data_offsets [${t.b}, ${t.e}] end at file byte ${dataStart + t.e}, past the end of the file (${fileLength} bytes); the file is truncated or the offsets lie`,
        where,
      );
    }
    const need = byteSize(t, where.offset);
    if (need !== t.e - t.b) {
      const needText = need === Infinity ? 'more than 2^50 bytes' : `${need} bytes`;
      throw new SafetensorsError(`shape ${fmtShape(t.shape)} of dtype ${t.dtype} needs ${needText}, but data_offsets [${t.b}, ${t.e}] span ${t.e - t.b}`, where);
    }
    entries.push({ name: t.name, dtype: t.dtype, shape: t.shape, begin: dataStart + t.b, end: dataStart + t.e });
    cursor = t.e;
    previous = t.name;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(
      `${dataLength - cursor} bytes after the last tensor belong to no tensor; the data buffer must end with the last tensor`,
      { offset: dataStart + cursor },
    );
  }
  return { headerLength: n, entries, metadata };
}

/** The decoded content of a safetensors file. */
export interface DecodedSafetensors {
  /** Tensors by name, in file (data offset) order. */
  readonly tensors: Record<string, NDArray>;
  readonly metadata: Readonly<Record<string, string>> | null;
  /** The dtype each tensor had in the file (differs from the array's when converted, e.g. 'F16'). */
  readonly fileDTypes: Readonly<Record<string, string>>;
}

/**
 * Validates a whole safetensors file and decodes every tensor into a fresh NDArray (copied, so the
 * arrays do not keep `bytes` alive). Dtype conversions are described in `safetensors-dtypes.ts`.
 * @example const { tensors, metadata } = decodeSafetensors(bytes)
 */
export function decodeSafetensors(input: Uint8Array): DecodedSafetensors {
  checkBytes(input);
  // A plain view, so no Buffer method (whose slice() does not copy) is ever called on the file.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const header = readSafetensorsHeader(bytes);
  const tensors: [string, NDArray][] = [];
  const fileDTypes: [string, string][] = [];
  for (const e of header.entries) {
    let count = 1;
    for (const d of e.shape) count *= d;
    const target = SAFETENSORS_DTYPES[e.dtype]!.target;
    const data = convertFromFile(e.name, e.dtype, bytes.subarray(e.begin, e.end), count, e.begin);
    tensors.push([e.name, new NDArray(data, e.shape, target!)]);
    fileDTypes.push([e.name, e.dtype]);
  }
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata, fileDTypes: Object.fromEntries(fileDTypes) };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** UTF-8 cannot encode a lone surrogate; refuse it rather than write a file no reader accepts. */
function checkUnicode(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) throw new ValueError(`safetensors: the ${what} ${JSON.stringify(s)} contains a lone UTF-16 surrogate, which UTF-8 cannot encode`);
}

/** Little-endian bytes of a typed array, without copying on little-endian hosts. */
function leBytes(data: TypedArray, width: number): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapBytes(copy, width);
  return copy;
}

/**
 * Encodes named arrays as a safetensors file. Tensors are laid out widest dtype first (stable
 * otherwise), and the header is padded with spaces to a multiple of 8 bytes, so every tensor is
 * aligned for readers that map the file (as the reference implementation does).
 * @example const bytes = encodeSafetensors({ w: nd.ones([2, 2]) }, { format: 'tsgluon' })
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, NDArray>> | Iterable<readonly [string, NDArray]>,
  metadata: Readonly<Record<string, string>> | null = null,
): Uint8Array {
  if (tensors === null || typeof tensors !== 'object') {
    throw new ValueError(`safetensors: expected a dictionary of NDArrays or a list of [name, NDArray] pairs, got ${fmtValue(tensors)}`);
  }
  if (metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) throw new ValueError(`safetensors: metadata must be a dictionary of strings or null, got ${fmtValue(metadata)}`);
  const list: (readonly [string, NDArray])[] = Symbol.iterator in tensors ? [...(tensors as Iterable<readonly [string, NDArray]>)] : Object.entries(tensors);
  if (!list.every((e) => Array.isArray(e) && e.length === 2)) throw new ValueError('safetensors: a list of tensors must hold [name, NDArray] pairs');
  const seen = new Set<string>();
  for (const [name, arr] of list) {
    checkUnicode(name, 'tensor name');
    if (name === '__metadata__') throw new ValueError(`safetensors: "__metadata__" is reserved and cannot name a tensor`);
    if (seen.has(name)) throw new ValueError(`safetensors: the tensor name ${JSON.stringify(name)} appears twice; names must be unique`);
    seen.add(name);
    if (!NDArray.isInstance(arr)) throw new ValueError(`safetensors: ${JSON.stringify(name)} is not an NDArray`);
    if (arr.isShapeOnly) {
      throw new ValueError(`safetensors: ${JSON.stringify(name)} is a shape-only ${fmtShape(arr.shape)} array with no data to save; run a forward with real data first`);
    }
  }
  if (metadata !== null) {
    for (const [k, v] of Object.entries(metadata)) {
      checkUnicode(k, 'metadata key');
      if (typeof v !== 'string') throw new ValueError(`safetensors: metadata value of ${JSON.stringify(k)} must be a string, got ${typeof v}`);
      checkUnicode(v, 'metadata value');
    }
  }
  const ordered = list
    .map((t, i) => ({ t, i, width: bytesPerElement(t[1].dtype) }))
    .sort((a, b) => b.width - a.width || a.i - b.i);
  const header: Record<string, unknown> = {};
  if (metadata !== null) Object.defineProperty(header, '__metadata__', { value: metadata, enumerable: true });
  let offset = 0;
  for (const { t: [name, arr], width } of ordered) {
    const size = arr.size * width;
    // defineProperty, not assignment: a tensor named "__proto__" must be an ordinary key.
    Object.defineProperty(header, name, {
      value: { dtype: ST_DTYPE_OF[arr.dtype], shape: [...arr.shape], data_offsets: [offset, offset + size] },
      enumerable: true,
    });
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + n + offset);
  out[0] = n & 0xff;
  out[1] = (n >>> 8) & 0xff;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 24) & 0xff;
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let pos = 8 + n;
  for (const { t: [, arr], width } of ordered) {
    const b = leBytes(arr._raw, width);
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}
