/**
 * Reading and writing whole files safely, for every reader and writer of the library (safetensors
 * arrays and parameters, IDX datasets). The byte-level formats stay free of Node so they run in
 * browsers too; node:fs is loaded when a file is first read or written, and in a browser these
 * functions raise a PlatformError pointing at the byte-level variants.
 *
 * Reads are bounded: the path is checked first (a string without NUL), the file is opened without
 * blocking and examined through its own descriptor, anything that is not a regular file (a
 * folder, a FIFO that would block forever, /dev/zero that never ends) is refused, and so is a file
 * larger than the allocation limit (core/limits.ts), before a byte is read.
 *
 * Writes are atomic and refuse to replace anything but a regular file: the bytes go to a fresh
 * temporary file next to the target (created exclusively, flushed to disk), which is then renamed
 * over it, so a crash mid-save never leaves a half-written model behind, and a symlink, a device
 * or a folder at the target is never replaced. Every error is a FormatError that starts with the
 * function the user called and names the user's path, never the temporary file.
 */
import { FormatError, fmtValue } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import { nodeModule } from '../core/platform.js';
import { publicOp } from '../core/public.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { decodeArrays, encodeArrays, type SaveArraysOptions } from './nd-bytes.js';

let tempCounter = 0;

type Stats = import('node:fs').Stats;

const BYTES_INSTEAD =
  'in a browser, pass bytes instead: nd.loadBytes and net.loadParametersBytes take an ArrayBuffer or Uint8Array, ' +
  'net.loadParametersFrom(await fetch(url)) a fetch Response or a Blob; nd.saveBytes and net.saveParametersBytes return a Uint8Array, net.saveParametersBlob a Blob';
// Node's modules load on first use (core/platform.ts), so this file imports nothing a browser lacks.
const fs = (purpose: string) => nodeModule<typeof import('node:fs')>('node:fs', purpose, BYTES_INSTEAD);
const fsp = (purpose: string) => nodeModule<typeof import('node:fs/promises')>('node:fs/promises', purpose, BYTES_INSTEAD);
const paths = (purpose: string) => nodeModule<typeof import('node:path')>('node:path', purpose, BYTES_INSTEAD);

/** Throws unless `path` is a usable file name: a non-empty string without NUL bytes. */
function checkPath(op: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new FormatError(`${op}: the path must be a non-empty string, got ${fmtValue(path)}`);
  if (path.includes('\0')) throw new FormatError(`${op}: the path ${JSON.stringify(path)} contains a NUL byte, which no file name can hold`);
}

/** What a file system entry is, for messages: "a folder", "a FIFO (named pipe)"... */
function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'neither a file nor a directory';
}

/** A FormatError for a failed system call on `path`, in words where the code is a common one. */
function ioError(op: string, verb: 'read' | 'write', path: string, e: unknown): FormatError {
  if (e instanceof FormatError) return e;
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOENT: verb === 'read' ? 'no such file' : `the directory ${paths(`writing ${path}`).dirname(path)} does not exist`,
    ENOTDIR: 'a component of the path is not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a directory',
    ENOSPC: 'no space left on the device',
    EROFS: 'the file system is read-only',
    ENAMETOOLONG: 'the path is too long',
    ELOOP: 'too many levels of symbolic links',
  };
  return new FormatError(`${op}: cannot ${verb} ${path}: ${why[err.code ?? ''] ?? err.message}`);
}

