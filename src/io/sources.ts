/**
 * Bytes from wherever a browser has them: a fetch Response, a Blob or File, an ArrayBuffer or a
 * typed array. Used by the loaders that take such sources (`net.loadParametersFrom`).
 */
import { FormatError, ValueError } from '../core/errors.js';

/** What `bytesFrom` accepts. */
export type ByteSource = Response | Blob | ArrayBuffer | ArrayBufferView;

/** Reads the whole source; a Response that is not ok is an error naming its URL and status. */
export async function bytesFrom(source: ByteSource, caller: string): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new FormatError(`${caller}: ${source.url || 'the response'} answered HTTP ${source.status} ${source.statusText}`.trimEnd());
    return new Uint8Array(await source.arrayBuffer());
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  throw new ValueError(`${caller}: expected a fetch Response, a Blob, an ArrayBuffer or a typed array, got ${source === null ? 'null' : typeof source}`);
}
