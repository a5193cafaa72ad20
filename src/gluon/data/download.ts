/**
 * Downloading dataset files with Node's `fetch`: streamed to `<dest>.part` while a SHA-256 or MD5
 * digest is computed, verified, then renamed into place, so an interrupted or corrupted download
 * never leaves a file that looks complete. Several mirrors may be given; each is tried in turn.
 * A progress bar (cli-progress) is drawn on stderr when it is a terminal. Files are a Node
 * matter: node:crypto, node:fs and cli-progress load on first use (core/platform.ts), and in a
 * browser these functions raise a PlatformError.
 */
import type cliProgressModule from 'cli-progress';
import { FormatError, TsGluonError } from '../../core/errors.js';
import { nodeModule, nodeRequire } from '../../core/platform.js';

const INSTEAD = 'in a browser, fetch(url) the file and use its bytes';
const crypto = (purpose: string) => nodeModule<typeof import('node:crypto')>('node:crypto', purpose, INSTEAD);
const fs = (purpose: string) => nodeModule<typeof import('node:fs')>('node:fs', purpose, INSTEAD);
const fsp = (purpose: string) => nodeModule<typeof import('node:fs/promises')>('node:fs/promises', purpose, INSTEAD);
const path = (purpose: string) => nodeModule<typeof import('node:path')>('node:path', purpose, INSTEAD);

/** A download failed: every mirror was unreachable or answered with an error. */
export class DownloadError extends TsGluonError {}

/** The expected digest of a file (hex): give one of them. */
export interface Checksum {
  sha256?: string;
  md5?: string;
}

/** Options of `downloadFile`. */
export interface DownloadOptions {
  /** The expected digest; the file is rejected (and deleted) when it differs. */
  checksum?: Checksum;
  /** Draw a progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  /** A label for the progress bar and messages (default: the file name of the URL). */
  label?: string;
}

function digestSpec(checksum: Checksum | undefined): { algorithm: 'sha256' | 'md5'; expected: string } | null {
  if (checksum?.sha256) return { algorithm: 'sha256', expected: checksum.sha256.toLowerCase() };
  if (checksum?.md5) return { algorithm: 'md5', expected: checksum.md5.toLowerCase() };
  return null;
}

/** The hex digest of a file on disk. */
export async function fileDigest(path: string, algorithm: 'sha256' | 'md5'): Promise<string> {
  const hash = crypto(`hashing ${path}`).createHash(algorithm);
  for await (const chunk of fs(`reading ${path}`).createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function fetchOne(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const purpose = `downloading ${dest}`;
  const { mkdir, rename, rm } = fsp(purpose);
  const label = options.label ?? url.split('/').pop() ?? url;
  const response = await fetch(url);
  if (!response.ok || response.body === null) {
    throw new DownloadError(`${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const total = Number(response.headers.get('content-length') ?? 0);
  const spec = digestSpec(options.checksum);
  const hash = spec ? crypto(purpose).createHash(spec.algorithm) : null;
  const part = `${dest}.part`;
  await mkdir(path(purpose).dirname(dest), { recursive: true });
  const out = fs(purpose).createWriteStream(part);
  const showBar = options.progress ?? Boolean(process.stderr.isTTY);
  const cliProgress = showBar ? nodeRequire<typeof cliProgressModule>('cli-progress', import.meta.url, 'a progress bar') : null;
  const bar = cliProgress
    ? new cliProgress.SingleBar(
        { format: `${label} [{bar}] {percentage}% | {got} / {size}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(total || 1, 0, { got: '0 B', size: total ? formatBytes(total) : '?' });
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash?.update(chunk);
      received += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      bar?.update(total ? received : 0, { got: formatBytes(received) });
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    out.destroy();
    await rm(part, { force: true });
    throw new DownloadError(`${url}: the transfer failed after ${formatBytes(received)} (${(e as Error).message})`);
  } finally {
    bar?.stop();
  }
  if (total && received !== total) {
    await rm(part, { force: true });
    throw new DownloadError(`${url}: got ${received} bytes, the server announced ${total}; the transfer was cut`);
  }
  if (spec && hash) {
    const actual = hash.digest('hex');
    if (actual !== spec.expected) {
      await rm(part, { force: true });
      throw new FormatError(
        `${url}: ${spec.algorithm.toUpperCase()} checksum mismatch: expected ${spec.expected}, got ${actual}; ` +
          `the file was deleted (a corrupted transfer or a changed mirror)`,
      );
    }
  }
  await rename(part, dest);
}

/**
 * Downloads `urls` (tried in order until one succeeds) to `dest`, verifying the checksum.
 * Throws `FormatError` when a file arrives but its checksum differs, `DownloadError` when no
 * mirror could be reached.
 * @example
 * await downloadFile(['https://example.org/train-labels-idx1-ubyte.gz'], 'data/train-labels-idx1-ubyte.gz',
 *   { checksum: { md5: '25c81989df183df01b3e8a0aad5dffbe' } });
 */
export async function downloadFile(urls: string | readonly string[], dest: string, options: DownloadOptions = {}): Promise<void> {
  const list = typeof urls === 'string' ? [urls] : urls;
  const failures: string[] = [];
  let mismatch: FormatError | null = null;
  for (const url of list) {
    try {
      await fetchOne(url, dest, options);
      return;
    } catch (e) {
      if (e instanceof FormatError) mismatch = e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      failures.push(e instanceof TsGluonError ? e.message : `${url}: ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
    }
  }
  if (mismatch && failures.length === 1) throw mismatch;
  const ErrorClass = mismatch ? FormatError : DownloadError;
  throw new ErrorClass(`could not download ${dest}:\n  ${failures.join('\n  ')}`);
}
