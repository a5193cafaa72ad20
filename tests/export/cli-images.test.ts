// `tsgluon predict` on PNG and JPEG images: decoding (fixtures from
// tests/fixtures/images/make_images.mjs, whose pixel formulas give the expected values), the
// conversion to the model's channels, the bilinear resize (checked against PyTorch's
// interpolate(mode='bilinear', align_corners=False) through Debian's python3-torch), the
// [0, 1] scaling and --mean/--std normalization, and predictions equal to the block's own on the
// same tensor, from an ONNX model (its input shape gives C, H, W) and a symbol file (--shape).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd } from '../../src/index.js';
import { FormatError, ValueError } from '../../src/core/errors.js';
import { imageTensor, readImage, resizeBilinear } from '../../src/cli/images.js';
import { predict } from '../../src/cli/predict.js';
import { main } from '../../src/cli/main.js';
import { maxDiff, python } from './interop-tools.js';

const fixtures = 'tests/fixtures/images';
const rgbPng = join(fixtures, 'rgb-6x4.png');
const alphaPng = join(fixtures, 'gray-alpha-3x3.png');
const jpg = join(fixtures, 'gradient-16x16.jpg');
const dir = mkdtempSync(join(tmpdir(), 'tsgluon-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('PNG decodes to the exact pixels, alpha dropped; JPEG (quality 100) within 4 levels', () => {
  const img = readImage(rgbPng);
  assert.deepEqual([img.width, img.height], [6, 4]);
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 6; x++) assert.deepEqual(Array.from(img.data.subarray(4 * (y * 6 + x), 4 * (y * 6 + x) + 3)), [40 * x, 60 * y, 255 - 30 * (x + y)]);
  }
  const t = imageTensor(img, { channels: 3, height: 4, width: 6 });
  assert.deepEqual(t.shape, [1, 3, 4, 6]);
  assert.equal(t.storage[(0 * 4 + 1) * 6 + 5], Math.fround(200 / 255), 'R at x 5, y 1');
  assert.equal(t.storage[(2 * 4 + 3) * 6 + 2], Math.fround(105 / 255), 'B at x 2, y 3');
  // Gray with alpha: the luma of R = G = B is that value, whatever the alpha.
  const gray = imageTensor(readImage(alphaPng), { channels: 1, height: 3, width: 3 });
  assert.deepEqual(Array.from(gray.storage).map((v) => Math.round(v * 255)), [100, 115, 130, 145, 160, 175, 190, 205, 220]);
  const j = readImage(jpg);
  assert.deepEqual([j.width, j.height], [16, 16]);
  let worst = 0;
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) [8 * x, 8 * y, 128].forEach((v, c) => (worst = Math.max(worst, Math.abs(j.data[4 * (16 * y + x) + c]! - v))));
  assert.ok(worst <= 4, `JPEG error ${worst}`);
});