/** Opens `path` for reading without blocking and checks, on the open descriptor, that it is a regular file within the limit. */
function openForRead(op: string, path: string): { fd: number; size: number } {
  const { closeSync, constants, fstatSync, openSync, statSync } = fs(`reading ${path}`);
  // A FIFO is refused before opening it: even a non-blocking open of one can stall a reader.
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw ioError(op, 'read', path, e);
  }
  if (!st.isFile()) throw new FormatError(`${op}: cannot read ${path}: it is ${kindOf(st)}, not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(op, 'read', path, e);
  }
  try {
    // The descriptor's own stat: the name may have been swapped for something else meanwhile.
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw new FormatError(`${op}: cannot read ${path}: it is ${kindOf(fst)}, not a regular file`);
    checkAllocation(fst.size, 1, () => `${op}: reading ${path} (${fst.size} bytes)`);
    return { fd, size: fst.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Reads a whole regular file within the allocation limit. `op` (the function the user called)
 * starts every error message.
 * @example const bytes = readFileBytes('model.safetensors', 'loadParameters');
 */
export function readFileBytes(path: string, op: string): Uint8Array {
  checkPath(op, path);
  const { fd, size } = openForRead(op, path);
  const { closeSync, readSync } = fs(`reading ${path}`);
  try {
    const out = new Uint8Array(size);
    let at = 0;
    // Never more than the size seen at open, even if the file grows meanwhile.
    while (at < size) {
      const k = readSync(fd, out, at, size - at, at);
      if (k === 0) break;
      at += k;
    }
    return at === size ? out : out.subarray(0, at);
  } catch (e) {
    throw ioError(op, 'read', path, e);
  } finally {
    closeSync(fd);
  }
}

/** `readFileBytes` without blocking the event loop while the bytes are read. */
export async function readFileBytesAsync(path: string, op: string): Promise<Uint8Array> {
  checkPath(op, path);
  const { fd, size } = openForRead(op, path);
  const { closeSync, constants } = fs(`reading ${path}`);
  closeSync(fd);
  let handle;
  try {
    handle = await fsp(`reading ${path}`).open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw ioError(op, 'read', path, e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > size) throw new FormatError(`${op}: cannot read ${path}: the file changed while it was being opened`);
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(out, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === size ? out : out.subarray(0, at);
  } catch (e) {
    throw ioError(op, 'read', path, e);
  } finally {
    await handle.close();
  }
}

/**
 * Writes `bytes` to `path` atomically (a temporary file in the same folder, flushed, renamed
 * over the target). Refuses to replace anything but a regular file.
 * @example writeFileBytes('model.safetensors', bytes, 'saveParameters');
 */
export function writeFileBytes(path: string, bytes: Uint8Array, op: string): void {
  checkPath(op, path);
  const { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, rmSync, statSync, writeSync } = fs(`writing ${path}`);
  const { basename, dirname, join } = paths(`writing ${path}`);
  const folder = dirname(path);
  let dirStat: Stats;
  try {
    dirStat = statSync(folder);
  } catch (e) {
    throw ioError(op, 'write', path, e);
  }
  if (!dirStat.isDirectory()) throw new FormatError(`${op}: cannot write ${path}: ${folder} is ${kindOf(dirStat)}, not a directory`);
  let existing: Stats | null = null;
  try {
    existing = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(op, 'write', path, e);
  }
  if (existing !== null && !existing.isFile()) {
    throw new FormatError(`${op}: refusing to replace ${path}: it is ${kindOf(existing)}; save to a regular file (or remove it first)`);
  }
  const temp = join(folder, `.${basename(path)}.tmp-${process.pid}-${Date.now()}-${tempCounter++}`);
  let fd = -1;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(temp, path);
  } catch (e) {
    // Cleanup failures must not hide the error that matters.
    try {
      if (fd >= 0) closeSync(fd);
      rmSync(temp, { force: true });
    } catch {
      // The temporary file may not exist; nothing else to do.
    }
    throw ioError(op, 'write', path, e);
  }
}

/** Prefixes an error's message with the file it came from, keeping its class. */
export function inFile<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(path)) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/**
 * Saves a dictionary (or list) of NDArrays to a safetensors file.
 * @example nd.save('arrays.safetensors', { x: nd.arange(4), y: nd.eye(2) })
 */
export const save = publicOp('save', function save(path: string, arrays: Readonly<Record<string, NDArray>> | readonly NDArray[], options: SaveArraysOptions = {}): void {
  checkPath('save', path);
  writeFileBytes(path, encodeArrays(arrays, options), 'save');
}, 2);

/**
 * Loads every tensor of a safetensors file into a dictionary of NDArrays.
 * @example const { x, y } = nd.load('arrays.safetensors')
 */
export const load = publicOp('load', function load(path: string): Record<string, NDArray> {
  const bytes = readFileBytes(path, 'load');
  return inFile(path, () => decodeArrays(bytes));
});
