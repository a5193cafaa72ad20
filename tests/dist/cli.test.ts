/**
 * `mpirun -np 2 tsgluon train ...`: the command trains data-parallel under mpirun, only rank 0
 * prints and writes files, and the figures it reports combine both ranks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyMnist } from '../data/fixtures.js';
import { ROOT, assertSucceeded, mpirun, requireMpi, tempDir } from './mpi.js';

test('tsgluon train under mpirun: one report, from rank 0, and one set of files', () => {
  requireMpi();
  const data = tempDir();
  writeTinyMnist(data, { nTrain: 40, nTest: 21 });
  const out = tempDir();
  const args = ['train', '--data', 'mnist', '--data-root', data, '--offline', '--epochs', '2', '--batch-size', '8', '--out', out];
  const r = mpirun({ np: 2, command: [process.execPath, join(ROOT, 'bin', 'tsgluon.js'), ...args] });
  assertSucceeded(r, 'tsgluon train on 2 ranks');
  const once = (re: RegExp): void => assert.equal(r.stdout.match(new RegExp(re, 'g'))?.length, 1, `${re} in:\n${r.stdout}`);
  once(/tsgluon train: mlp on mnist/);
  once(/distributed: 2 ranks \(Open MPI v[\d.]+\), batch 8 per rank, 16 per step/);
  // Every test image was evaluated once: 11 on rank 0 and 10 on rank 1.
  once(/test accuracy: \d+\.\d\d% on 21 images/);
  assert.deepEqual(readdirSync(out).sort(), ['tsgluon-mlp-mnist-curves.svg', 'tsgluon-mlp-mnist-result.json', 'tsgluon-mlp-mnist.safetensors']);
  const result = JSON.parse(readFileSync(join(out, 'tsgluon-mlp-mnist-result.json'), 'utf8')) as { ranks: number; history: { testAcc: number[] } };
  assert.equal(result.ranks, 2);
  for (const acc of result.history.testAcc) assert.ok(Number.isInteger(Math.round(acc * 21 * 1e6) / 1e6), `test accuracy ${acc} is not k/21`);
});
