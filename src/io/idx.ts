/**
 * The IDX file format of MNIST and Fashion-MNIST: a 4-byte magic number (two zero bytes, a
 * dtype code, the number of dimensions), one big-endian uint32 per dimension, then the values
 * in row-major order, big-endian. Files are often gzipped; readers detect gzip by its magic
 * bytes, not by the file name.
 *
 * Decoding is strict: a wrong magic number, an unknown dtype code, a header that does not fit,
 * or a payload that is shorter or longer than the dimensions say raises a `FormatError` naming
 * the file and what is wrong, so a truncated download never turns into a silently short dataset.
 */
import { allocate, type DType } from '../core/dtype.js';
import { DTypeError, FormatError, PlatformError, ValueError, fmtShape, fmtValue } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import { NDArray, expectArray } from '../ndarray/ndarray.js';
import { readFileBytes, readFileBytesAsync, writeFileBytes } from './file.js';
import { gunzip, gunzipPrefixSync, gunzipSync, gzipSync } from './gzip.js';
import { checkOptions, relabel } from '../core/public.js';
import { isNode } from '../core/platform.js';

const SYNC_INSTEAD = 'in a browser use `await decodeIdxAsync(bytes)`';

/** IDX dtype codes, their byte sizes, and the NDArray dtype each is read into. */
const IDX_TYPES: Record<number, { name: string; bytes: number; dtype: DType }> = {
  0x08: { name: 'unsigned byte', bytes: 1, dtype: 'uint8' },
  0x09: { name: 'signed byte', bytes: 1, dtype: 'int32' },
  0x0b: { name: 'short', bytes: 2, dtype: 'int32' },
  0x0c: { name: 'int', bytes: 4, dtype: 'int32' },
  0x0d: { name: 'float', bytes: 4, dtype: 'float32' },
  0x0e: { name: 'double', bytes: 8, dtype: 'float64' },
};

const CODE_OF_DTYPE: Partial<Record<DType, number>> = { uint8: 0x08, int32: 0x0c, float32: 0x0d, float64: 0x0e };

/** Largest payload accepted (4 GiB); guards against headers that claim absurd sizes. */
const MAX_BYTES = 2 ** 32;

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  checkBytes('isGzip', bytes);
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Throws unless `bytes` is a Uint8Array (a Node Buffer is one). */
function checkBytes(op: string, bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(`${op}: expects the bytes of an IDX file as a Uint8Array, got ${fmtValue(bytes)}`);
}

/** The name errors give the data: a string (a file name, or the default 'IDX data'). */
function checkSource(op: string, source: unknown): asserts source is string {
  if (typeof source !== 'string' || source === '') throw new ValueError(`${op}: source (the name errors give the data) must be a non-empty string, got ${fmtValue(source)}`);
}

function corrupt(source: string, e: unknown): FormatError {
  return new FormatError(`${source}: the file looks gzipped but cannot be decompressed (${(e as Error).message}); it is probably truncated or corrupt: delete it and download it again`);
}

/**
 * How many bytes `gz` may decompress to: the size its IDX header declares. The header is read
 * from a bounded prefix (a deflate stream expands at most about 1032:1, so 64 KiB of input gives
 * at most 66 MiB); the whole stream is then decompressed with that size as a hard bound, so a
 * gzip bomb stops at its header's word instead of filling memory.
 */
function gunzipBound(gz: Uint8Array, source: string): number {
  for (const prefix of [4096, 65536]) {
    let head: Uint8Array;
    try {
      head = gunzipPrefixSync(gz.subarray(0, prefix), `decompressing ${source} synchronously`, SYNC_INSTEAD);
    } catch (e) {
      if (e instanceof PlatformError) throw e;
      throw corrupt(source, e);
    }
    const ndim = head.length >= 4 ? head[3]! : 0;
    if (head.length >= 4 + 4 * ndim && (head.length >= 4 || prefix >= gz.length)) {
      const { dataOffset, declared } = readHeader(head, source);
      return dataOffset + declared;
    }
    if (prefix >= gz.length) break;
  }
  // Too short to hold a header: the strict parser says what is wrong with what there is.
  return 4 + 4 * 255;
}

/** A FormatError when decompression produced more than the header declared. */
function bomb(source: string, bound: number): FormatError {
  return new FormatError(`${source}: the gzipped data decompresses to more than the ${bound} bytes its IDX header declares; the file is corrupt (or a decompression bomb)`);
}

