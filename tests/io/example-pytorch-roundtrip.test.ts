// Runs examples/pytorch-roundtrip.ts as a user would: with PyTorch installed it must agree with
// PyTorch; without it, it must say it skipped and exit cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('examples/pytorch-roundtrip.ts agrees with PyTorch, or skips with a message', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/pytorch-roundtrip.ts'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  if (r.stdout.startsWith('skipped:')) {
    assert.match(r.stdout, /cannot import torch/);
    return;
  }
  const forward = /forward: max \|tsgluon - torch\| = (\S+)/.exec(r.stdout);
  assert.ok(forward !== null, r.stdout);
  assert.ok(Number(forward[1]) < 1e-5, r.stdout);
  const steps = [...r.stdout.matchAll(/after one step, \S+\s+max \|tsgluon - torch\| = (\S+)/g)];
  assert.equal(steps.length, 4, r.stdout);
  for (const m of steps) assert.ok(Number(m[1]) < 1e-5, r.stdout);
  const loss = /loss: tsgluon (\S+), torch (\S+)/.exec(r.stdout)!;
  assert.ok(Math.abs(Number(loss[1]) - Number(loss[2])) < 1e-5, r.stdout);
});
