import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nd, autograd } from '../../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

test('10,000 recorded forward/backward steps keep memory flat without any dispose', () => {
  nd.random.seed(0);
  const w = nd.random.normal({ shape: [16, 8], scale: 0.1 });
  const b = nd.zeros([8]);
  w.attachGrad();
  b.attachGrad();
  const x = nd.random.uniform({ shape: [4, 16] });
  const step = (): number => {
    const loss = autograd.record(() => nd.dot(x, w).add(b).tanh().square().mean());
    loss.backward();
    // A plain SGD update, written in place as an optimizer does.
    const wd = w.storage;
    const gw = w.grad!.storage;
    for (let i = 0; i < wd.length; i++) wd[i]! -= 0.01 * gw[i]!;
    return loss.item();
  };
  for (let i = 0; i < 1000; i++) step();
  const before = heapAfterGc();
  let last = 0;
  for (let i = 0; i < 9000; i++) last = step();
  const after = heapAfterGc();
  assert.ok(Number.isFinite(last));
  // Each step allocates ~20 arrays; a leak of even one 32-byte array per step would add 288 kB.
  assert.ok(after - before < 256 * 1024, `memory grew by ${after - before} bytes over 9,000 steps`);
});
