/**
 * The allocation limit: one bound, in bytes, on every single allocation whose size comes from the
 * caller's input (an array's storage, an index table, a permutation, a sampler's buffer, a file
 * read, a decompressed payload, a JavaScript array handed back to the caller). It is checked
 * before allocating, so a huge shape, a hostile file header or a typo such as `zeros([2**33])`
 * becomes an `AllocationError` instead of an abort, a frozen machine or a `RangeError` from V8.
 *
 * The default is 4 GiB. `setMaxAllocation(bytes)` changes it at run time and the environment
 * variable `TSGLUON_MAX_ALLOCATION` at start-up; both accept a byte count or a size such as
 * `512M`, `8G` (binary units) or `Infinity`.
 *
 * JavaScript arrays live on V8's heap, which is far smaller than the machine's memory (about
 * 4 GiB by default) and aborts the process when exhausted, so each of their elements is counted
 * as `JS_ELEMENT_BYTES` (the 8-byte slot, growth copies and headers, with margin).
 */
import { AllocationError, ValueError } from './errors.js';

const KiB = 1024;
const UNITS: Readonly<Record<string, number>> = { '': 1, K: KiB, M: KiB ** 2, G: KiB ** 3, T: KiB ** 4 };

/** The limit when neither `setMaxAllocation` nor `TSGLUON_MAX_ALLOCATION` says otherwise: 4 GiB. */
export const DEFAULT_MAX_ALLOCATION = 4 * KiB ** 3;

/** What one element of a JavaScript array counts for against the limit, in bytes. */
export const JS_ELEMENT_BYTES = 64;

/** V8's largest typed array, in elements, whatever the limit. */
const MAX_TYPED_LENGTH = 2 ** 32;

/**
 * Parses a byte count: a non-negative number, optionally with a binary unit (K, M, G, T, with or
 * without `iB`/`B`), or `Infinity` for no limit. Null when `text` is not one.
 * @example parseBytes('512M') // 536870912
 */
export function parseBytes(text: string): number | null {
  const t = text.trim();
  if (/^(infinity|none|unlimited)$/i.test(t)) return Infinity;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(t);
  if (m === null) return null;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  return Number.isFinite(bytes) ? bytes : null;
}

function initialLimit(): number {
  const text = globalThis.process?.env?.['TSGLUON_MAX_ALLOCATION'];
  if (text === undefined || text === '') return DEFAULT_MAX_ALLOCATION;
  const bytes = parseBytes(text);
  if (bytes !== null && bytes > 0) return bytes;
  globalThis.process?.stderr?.write(
    `tsgluon: TSGLUON_MAX_ALLOCATION=${text} is not a size (use bytes, or a size such as 512M, 8G, Infinity); keeping the default ${formatBytes(DEFAULT_MAX_ALLOCATION)}\n`,
  );
  return DEFAULT_MAX_ALLOCATION;
}

let limit = initialLimit();

/** The allocation limit in bytes (Infinity when there is none). */
export function getMaxAllocation(): number {
  return limit;
}

/**
 * Sets the allocation limit: a positive byte count, a size string such as '8G', or Infinity.
 * @example setMaxAllocation('16G'); // allow arrays up to 16 GiB
 */
export function setMaxAllocation(bytes: number | string): void {
  const value = typeof bytes === 'string' ? parseBytes(bytes) : bytes;
  if (typeof value !== 'number' || !(value > 0) || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw new ValueError(`setMaxAllocation: expected a positive number of bytes, a size such as '512M' or '8G', or Infinity, got ${typeof bytes === 'string' ? JSON.stringify(bytes) : String(bytes)}`);
  }
  limit = value;
}

/** `n` bytes for people: `34359738368 bytes (32 GiB)`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'no limit';
  let unit = '';
  let v = n;
  for (const u of ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  const short = unit === '' ? `${n} bytes` : `${Number(v.toPrecision(3))} ${unit}`;
  return unit === '' ? short : `${n.toLocaleString('en-US').replace(/,/g, '')} bytes (${short})`;
}

/** The error for `bytes` requested for `what` (a phrase such as `a float32 array of shape (2, 3)`). */
export function allocationError(what: string, bytes: number): AllocationError {
  return new AllocationError(
    `${what} needs ${formatBytes(bytes)}, more than the allocation limit of ${formatBytes(limit)}; ` +
      `raise it with setMaxAllocation(bytes) or TSGLUON_MAX_ALLOCATION if the machine has the memory, or work in smaller pieces`,
  );
}

/** True when `count` elements of `bytesPerElement` bytes fit the limit and V8's typed arrays. */
export function fitsAllocation(count: number, bytesPerElement: number): boolean {
  return count * bytesPerElement <= limit && count <= MAX_TYPED_LENGTH;
}

/**
 * Refuses `count` elements of `bytesPerElement` bytes each when they pass the limit (or V8's
 * typed-array length). `what` describes the allocation in the message; it is only built on failure.
 * @example checkAllocation(n, 4, () => `a float32 array of ${n} elements`);
 */
export function checkAllocation(count: number, bytesPerElement: number, what: () => string): void {
  const bytes = count * bytesPerElement;
  if (bytes <= limit && count <= MAX_TYPED_LENGTH) return;
  if (bytes <= limit) {
    throw new AllocationError(`${what()} has ${count} elements; JavaScript typed arrays hold at most 2^32 (4294967296); work in smaller pieces`);
  }
  throw allocationError(what(), bytes);
}

/**
 * Refuses a JavaScript array of `count` elements when it passes the limit, each element counted
 * as `bytesPerElement` (default JS_ELEMENT_BYTES): V8 aborts the whole process when its heap
 * runs out. An element that is an object counts what the object takes.
 * @example checkJsArray(parts, () => `a list of ${parts} arrays`, NDARRAY_OBJECT_BYTES);
 */
export function checkJsArray(count: number, what: () => string, bytesPerElement = JS_ELEMENT_BYTES): void {
  if (count * bytesPerElement <= limit) return;
  throw allocationError(`${what()} (a JavaScript array; each element counts ${bytesPerElement} bytes of V8's heap)`, count * bytesPerElement);
}

/** What one NDArray object (without its storage) counts for: about 350 bytes measured, with margin. */
export const NDARRAY_OBJECT_BYTES = 1024;
