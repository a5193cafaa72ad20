import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeTinyMnist } from '../data/fixtures.js';

function tsgluon(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['bin/tsgluon.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('tsgluon --help lists the commands; unknown commands and options are one-line errors', () => {
  const help = tsgluon('--help');
  assert.equal(help.status, 0);
  for (const cmd of ['train', 'demo', 'bench', '--model mlp|lenet', '--data digits|mnist|fashion-mnist']) assert.ok(help.stdout.includes(cmd), cmd);
  const bad = tsgluon('train', '--model', 'resnet', '--offline');
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'tsgluon: error: --model must be one of mlp, lenet; got "resnet"\n');
  const unknown = tsgluon('fit');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^tsgluon: error: unknown command "fit"/);
  assert.equal(tsgluon('train', '--lr', 'fast').stderr, 'tsgluon: error: --lr must be a number; got "fast"\n');
  assert.equal(tsgluon('train', '--optimizer', 'lbfgs').status, 1);
});

test('tsgluon train runs MLP and LeNet on IDX files from --data-root and writes curves, parameters and a summary', () => {
  const root = tempDir();
  writeTinyMnist(root, { nTrain: 40, nTest: 20 });
  const out = tempDir();
  for (const model of ['mlp', 'lenet']) {
    const run = tsgluon('train', '--model', model, '--data', 'mnist', '--data-root', root, '--offline', '--epochs', '2', '--batch-size', '16', '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /parameters before the first batch/);
    assert.match(run.stdout, /epoch 2\/2 \| loss \d+\.\d{4} \| acc \d\.\d{4} \| \d+ samples\/s \| test acc \d\.\d{4}/);
    const result = JSON.parse(readFileSync(join(out, `tsgluon-${model}-mnist-result.json`), 'utf8')) as { epochs: number; history: { trainLoss: number[] }; testAccuracy: number };
    assert.equal(result.epochs, 2);
    assert.equal(result.history.trainLoss.length, 2);
    assert.ok(result.testAccuracy >= 0 && result.testAccuracy <= 1);
    assert.ok(existsSync(join(out, `tsgluon-${model}-mnist.safetensors`)));
    assert.match(readFileSync(join(out, `tsgluon-${model}-mnist-curves.svg`), 'utf8'), /^<svg/);
  }
  assert.match(readFileSync(join(out, 'tsgluon-lenet-mnist-result.json'), 'utf8'), /"model": "lenet"/);
});

test('missing and malformed data files are clear errors, not stack traces', () => {
  const empty = tempDir();
  const missing = tsgluon('train', '--data', 'fashion-mnist', '--data-root', empty, '--offline');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^tsgluon: error: FashionMNIST: train-images-idx3-ubyte\.gz and train-labels-idx1-ubyte\.gz were not found in /);
  assert.ok(!/\n\s+at /.test(missing.stderr), missing.stderr);

  const root = tempDir();
  writeTinyMnist(root, { gzip: false });
  const images = join(root, 'train-images-idx3-ubyte');
  writeFileSync(images, readFileSync(images).subarray(0, 500));
  const malformed = tsgluon('train', '--data', 'mnist', '--data-root', root, '--offline');
  assert.equal(malformed.status, 1);
  assert.match(malformed.stderr, /^tsgluon: error: .*train-images-idx3-ubyte: truncated: the header declares shape \(30, 28, 28\)/);
  assert.equal(malformed.stderr.split('\n').filter(Boolean).length, 1, malformed.stderr);
});