test('grayscale uses ITU-R 601-2 luma; mean and std normalize per channel', () => {
  const img = { width: 1, height: 1, data: Uint8Array.from([200, 100, 50, 255]) };
  const g = imageTensor(img, { channels: 1, height: 1, width: 1, mean: [0.5], std: [0.25] });
  assert.ok(Math.abs(g.item() - ((200 * 0.299 + 100 * 0.587 + 50 * 0.114) / 255 - 0.5) / 0.25) < 1e-6);
  const c = imageTensor(img, { channels: 3, height: 1, width: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  [200, 100, 50].forEach((v, i) => assert.ok(Math.abs(c.storage[i]! - (v / 255 - [0.485, 0.456, 0.406][i]!) / [0.229, 0.224, 0.225][i]!) < 1e-6));
  assert.throws(() => imageTensor(img, { channels: 3, height: 1, width: 1, mean: [0, 0] }), (e: unknown) => e instanceof ValueError && /--mean has 2 values but the model takes 3 channels/.test(e.message));
  assert.throws(() => imageTensor(img, { channels: 2, height: 1, width: 1 }), /1 \(grayscale\) or 3 \(RGB\) channels/);
});

test('bilinear resize: half-pixel centres by hand, and equal to PyTorch interpolate(align_corners=False) up and down', () => {
  // 1 x 2 -> 1 x 4: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
  assert.deepEqual(Array.from(resizeBilinear(Float64Array.from([0, 10]), 1, 2, 1, 4)), [0, 2.5, 7.5, 10]);
  const img = readImage(rgbPng);
  const sizes: [number, number][] = [[7, 9], [2, 3], [4, 6]];
  const ours = sizes.map(([h, w]) => imageTensor(img, { channels: 3, height: h, width: w, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }));
  const script = `
import json, sys, torch
import torch.nn.functional as F
px = torch.tensor(json.loads(sys.argv[1]), dtype=torch.float64).reshape(4, 6, 4)[:, :, :3].permute(2, 0, 1)[None]
mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64).reshape(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64).reshape(1, 3, 1, 1)
out = [((F.interpolate(px, size=s, mode='bilinear', align_corners=False) / 255 - mean) / std).flatten().tolist() for s in json.loads(sys.argv[2])]
print(json.dumps(out))`;
  const torchOut = JSON.parse(python(['-c', script, JSON.stringify(Array.from(img.data)), JSON.stringify(sizes)])) as number[][];
  ours.forEach((t, i) => assert.ok(maxDiff(t, nd.array(torchOut[i]!).reshape(t.shape)) < 1e-5, `size ${sizes[i]}: ${maxDiff(t, nd.array(torchOut[i]!).reshape(t.shape))}`));
});

test('predict on PNG and JPEG images: ONNX input shape or --shape, same classes as the block on the same tensors', async () => {
  nd.random.seed(2);
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Conv2D(4, 3, { padding: 1, activation: 'relu' }), new gluon.nn.GlobalAvgPool2D(), new gluon.nn.Dense(5));
  net.initialize({ init: 'xavier', inputShape: [1, 3, 8, 8] });
  net.hybridize();
  net.forward(nd.zeros([1, 3, 8, 8]));
  const onnx = join(dir, 'tiny.onnx');
  net.exportOnnx(onnx);
  const files = net.export(join(dir, 'tiny'));
  const norm = { mean: [0.5], std: [0.2] };
  const x = nd.concat([rgbPng, jpg, alphaPng].map((f) => imageTensor(readImage(f), { channels: 3, height: 8, width: 8, ...norm })), { axis: 0 });
  const want = net.forward(x).argmax(1).toArray();
  const viaOnnx = predict({ model: onnx, input: [rgbPng, jpg, alphaPng], top: 2, ...norm });
  assert.deepEqual(viaOnnx.map((p) => p.classes[0]), want);
  const viaSymbol = predict({ model: files.symbol, input: [rgbPng, jpg, alphaPng], shape: [1, 3, 8, 8], ...norm });
  assert.deepEqual(viaSymbol.map((p) => p.classes[0]), want);
  assert.throws(() => predict({ model: files.symbol, input: [rgbPng] }), (e: unknown) => e instanceof ValueError && /images need the model's input as \(N, C, H, W\).*--shape/.test(e.message));
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  try {
    assert.equal(await main(['predict', '--model', onnx, '--mean', '0.5', '--std', '0.2', rgbPng, jpg, alphaPng]), 0);
  } finally {
    process.stdout.write = write;
  }
  assert.deepEqual(out.join('').trim().split('\n').map((l) => Number(l.split('\t')[1]!.split(' ')[0])), want);
});

test('a file that is no image, a hostile PNG header and a mixed input list are typed errors', () => {
  const fake = join(dir, 'fake.png');
  writeFileSync(fake, 'not an image at all');
  assert.throws(() => readImage(fake), (e: unknown) => e instanceof FormatError && /neither a PNG nor a JPEG/.test(e.message));
  // A valid signature and an IHDR declaring 100000 x 100000 pixels: refused before decoding.
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12);
  header.writeUInt32BE(100000, 16);
  header.writeUInt32BE(100000, 20);
  const huge = join(dir, 'huge.png');
  writeFileSync(huge, header);
  assert.throws(() => readImage(huge), (e: unknown) => e instanceof FormatError && /100000 x 100000 image, over the 64 megapixel limit/.test(e.message));
  const truncated = join(dir, 'truncated.png');
  writeFileSync(truncated, header.subarray(0, 24).fill(0, 16, 24).fill(1, 19, 20).fill(1, 23, 24));
  assert.throws(() => readImage(truncated), (e: unknown) => e instanceof FormatError && /not a readable PNG image/.test(e.message));
  assert.throws(() => predict({ model: 'tests/fixtures/mxnet/mlp-symbol.json', input: [rgbPng, 'x.idx'], shape: [1, 1, 2, 2] }), /x\.idx is not a \.png\/\.jpg\/\.jpeg image/);
});
