/**
 * MXNet's NDArray-list binary format: the `.params` files of `net.export` / `mx.nd.save`.
 *
 * Every field below is defined by MXNet 1.x's source; the file is little-endian (dmlc streams).
 * - The list (`NDArray::Save(Stream*, vector<NDArray>, vector<string>)`, src/ndarray/ndarray.cc):
 *   uint64 magic 0x112 (`kMXAPINDArrayListMagic`), uint64 reserved (0), the arrays as a dmlc
 *   vector (uint64 count, then each array), the names as a dmlc vector of strings (uint64 count,
 *   then per name a uint64 byte length and the bytes; dmlc/serializer.h). There are either no
 *   names or one per array (`NDArray::Load` checks this). Gluon names them `arg:<param>` and
 *   `aux:<param>` in exported files and plain `<param>` in `save_parameters` files.
 * - One array (`NDArray::Save(Stream*)`): uint32 magic, 0xF993FAC9 (V2, with storage type) or
 *   0xF993FACA (V3, NumPy shape semantics); int32 storage type (0 dense; 1 row_sparse and 2 csr
 *   have auxiliary data and are refused here); the shape (`Tuple::Save`, include/mxnet/tuple.h:
 *   int32 ndim, then ndim int64 dims). In V2 ndim 0 means "no array" and nothing follows; in V3
 *   ndim -1 means that, and ndim 0 is a scalar. Then the context (`Context::Save`,
 *   include/mxnet/base.h: int32 device type, 1 cpu / 2 gpu / 3 cpu_pinned / 5 cpu_shared, int32
 *   device id), int32 dtype flag (`mshadow::TypeFlag`, mshadow/base.h), and the row-major data.
 * - Older arrays (`NDArray::LegacyLoad`): magic 0xF993FAC8 (V1) is followed by a shape as above
 *   and no storage type; any other first word is itself the ndim of a shape of uint32 dims
 *   (`LegacyTShapeLoad`). Then context, dtype flag and data as in V2.
 *
 * The reader treats every file as hostile: every count and length is checked against the bytes
 * left before anything is allocated, so a file can never make it allocate more than a small
 * multiple of its own size; names must be unique UTF-8; no byte may follow the names. Dtypes
 * tsgluon does not store are converted exactly as safetensors files are (float16 and bfloat16
 * to float32, small integers to int32, int64 to int32 when every value fits). The writer emits
 * V2 dense arrays on cpu(0), what MXNet 1.x writes.
 */
