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
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { allocate, type DType } from '../core/dtype.js';
import { DTypeError, FormatError, ValueError, fmtShape } from '../core/errors.js';
import { NDArray } from '../ndarray/ndarray.js';

const gunzipAsync = promisify(gunzip);

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
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzipChecked(bytes: Uint8Array, source: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new FormatError(`${source}: the file looks gzipped but cannot be decompressed (${(e as Error).message}); it is probably truncated or corrupt: delete it and download it again`);
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

/** Parses and validates the header of uncompressed IDX bytes. `source` names the file in errors. */
export function parseIdxHeader(bytes: Uint8Array, source = 'IDX data'): IdxHeader {
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
  let expected = type.bytes;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    expected *= d;
  }
  if (expected > MAX_BYTES) {
    throw new FormatError(`${source}: the header declares shape ${fmtShape(shape)} of ${type.name}s (${expected} bytes), more than the 4 GiB this reader accepts`);
  }
  const actual = bytes.length - dataOffset;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated' : 'has trailing bytes';
    throw new FormatError(
      `${source}: ${what}: the header declares shape ${fmtShape(shape)} of ${type.name}s, which needs ${expected} data bytes, ` +
        `but the file has ${actual}` + (actual < expected ? '; the download was probably interrupted: delete the file and fetch it again' : ''),
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

function readError(path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return new FormatError(`${path}: no such file`);
  if (err.code === 'EISDIR') return new FormatError(`${path}: is a directory, expected an IDX file`);
  return new FormatError(`${path}: cannot read the file (${err.message})`);
}

/**
 * Reads an IDX file (gzipped or not) synchronously.
 * @example const images = readIdxSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
 */
export function readIdxSync(path: string): NDArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  return decodeIdx(bytes, path);
}

/** Reads an IDX file (gzipped or not) without blocking while the file is read and decompressed. */
export async function readIdx(path: string): Promise<NDArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (!isGzip(bytes)) return decodeRaw(bytes, path);
  let raw: Uint8Array;
  try {
    raw = await gunzipAsync(bytes);
  } catch (e) {
    throw new FormatError(`${path}: the file looks gzipped but cannot be decompressed (${(e as Error).message}); it is probably truncated or corrupt: delete it and download it again`);
  }
  return decodeRaw(raw, path);
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
  if (x.ndim === 0 || x.ndim > 255) {
    throw new ValueError(`encodeIdx: IDX files hold 1 to 255 dimensions, the array has shape ${fmtShape(x.shape)}; reshape it first`);
  }
  const code = CODE_OF_DTYPE[x.dtype];
  if (code === undefined) throw new DTypeError(`encodeIdx: IDX files have no ${x.dtype} type; convert with x.astype('float32') first`);
  const bytesPer = IDX_TYPES[code]!.bytes;
  const header = 4 + 4 * x.ndim;
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
  return options.gzip ? gzipSync(out) : out;
}

/**
 * Writes an NDArray as an IDX file, gzipped when the path ends in `.gz` unless `gzip` says otherwise.
 * @example writeIdxSync('tests/data/tiny-images-idx3-ubyte.gz', images);
 */
export function writeIdxSync(path: string, x: NDArray, options: IdxWriteOptions = {}): void {
  writeFileSync(path, encodeIdx(x, { gzip: options.gzip ?? path.endsWith('.gz') }));
}

/** Asynchronous `writeIdxSync`. */
export async function writeIdx(path: string, x: NDArray, options: IdxWriteOptions = {}): Promise<void> {
  await writeFile(path, encodeIdx(x, { gzip: options.gzip ?? path.endsWith('.gz') }));
}
