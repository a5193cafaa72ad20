import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeTinyMnist } from '../data/fixtures.js';

// CI has no Fashion-MNIST: the example runs on small IDX files in the real layout, found through
// $TSGLUON_DATASETS, which checks the whole program (data lookup, loop, evaluation, curves).
test('examples/fashion-mnist-mlp.ts runs end to end on IDX files found through TSGLUON_DATASETS', () => {
  const datasets = tempDir();
  mkdirSync(join(datasets, 'fashion-mnist'));
  writeTinyMnist(join(datasets, 'fashion-mnist'), { nTrain: 512, nTest: 256 });
  const curves = join(tempDir(), 'curves.svg');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/fashion-mnist-mlp.ts', '--epochs', '2', '--curves', curves], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TSGLUON_DATASETS: datasets },
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /512 training and 256 test images/);
  assert.match(run.stdout, /epoch 2, loss [\d.]+, train acc [\d.]+, test acc [\d.]+, [\d.]+ s \(\d+ samples\/s\)/);
  assert.match(run.stdout, /final test accuracy [\d.]+; mean epoch time [\d.]+ s/);
  assert.match(run.stdout, /curves: /);
});