import type { DType, TypedArray } from '../core/dtype.js';
import { ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import { NDArray } from '../ndarray/ndarray.js';
import { ModelFormatError } from './model-format-error.js';
import { SafetensorsError } from './safetensors-error.js';
import { HOST_LITTLE_ENDIAN, SAFETENSORS_DTYPES, convertFromFile, swapBytes } from './safetensors-dtypes.js';
import { firstInvalidUtf8 } from './strict-json.js';

export const LIST_MAGIC = 0x112;
export const NDARRAY_V1_MAGIC = 0xf993fac8;
export const NDARRAY_V2_MAGIC = 0xf993fac9;
export const NDARRAY_V3_MAGIC = 0xf993faca;

/** mshadow::TypeFlag values, as the safetensors dtype with the same bytes (conversions shared). */
const TYPE_FLAGS: readonly string[] = ['F32', 'F64', 'F16', 'U8', 'I32', 'I8', 'I64', 'BOOL', 'I16', 'U16', 'U32', 'U64', 'BF16'];
const FLAG_OF: Readonly<Record<DType, number>> = { float32: 0, float64: 1, float16: 2, uint8: 3, int32: 4, bfloat16: 12 };
const STORAGE = ['dense', 'row_sparse', 'csr'];
/** MXNet's own limit on dimensions (mshadow supports far fewer; 32 is generous). */
const MAX_NDIM = 32;

/** The arrays of a `.params` file, in file order, with their names ('' when the file has none). */
export interface DecodedMXNetParams {
  readonly names: readonly string[];
  readonly arrays: readonly NDArray[];
  /** mshadow dtype name each array had in the file (e.g. 'F16' for float16). */
  readonly fileDTypes: readonly string[];
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get left(): number {
    return this.bytes.length - this.pos;
  }

  need(n: number, what: string, item?: string): void {
    if (n > this.left) {
      throw fail(`the file ends inside ${what}: it needs ${n} more bytes, ${this.left} are left; the file is truncated or a length lies`, this.pos, item);
    }
  }

  u32(what: string, item?: string): number {
    this.need(4, what, item);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  i32(what: string, item?: string): number {
    return this.u32(what, item) | 0;
  }

  /** A uint64 or int64 as a number; values beyond 2^53 - 1 become Infinity (no file is that large). */
  u64(what: string, item?: string, signed = false): number {
    const lo = this.u32(what, item);
    const hi = this.u32(what, item);
    if (signed && hi >= 0x80000000) return -((0xffffffff - hi) * 2 ** 32 + (0xffffffff - lo) + 1);
    return hi >= 0x200000 ? Infinity : hi * 2 ** 32 + lo;
  }

  take(n: number, what: string, item?: string): Uint8Array {
    this.need(n, what, item);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function fail(what: string, offset?: number, item?: string): ModelFormatError {
  return new ModelFormatError('mxnet-params', what, { ...(offset === undefined ? {} : { offset }), ...(item === undefined ? {} : { item }) });
}

function readShape(r: Reader, dimBytes: 4 | 8, ndim: number, label: string): number[] {
  const at = r.pos;
  if (ndim > MAX_NDIM) throw fail(`${label} declares ${ndim} dimensions, more than ${MAX_NDIM}`, at - 4);
  r.need(ndim * dimBytes, `the shape of ${label}`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) {
    const d = dimBytes === 4 ? r.u32('a dimension') : r.u64('a dimension', undefined, true);
    if (d < 0 || !Number.isFinite(d)) throw fail(`${label} has dimension ${i} of size ${d === Infinity ? '>= 2^53' : d}; sizes must be non-negative`, at + i * dimBytes);
    shape.push(d);
  }
  return shape;
}

/** Reads one array (after its magic / first word); null for MXNet's "none" array. */
function readArray(r: Reader, index: number): { array: NDArray; fileDType: string } | null {
  const label = `array ${index}`;
  const start = r.pos;
  const first = r.u32(`the header of ${label}`);
  let shape: number[];
  if (first === NDARRAY_V2_MAGIC || first === NDARRAY_V3_MAGIC) {
    const stype = r.i32(`the storage type of ${label}`);
    if (stype !== 0) {
      throw fail(`${label} has storage type ${stype} (${STORAGE[stype] ?? 'unknown'}); only dense arrays (0) are supported: call tostype('default') before saving`, r.pos - 4);
    }
    const ndim = r.i32(`the shape of ${label}`);
    if (first === NDARRAY_V2_MAGIC ? ndim === 0 : ndim === -1) return null;
    if (ndim < 0) throw fail(`${label} has ndim ${ndim}; it must be non-negative`, r.pos - 4);
    shape = readShape(r, 8, ndim, label);
  } else if (first === NDARRAY_V1_MAGIC) {
    shape = readShape(r, 8, r.u32(`the shape of ${label}`), label);
    if (shape.length === 0) return null;
  } else {
    // A legacy array starts with its ndim; anything large is not an MXNet file at all.
    if (first > MAX_NDIM) throw fail(`${label} starts with 0x${first.toString(16)}, which is neither an NDArray magic number nor a legacy ndim`, start);
    shape = readShape(r, 4, first, label);
    if (shape.length === 0) return null;
  }
  const devType = r.i32(`the context of ${label}`);
  r.i32(`the context of ${label}`);
  if (![1, 2, 3, 5].includes(devType)) throw fail(`${label} has device type ${devType}; MXNet writes 1 (cpu), 2 (gpu), 3 (cpu_pinned) or 5 (cpu_shared)`, r.pos - 8);
  const flagAt = r.pos;
  const flag = r.i32(`the dtype of ${label}`);
  const st = TYPE_FLAGS[flag];
  if (st === undefined) throw fail(`${label} has dtype flag ${flag}, not an mshadow type (0 to ${TYPE_FLAGS.length - 1})`, flagAt);
  let count = 1;
  for (const d of shape) count *= d;
  const bytes = count * (SAFETENSORS_DTYPES[st]!.bits / 8);
  if (!(bytes <= r.left)) {
    throw fail(`${label} of shape ${fmtShape(shape)} and dtype ${st} needs ${bytes > 2 ** 50 ? 'more than 2^50' : bytes} bytes of data, but only ${r.left} are left; the file is truncated or the shape lies`, flagAt + 4);
  }
  const dataAt = r.pos;
  const src = r.take(bytes, `the data of ${label}`);
  let data: TypedArray;
  try {
    data = convertFromFile(label, st, src, count, dataAt);
  } catch (e) {
    if (e instanceof SafetensorsError) throw fail(e.detail, e.offset, label);
    throw e;
  }
  return { array: new NDArray(data, shape, SAFETENSORS_DTYPES[st]!.target!), fileDType: st };
}

/**
 * Decodes a `.params` file (MXNet's NDArray-list format). Throws a ModelFormatError on any defect.
 * @example const { names, arrays } = decodeMXNetParams(bytes)
 */
export function decodeMXNetParams(input: Uint8Array): DecodedMXNetParams {
  if (!(input instanceof Uint8Array)) throw new ValueError(`decodeMXNetParams: input must be the bytes of a .params file (a Uint8Array such as readFileSync(path)), got ${fmtValue(input)}`);
  const r = new Reader(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  if (r.left < 16) throw fail(`the file is ${r.left} bytes, too short for the 16-byte header; it is empty or truncated`, 0);
  const magic = r.u64('the header');
  if (magic !== LIST_MAGIC) {
    throw fail(`the file starts with 0x${magic.toString(16)}, not MXNet's NDArray-list magic 0x112; it is not a .params file (a safetensors file starts with its header length, then '{')`, 0);
  }
  r.u64('the header');
  const count = r.u64('the array count');
  // Every array takes at least 12 bytes (magic, storage type, ndim), so the count is bounded.
  if (count * 12 > r.left) throw fail(`the file declares ${count === Infinity ? 'more than 2^53' : count} arrays, more than its ${r.left} remaining bytes can hold`, 16);
  const arrays: NDArray[] = [];
  const fileDTypes: string[] = [];
  for (let i = 0; i < count; i++) {
    const one = readArray(r, i);
    if (one === null) throw fail(`array ${i} is an empty ("none") NDArray, which holds no parameter`, r.pos);
    arrays.push(one.array);
    fileDTypes.push(one.fileDType);
  }
  const namesAt = r.pos;
  const nameCount = r.u64('the name count');
  if (nameCount !== 0 && nameCount !== count) throw fail(`the file has ${count} arrays but ${nameCount} names; there must be one name per array, or none`, namesAt);
  const names: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nameCount; i++) {
    const at = r.pos;
    const len = r.u64(`the length of name ${i}`);
    if (len > r.left) throw fail(`name ${i} is ${len === Infinity ? 'more than 2^53' : len} bytes long, but only ${r.left} bytes are left`, at);
    const raw = r.take(len, `name ${i}`);
    const bad = firstInvalidUtf8(raw, 0, raw.length);
    if (bad >= 0) throw fail(`name ${i} is not valid UTF-8 (byte 0x${raw[bad]!.toString(16).padStart(2, '0')})`, at + 8 + bad);
    const name = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    if (seen.has(name)) throw fail(`the name appears twice; names must be unique`, at, name);
    seen.add(name);
    names.push(name);
  }
  if (r.left !== 0) throw fail(`${r.left} bytes follow the last name; the file must end there`, r.pos);
  return { names: nameCount === 0 ? arrays.map(() => '') : names, arrays, fileDTypes };
}

/** Little-endian bytes of a typed array. */
function leBytes(data: TypedArray, width: number): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapBytes(copy, width);
  return copy;
}

/**
 * Encodes named arrays in MXNet's NDArray-list format (V2 dense arrays on cpu(0)), readable by
 * `mx.nd.load` and `SymbolBlock.imports` of MXNet 1.x.
 * @example const bytes = encodeMXNetParams([['arg:dense0_weight', w], ['arg:dense0_bias', b]])
 */
export function encodeMXNetParams(entries: readonly (readonly [string, NDArray])[]): Uint8Array {
  const enc = new TextEncoder();
  const seen = new Set<string>();
  const parts: { name: Uint8Array; arr: NDArray; data: Uint8Array }[] = [];
  if (!Array.isArray(entries)) throw new ValueError(`encodeMXNetParams: entries must be a list of [name, NDArray] pairs, got ${fmtValue(entries)}`);
  for (const pair of entries as readonly unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') throw new ValueError(`encodeMXNetParams: each entry must be a [name, NDArray] pair with a string name, got ${fmtValue(pair)}`);
    const [name, arr] = pair as [string, unknown];
    if (!NDArray.isInstance(arr)) throw new ValueError(`encodeMXNetParams: ${JSON.stringify(name)} is not an NDArray`);
    if (arr.isShapeOnly) throw new ValueError(`encodeMXNetParams: ${JSON.stringify(name)} is a shape-only ${fmtShape(arr.shape)} array with no data to save`);
    if (arr.ndim === 0) throw new ValueError(`encodeMXNetParams: ${JSON.stringify(name)} is a scalar; MXNet 1.x (V2 arrays) cannot store 0-d arrays, reshape it to (1,)`);
    if (seen.has(name)) throw new ValueError(`encodeMXNetParams: the name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
    parts.push({ name: enc.encode(name), arr, data: leBytes(arr._raw, arr._raw.BYTES_PER_ELEMENT) });
  }
  let size = 24 + 8;
  for (const p of parts) size += 4 + 4 + 4 + 8 * p.arr.ndim + 8 + 4 + p.data.length + 8 + p.name.length;
  checkAllocation(size, 1, () => `encodeMXNetParams: a .params file of ${size} bytes`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  const u32 = (v: number): void => {
    view.setUint32(pos, v >>> 0, true);
    pos += 4;
  };
  const u64 = (v: number): void => {
    view.setBigUint64(pos, BigInt(v), true);
    pos += 8;
  };
  u64(LIST_MAGIC);
  u64(0);
  u64(parts.length);
  for (const { arr, data } of parts) {
    u32(NDARRAY_V2_MAGIC);
    u32(0);
    u32(arr.ndim);
    for (const d of arr.shape) u64(d);
    u32(1);
    u32(0);
    u32(FLAG_OF[arr.dtype]);
    out.set(data, pos);
    pos += data.length;
  }
  u64(parts.length);
  for (const { name } of parts) {
    u64(name.length);
    out.set(name, pos);
    pos += name.length;
  }
  return out;
}
