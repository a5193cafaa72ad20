import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { FormatError } from '../../src/index.js';
import { DownloadError, downloadFile, fileDigest, vision } from '../../src/gluon/data/index.js';
import { encodeIdx } from '../../src/io/idx.js';
import { tempDir, tinyMnistArrays } from './fixtures.js';

const { images, labels } = tinyMnistArrays(20);
const files: Record<string, Uint8Array> = {
  'train-images-idx3-ubyte.gz': encodeIdx(images, { gzip: true }),
  'train-labels-idx1-ubyte.gz': encodeIdx(labels, { gzip: true }),
};
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let server: Server;
let base = '';
const hits: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? '').split('/').pop() ?? '';
    hits.push(req.url ?? '');
    const body = files[name];
    if (req.url?.startsWith('/broken/')) {
      res.writeHead(500);
      res.end('boom');
    } else if (body === undefined || req.url?.startsWith('/missing/')) {
      res.writeHead(404);
      res.end('not found');
    } else if (req.url?.startsWith('/cut/')) {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, 10));
      res.destroy();
    } else {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

test('downloadFile streams to disk and verifies SHA-256 and MD5', async () => {
  const dir = tempDir();
  const body = files['train-labels-idx1-ubyte.gz']!;
  const dest = join(dir, 'sub', 'labels.gz');
  await downloadFile(`${base}/ok/train-labels-idx1-ubyte.gz`, dest, { checksum: { sha256: sha256(body) }, progress: false });
  assert.ok(Buffer.from(body).equals(readFileSync(dest)));
  assert.equal(await fileDigest(dest, 'md5'), md5(body));
  const dest2 = join(dir, 'labels2.gz');
  await downloadFile(`${base}/ok/train-labels-idx1-ubyte.gz`, dest2, { checksum: { md5: md5(body).toUpperCase() }, progress: true });
  assert.ok(existsSync(dest2));
});

test('a checksum mismatch is a FormatError and leaves no file behind', async () => {
  const dir = tempDir();
  const dest = join(dir, 'labels.gz');
  await assert.rejects(
    downloadFile(`${base}/ok/train-labels-idx1-ubyte.gz`, dest, { checksum: { md5: '0'.repeat(32) }, progress: false }),
    (e: unknown) => e instanceof FormatError && /MD5 checksum mismatch: expected 0{32}, got [0-9a-f]{32}/.test(e.message),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('mirrors are tried in order; HTTP errors and cut transfers fall through to the next one', async () => {
  const dir = tempDir();
  const body = files['train-images-idx3-ubyte.gz']!;
  hits.length = 0;
  const dest = join(dir, 'images.gz');
  await downloadFile(
    ['broken', 'missing', 'cut', 'ok'].map((m) => `${base}/${m}/train-images-idx3-ubyte.gz`),
    dest,
    { checksum: { md5: md5(body) }, progress: false },
  );
  assert.deepEqual(hits, ['/broken/', '/missing/', '/cut/', '/ok/'].map((m) => `${m}train-images-idx3-ubyte.gz`));
  assert.ok(Buffer.from(body).equals(readFileSync(dest)));
  await assert.rejects(
    downloadFile([`${base}/broken/x.gz`, `${base}/missing/x.gz`], join(dir, 'x.gz'), { progress: false }),
    (e: unknown) => e instanceof DownloadError && /HTTP 500/.test(e.message) && /HTTP 404/.test(e.message),
  );
  await assert.rejects(downloadFile('http://127.0.0.1:1/nothing.gz', join(dir, 'y.gz'), { progress: false }), DownloadError);
  assert.deepEqual(readdirSync(dir).sort(), ['images.gz']);
});

test('MNIST.load downloads missing files into root, verifies them, then reads them', async () => {
  class TinyMNIST extends vision.MNIST {
    static override resources = {
      ...vision.MNIST.resources,
      name: 'tiny-mnist',
      mirrors: [`${base}/missing/`, `${base}/ok/`],
      systemDirs: [],
      train: {
        images: { file: 'train-images-idx3-ubyte.gz', md5: md5(files['train-images-idx3-ubyte.gz']!) },
        labels: { file: 'train-labels-idx1-ubyte.gz', md5: md5(files['train-labels-idx1-ubyte.gz']!) },
      },
    };
  }
  const root = tempDir();
  const ds = await TinyMNIST.load({ root, progress: false });
  assert.ok(ds instanceof TinyMNIST);
  assert.equal(ds.length, 20);
  assert.equal(ds.get(7)[1].item(), 7);
  assert.deepEqual(readdirSync(root).sort(), ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
  // now present: the synchronous constructor finds them
  assert.equal(new TinyMNIST({ root }).length, 20);
  await assert.rejects(TinyMNIST.load({ root: tempDir(), download: false }), vision.DatasetNotFoundError);
  const before = hits.length;
  process.env['TSGLUON_OFFLINE'] = '1';
  try {
    await assert.rejects(TinyMNIST.load({ root: tempDir() }), vision.DatasetNotFoundError);
  } finally {
    delete process.env['TSGLUON_OFFLINE'];
  }
  assert.equal(hits.length, before, 'TSGLUON_OFFLINE=1: no request was made');
});

test('MNIST.load rejects files whose checksum differs from the real MNIST', async () => {
  const root = tempDir();
  await assert.rejects(
    vision.MNIST.load({ root, mirrors: [`${base}/ok/`], progress: false }),
    (e: unknown) => e instanceof FormatError && /train-images-idx3-ubyte\.gz: MD5 checksum mismatch: expected f68b3c2dcbeaaa9fbdd348bbdeb94873/.test(e.message),
  );
  assert.deepEqual(readdirSync(root), []);
});