function gunzipChecked(bytes: Uint8Array, source: string): Uint8Array {
  const bound = gunzipBound(bytes, source);
  try {
    return gunzipSync(bytes, `decompressing ${source} synchronously`, SYNC_INSTEAD, { maxOutputLength: Math.max(1, bound) });
  } catch (e) {
    if (e instanceof PlatformError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw bomb(source, bound);
    throw corrupt(source, e);
  }
}

/** The header of an IDX file: its dtype code and dimensions. */
export interface IdxHeader {
  /** The IDX dtype code (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double). */
  code: number;
  shape: number[];
  /** The magic number as a 32-bit integer, e.g. 0x00000803 for MNIST images. */
  magic: number;
  /** Byte offset of the first value. */
  dataOffset: number;
}

/** The header fields and the payload size they declare; checks the magic number and the limit. */
function readHeader(bytes: Uint8Array, source: string): { code: number; shape: number[]; magic: number; dataOffset: number; declared: number } {
  if (bytes.length < 4) {
    throw new FormatError(`${source}: ${bytes.length} bytes is too short for an IDX file (the magic number alone takes 4 bytes)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError(`${source}: not an IDX file: the magic number must start with two zero bytes, got ${hex}`);
  }
  const code = bytes[2]!;
  const ndim = bytes[3]!;
  const magic = (code << 8) | ndim;
  const type = IDX_TYPES[code];
  if (type === undefined) {
    throw new FormatError(
      `${source}: unknown IDX dtype code 0x${code.toString(16).padStart(2, '0')} in magic number 0x${magic.toString(16).padStart(8, '0')}; ` +
        `valid codes are 0x08 (unsigned byte), 0x09, 0x0b, 0x0c, 0x0d, 0x0e`,
    );
  }
  if (ndim === 0) throw new FormatError(`${source}: the magic number 0x${magic.toString(16).padStart(8, '0')} declares 0 dimensions; IDX files have at least one`);
  const dataOffset = 4 + 4 * ndim;
  if (bytes.length < dataOffset) {
    throw new FormatError(`${source}: truncated header: ${ndim} dimensions need ${dataOffset} header bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let declared = type.bytes;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    declared *= d;
  }
  if (declared > MAX_BYTES) {
    throw new FormatError(`${source}: the header declares shape ${fmtShape(shape)} of ${type.name}s (${declared} bytes), more than the 4 GiB this reader accepts`);
  }
  checkAllocation(declared, 1, () => `${source}: the header declares shape ${fmtShape(shape)} of ${type.name}s, which`);
  return { code, shape, magic, dataOffset, declared };
}

/** Parses and validates the header of uncompressed IDX bytes. `source` names the file in errors. */
export function parseIdxHeader(bytes: Uint8Array, source = 'IDX data'): IdxHeader {
  checkBytes('parseIdxHeader', bytes);
  checkSource('parseIdxHeader', source);
  const { code, shape, magic, dataOffset, declared } = readHeader(bytes, source);
  const type = IDX_TYPES[code]!;
  const actual = bytes.length - dataOffset;
  if (actual !== declared) {
    const what = actual < declared ? 'truncated' : 'has trailing bytes';
    throw new FormatError(
      `${source}: ${what}: the header declares shape ${fmtShape(shape)} of ${type.name}s, which needs ${declared} data bytes, ` +
        `but the file has ${actual}` + (actual < declared ? '; the download was probably interrupted: delete the file and fetch it again' : ''),
    );
  }
  return { code, shape, magic, dataOffset };
}

/**
 * Decodes IDX bytes (gzipped or not) into an NDArray. Unsigned bytes stay uint8; signed bytes,
 * shorts and ints become int32; floats float32; doubles float64.
 * @example const labels = decodeIdx(readFileSync('train-labels-idx1-ubyte'), 'train-labels');
 */
export function decodeIdx(bytes: Uint8Array, source = 'IDX data'): NDArray {
  checkBytes('decodeIdx', bytes);
  checkSource('decodeIdx', source);
  const raw = isGzip(bytes) ? gunzipChecked(bytes, source) : bytes;
  return decodeRaw(raw, source);
}

function decodeRaw(raw: Uint8Array, source: string): NDArray {
  const { code, shape, dataOffset } = parseIdxHeader(raw, source);
  const type = IDX_TYPES[code]!;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = allocate(type.dtype, n);
  if (code === 0x08) {
    out.set(raw.subarray(dataOffset, dataOffset + n));
  } else {
    const view = new DataView(raw.buffer, raw.byteOffset + dataOffset, n * type.bytes);
    for (let i = 0; i < n; i++) {
      switch (code) {
        case 0x09: out[i] = view.getInt8(i); break;
        case 0x0b: out[i] = view.getInt16(2 * i, false); break;
        case 0x0c: out[i] = view.getInt32(4 * i, false); break;
        case 0x0d: out[i] = view.getFloat32(4 * i, false); break;
        default: out[i] = view.getFloat64(8 * i, false);
      }
    }
  }
  return new NDArray(out, shape, type.dtype);
}

/**
 * Reads an IDX file (gzipped or not) synchronously.
 * @example const images = readIdxSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
 */
export function readIdxSync(path: string): NDArray {
  const bytes = readFileBytes(path, 'readIdxSync');
  return decodeIdx(bytes, path);
}

/** Reads an IDX file (gzipped or not) without blocking while the file is read and decompressed. */
export async function readIdx(path: string): Promise<NDArray> {
  const bytes = await readFileBytesAsync(path, 'readIdx');
  return decodeIdxAsync(bytes, path);
}

/**
 * `decodeIdx` without blocking on the decompression; in a browser, the way to decode gzipped
 * bytes. In Node the output is bounded by the size the IDX header declares; a browser's
 * DecompressionStream has no bound, so there the size is checked once decompressed.
 */
export async function decodeIdxAsync(bytes: Uint8Array, source = 'IDX data'): Promise<NDArray> {
  checkBytes('decodeIdxAsync', bytes);
  checkSource('decodeIdxAsync', source);
  if (!isGzip(bytes)) return decodeRaw(bytes, source);
  const bound = isNode() ? gunzipBound(bytes, source) : Infinity;
  let raw: Uint8Array;
  try {
    raw = await gunzip(bytes, Number.isFinite(bound) ? { maxOutputLength: Math.max(1, bound) } : {});
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw bomb(source, bound);
    throw corrupt(source, e);
  }
  return decodeRaw(raw, source);
}

/** Options of `encodeIdx` and `writeIdx`. */
export interface IdxWriteOptions {
  /** Compress with gzip. `writeIdx` defaults to true when the path ends in `.gz`. */
  gzip?: boolean;
}

/**
 * Encodes an NDArray as IDX bytes: uint8 as unsigned bytes (0x08), int32 as ints (0x0C),
 * float32 as floats (0x0D), float64 as doubles (0x0E), big-endian.
 * @example writeFileSync('labels-idx1-ubyte', encodeIdx(nd.array([3, 1, 4], { dtype: 'uint8' })));
 */
export function encodeIdx(x: NDArray, options: IdxWriteOptions = {}): Uint8Array {
  expectArray('encodeIdx', x);
  checkOptions('encodeIdx', options);
  if (x.isShapeOnly) throw new ValueError(`encodeIdx: the ${fmtShape(x.shape)} array carries a shape but no data; only arrays with values can be written`);
  if (x.ndim === 0 || x.ndim > 255) {
    throw new ValueError(`encodeIdx: IDX files hold 1 to 255 dimensions, the array has shape ${fmtShape(x.shape)}; reshape it first`);
  }
  const code = CODE_OF_DTYPE[x.dtype];
  if (code === undefined) throw new DTypeError(`encodeIdx: IDX files have no ${x.dtype} type; convert with x.astype('float32') first`);
  const bytesPer = IDX_TYPES[code]!.bytes;
  const header = 4 + 4 * x.ndim;
  checkAllocation(header + x.size * bytesPer, 1, () => `encodeIdx: the IDX bytes of a ${fmtShape(x.shape)} ${x.dtype} array`);
  const out = new Uint8Array(header + x.size * bytesPer);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = x.ndim;
  x.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const data = x.storage;
  if (code === 0x08) out.set(data as Uint8Array, header);
  else {
    for (let i = 0; i < data.length; i++) {
      const off = header + i * bytesPer;
      if (code === 0x0c) view.setInt32(off, data[i]!, false);
      else if (code === 0x0d) view.setFloat32(off, data[i]!, false);
      else view.setFloat64(off, data[i]!, false);
    }
  }
  return options.gzip ? gzipSync(out, 'encodeIdx with gzip', 'in a browser encode without gzip') : out;
}

/**
 * Writes an NDArray as an IDX file, gzipped when the path ends in `.gz` unless `gzip` says otherwise.
 * @example writeIdxSync('tests/data/tiny-images-idx3-ubyte.gz', images);
 */
export function writeIdxSync(path: string, x: NDArray, options: IdxWriteOptions = {}): void {
  writeIdxAs('writeIdxSync', path, x, options);
}

/** `writeIdxSync` returning a promise (the write itself is synchronous and atomic). */
export async function writeIdx(path: string, x: NDArray, options: IdxWriteOptions = {}): Promise<void> {
  writeIdxAs('writeIdx', path, x, options);
}

function writeIdxAs(op: string, path: string, x: NDArray, options: IdxWriteOptions): void {
  try {
    if (typeof path !== 'string') throw new FormatError(`${op}: the path must be a string, got ${fmtValue(path)}`);
    checkOptions(op, options);
    writeFileBytes(path, encodeIdx(x, { gzip: options.gzip ?? path.endsWith('.gz') }), op);
  } catch (e) {
    throw relabel(e, op);
  }
}
