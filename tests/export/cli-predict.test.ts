import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, idx, nd } from '../../src/index.js';
import { formatPredictions, predict } from '../../src/cli/predict.js';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgluon-predict-'));

test('tsgluon predict runs an ONNX model and an MXNet symbol + params on an IDX file, with the same classes as the block', () => {
  const images = nd.array([[[0, 255, 3, 80]], [[200, 1, 7, 9]], [[9, 9, 250, 0]]], { dtype: 'uint8' });
  const input = join(dir, 'samples.idx');
  idx.writeIdxSync(input, images);
  const net = gluon.SymbolBlock.imports('tests/fixtures/mxnet/mlp-symbol.json', ['data'], 'tests/fixtures/mxnet/mlp-0000.params');
  const x = images.astype('float32').div(255).reshape([3, 4]);
  const want = net.forward(x).argmax(1).toArray();
  const fromSymbol = predict({ model: 'tests/fixtures/mxnet/mlp-symbol.json', input, shape: [-1, 4], top: 2 });
  assert.deepEqual(fromSymbol.map((p) => p.classes[0]), want);
  assert.equal(fromSymbol[0]!.scores.length, 2);
  const onnxPath = join(dir, 'mlp.onnx');
  net.exportOnnx(onnxPath, [[1, 4]]);
  const fromOnnx = predict({ model: onnxPath, input, shape: [-1, 4] });
  assert.deepEqual(fromOnnx.map((p) => p.classes[0]), want);
  assert.match(formatPredictions(fromOnnx), /^0\t\d \(-?[\d.]+\)\n1\t/);
});

test('tsgluon predict reports a missing params file and a bad model path as one-line errors', async () => {
  const err: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['predict', '--model', join(dir, 'x-symbol.json'), 'in.idx']), 1);
    assert.equal(await main(['predict', '--model', 'model.pt', 'in.idx']), 1);
  } finally {
    process.stderr.write = write;
  }
  assert.match(err[0]!, /tsgluon: error: predict: no parameters for .*x-symbol.json; pass --params FILE/);
  assert.match(err[1]!, /--model must be an \.onnx file or an MXNet name-symbol\.json file/);
});
