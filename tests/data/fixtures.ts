/**
 * Test fixtures: small IDX files in the real MNIST layout, written into a fresh temporary folder
 * by each test that needs them (nothing is committed or downloaded).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd } from '../../src/index.js';
import { encodeIdx } from '../../src/io/idx.js';

/** A fresh temporary folder. */
export function tempDir(prefix = 'tsgluon-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `n` images of 28x28 where image i has every pixel equal to (i * 7) % 256, labels i % 10. */
export function tinyMnistArrays(n: number): { images: nd.NDArray; labels: nd.NDArray } {
  const px = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) px.fill((i * 7) % 256, i * 784, (i + 1) * 784);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return {
    images: nd.array(px, { shape: [n, 28, 28], dtype: 'uint8' }),
    labels: nd.array(labels, { dtype: 'uint8' }),
  };
}

/** Writes MNIST-named IDX files (gzipped or not) for a training set of `nTrain` and a test set of `nTest`. */
export function writeTinyMnist(dir: string, options: { nTrain?: number; nTest?: number; gzip?: boolean } = {}): void {
  const { nTrain = 30, nTest = 12, gzip = true } = options;
  const ext = gzip ? '.gz' : '';
  for (const [prefix, n] of [['train', nTrain], ['t10k', nTest]] as const) {
    const { images, labels } = tinyMnistArrays(n);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), encodeIdx(images, { gzip }));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), encodeIdx(labels, { gzip }));
  }
}
