/**
 * Gzip for the io readers and writers: Node's zlib where there is Node (loaded on first use), the
 * web's DecompressionStream / CompressionStream elsewhere. The web streams are asynchronous only,
 * so in a browser the synchronous functions raise a PlatformError naming the asynchronous one.
 */
import { isNode, nodeModule } from '../core/platform.js';

type Zlib = typeof import('node:zlib');
type ZlibOptions = import('node:zlib').ZlibOptions;
const zlib = (purpose: string, instead: string) => nodeModule<Zlib>('node:zlib', purpose, instead);

/** Decompresses gzip bytes synchronously (Node). `purpose` and `instead` shape the browser's error. */
export function gunzipSync(bytes: Uint8Array, purpose: string, instead: string, options: ZlibOptions = {}): Uint8Array {
  return zlib(purpose, instead).gunzipSync(bytes, options);
}

/** Decompresses what a prefix of a gzip stream holds (no error for the missing end; Node). */
export function gunzipPrefixSync(bytes: Uint8Array, purpose: string, instead: string): Uint8Array {
  const z = zlib(purpose, instead);
  return z.gunzipSync(bytes, { finishFlush: z.constants.Z_SYNC_FLUSH });
}

/** Compresses to gzip synchronously (Node). */
export function gzipSync(bytes: Uint8Array, purpose: string, instead: string): Uint8Array {
  return zlib(purpose, instead).gzipSync(bytes);
}

/**
 * Decompresses gzip bytes without blocking: zlib in Node, DecompressionStream in a browser. In
 * Node, `maxOutputLength` bounds the output (an ERR_BUFFER_TOO_LARGE error beyond it).
 */
export async function gunzip(bytes: Uint8Array, options: ZlibOptions = {}): Promise<Uint8Array> {
  if (isNode()) {
    const z = zlib('decompressing gzip', '');
    return new Promise((resolve, reject) => z.gunzip(bytes, options, (err, out) => (err ? reject(err) : resolve(out))));
  }
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
