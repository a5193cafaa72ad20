import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, metric, nn } from '../../src/index.js';

test('the demo (quick run: one epoch) learns the bundled digits, draws its curves and saves a loadable network', () => {
  const out = mkdtempSync(join(tmpdir(), 'tsgluon-demo-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/demo.ts', '--quick', '--out', out], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(run.status, 0, `demo failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /0\.weight\s+dense\d+_weight\s+\(256, 0\)\s+pending/);
  assert.match(run.stdout, /0\.weight\s+dense\d+_weight\s+\(256, 784\)\s+initialized/);
  const result = JSON.parse(readFileSync(join(out, 'demo-result.json'), 'utf8')) as { testAccuracy: number; epochs: number };
  assert.equal(result.epochs, 1);
  // One epoch reaches about 0.93 on the 2,000 held-out digits (0.96 after the full 10 epochs).
  assert.ok(result.testAccuracy >= 0.9, `test accuracy after one epoch: ${result.testAccuracy}`);
  const svg = readFileSync(join(out, 'demo-mlp-curves.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]*width="\d+"/);
  assert.match(svg, /test accuracy/);

  // The saved parameters reproduce the reported accuracy in a fresh network (no initialize()).
  const net = new nn.Sequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.loadParameters(join(out, 'demo-mlp.safetensors'));
  const { vision, DataLoader } = gluon.data;
  const transform = new vision.transforms.Compose([new vision.transforms.ToTensor(), new vision.transforms.Normalize(0.1307, 0.3081)]);
  const acc = new metric.Accuracy();
  for (const [x, y] of new DataLoader(new vision.Digits({ train: false, transform }), { batchSize: 1000 })) acc.update(y, net.forward(x));
  assert.ok(Math.abs(acc.get()[1] - result.testAccuracy) < 1e-9, `reloaded ${acc.get()[1]} vs ${result.testAccuracy}`);
});
