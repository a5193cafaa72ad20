/**
 * The only io file that touches the file system, so the byte-level code stays usable in
 * browsers: node:fs is loaded when a file is first read or written (core/platform.ts), and in a
 * browser these functions raise a PlatformError pointing at the byte-level variants. Writes are
 * atomic: the bytes go to a temporary file next to the target, which is then renamed over it, so
 * a crash mid-save never leaves a half-written model behind.
 */
import { FormatError } from '../core/errors.js';
import { nodeModule } from '../core/platform.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { loadBytes, saveBytes, type SaveArraysOptions } from './nd-bytes.js';

let tempCounter = 0;

const BYTES_INSTEAD =
  'in a browser, pass bytes instead: nd.loadBytes and net.loadParametersBytes take an ArrayBuffer or Uint8Array, ' +
  'net.loadParametersFrom(await fetch(url)) a fetch Response or a Blob; nd.saveBytes and net.saveParametersBytes return a Uint8Array, net.saveParametersBlob a Blob';
const fs = (purpose: string) => nodeModule<typeof import('node:fs')>('node:fs', purpose, BYTES_INSTEAD);

/** Reads a whole file; any I/O failure becomes a FormatError naming the path. */
export function readFileBytes(path: string): Uint8Array {
  const { readFileSync } = fs(`reading ${path}`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FormatError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Writes `bytes` to `path` atomically (temporary file + rename). */
export function writeFileBytes(path: string, bytes: Uint8Array): void {
  const { renameSync, rmSync, writeFileSync } = fs(`writing ${path}`);
  const temp = `${path}.tmp-${process.pid}-${Date.now()}-${tempCounter++}`;
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new FormatError(`cannot write ${path}: ${(e as Error).message}`);
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
export function save(path: string, arrays: Readonly<Record<string, NDArray>> | readonly NDArray[], options: SaveArraysOptions = {}): void {
  writeFileBytes(path, saveBytes(arrays, options));
}

/**
 * Loads every tensor of a safetensors file into a dictionary of NDArrays.
 * @example const { x, y } = nd.load('arrays.safetensors')
 */
export function load(path: string): Record<string, NDArray> {
  const bytes = readFileBytes(path);
  return inFile(path, () => loadBytes(bytes));
}
