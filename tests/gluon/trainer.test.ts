import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, nd, DeferredInitializationError, UninitializedParameterError, ValueError } from '../../src/index.js';
import { Block } from '../../src/gluon/block.js';
import { Parameter } from '../../src/gluon/parameter.js';
import { Sequential } from '../../src/gluon/sequential.js';
import { Dense } from '../../src/gluon/nn/basic-layers.js';
import { Trainer } from '../../src/gluon/trainer.js';
import { L2Loss } from '../../src/gluon/loss/index.js';
import { clipGlobalNorm } from '../../src/gluon/utils.js';
import { setWarningHandler } from '../../src/gluon/warnings.js';
import { SGD } from '../../src/optim/index.js';
import { assertClose } from '../helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/index.js';

/** Dense(1) on 2 inputs with w = [[1, 2]], b = [0]. */
function tinyNet(): Dense {
  const net = new Dense(1, { inUnits: 2 });
  net.initialize();
  net.weight.setData(nd.array([[1, 2]]));
  net.bias!.setData(nd.array([0]));
  return net;
}

const X = nd.array([[1, 1], [2, 0]]);
const Y = nd.array([1, 1]);

/** One forward/backward of L2Loss: pred = [3, 2], dL/dpred = [2, 1], dL/dw = [4, 2], dL/db = 3. */
function backward(net: Dense): void {
  autograd.record(() => new L2Loss().forward(net.forward(X), Y)).backward();
}

test('step(batchSize) divides the summed gradient by the batch size (SGD by hand)', () => {
  const net = tinyNet();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  backward(net);
  assertClose(net.weight.grad(), [[4, 2]]);
  trainer.step(2);
  assertClose(net.weight.data(), [[0.8, 1.9]]);
  assertClose(net.bias!.data(), [-0.15]);
  assert.equal(trainer.optimizer.rescaleGrad, 0.5);
});

test('momentum state lives per parameter and is exposed by key', () => {
  const net = tinyNet();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.5 });
  backward(net);
  trainer.step(2);
  backward(net);
  trainer.step(2);
  // Second gradient at w = [0.8, 1.9], b = -0.15: pred = [2.55, 1.45], err = [1.55, 0.45].
  // dw = [1.55 + 0.9, 1.55] / 2 = [1.225, 0.775]; mom = 0.5 * [-0.2, -0.1] - 0.1 * dw.
  const states = trainer.stateDict();
  assert.deepEqual(Object.keys(states).sort(), ['counts.bias', 'counts.weight', 'states.bias.mom', 'states.weight.mom']);
  assertClose(states['states.weight.mom']!, [[-0.2225, -0.1275]], { rtol: 1e-5 });
  assert.deepEqual(states['counts.weight']!.toArray(), [2]);
  assertClose(net.weight.data(), [[0.5775, 1.7725]], { rtol: 1e-5 });
});

test('a Trainer built before the first forward works once shapes are inferred', () => {
  nd.random.seed(3);
  const net = new Sequential();
  net.add(new Dense(4, { activation: 'relu' }), new Dense(2));
  net.initialize();
  const trainer = new Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
  const x = nd.random.normal({ shape: [5, 3] });
  const before = () => nd.array(net.collectParams().get('0.weight').data());
  const out = autograd.record(() => new L2Loss().forward(net.forward(x), nd.zeros([5, 2]).add(1)));
  const w0 = before();
  out.backward();
  trainer.step(5);
  assert.deepEqual(net.collectParams().get('0.weight').shape, [4, 3]);
  assert.ok(w0.sub(net.collectParams().get('0.weight').data()).abs().sum().item() > 0, 'the weight moved');
});

class TwoHeads extends Block {
  used = new Dense(2);
  unused = new Dense(3);
  override forward(x: nd.NDArray): nd.NDArray {
    return this.used.forward(x);
  }
}

test('a parameter still pending at step names itself, its path and the block never reached', () => {
  const net = new TwoHeads();
  net.initialize();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  const l = autograd.record(() => new L2Loss().forward(net.forward(nd.ones([2, 4])), nd.zeros([2, 2])));
  l.backward();
  const w = nd.array(net.used.weight.data());
  assert.throws(
    () => trainer.step(2),
    (e: Error) =>
      e instanceof DeferredInitializationError &&
      e.message.includes('unused.weight') &&
      e.message.includes(net.unused.weight.name) &&
      e.message.includes(net.unused.name) &&
      /never reached|no forward has reached/.test(e.message) &&
      /inferShape|forward/.test(e.message),
  );
  // Nothing was updated: the check runs before any update.
  assertClose(net.used.weight.data(), w);
});

test('parameters never initialized are reported; frozen ones are skipped', () => {
  const net = new Dense(2, { inUnits: 2 });
  assert.throws(() => new Trainer(net.collectParams(), 'sgd').step(1), (e: Error) => e instanceof UninitializedParameterError && /weight/.test(e.message));
  const frozen = tinyNet();
  frozen.weight.gradReq = 'null';
  const trainer = new Trainer(frozen.collectParams(), 'sgd', { learningRate: 0.1 });
  backward(frozen);
  trainer.step(2);
  assertClose(frozen.weight.data(), [[1, 2]]);
  assertClose(frozen.bias!.data(), [-0.15]);
});

test('lrMult and wdMult of a parameter are honoured', () => {
  const net = tinyNet();
  net.weight.lrMult = 0;
  net.bias!.wdMult = 0;
  net.bias!.setData(nd.array([1]));
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, wd: 0.5 });
  backward(net);
  // pred = [4, 3], err = [3, 2]: db = 5 / 2, no decay on the bias.
  trainer.step(2);
  assertClose(net.weight.data(), [[1, 2]]);
  assertClose(net.bias!.data(), [0.75]);
});

test('learningRate get and set, optimizer instances, lists and records of parameters', () => {
  const net = tinyNet();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  assert.equal(trainer.learningRate, 0.1);
  trainer.setLearningRate(0.05);
  assert.equal(trainer.learningRate, 0.05);
  trainer.learningRate = 0.2;
  assert.equal(trainer.optimizer.learningRate, 0.2);
  const opt = new SGD({ learningRate: 0.1 });
  const t2 = new Trainer([net.weight, net.bias!], opt);
  assert.equal(t2.optimizer, opt);
  assert.deepEqual(t2.params.map(([k]) => k), [net.weight.name, net.bias!.name]);
  assert.throws(() => new Trainer([net.weight], opt, { learningRate: 1 }), ValueError);
  const t3 = new Trainer({ w: net.weight }, 'sgd', { learningRate: 0.1 });
  backward(net);
  t3.step(2);
  assertClose(net.weight.data(), [[0.8, 1.9]]);
  assertClose(net.bias!.data(), [0]);
  assert.throws(() => new Trainer([net.weight, net.weight], 'sgd'), /listed twice/);
  assert.throws(() => new Trainer([nd.zeros([1]) as unknown as Parameter], 'sgd'), /not a Parameter/);
  assert.throws(() => new Trainer([net.weight], 'sgd').step(0), ValueError);
  assert.throws(() => new Trainer([net.weight], 'nope'), /unknown optimizer/);
});

test('zeroGrad clears accumulated gradients', () => {
  const net = tinyNet();
  net.collectParams().setAttr('gradReq', 'add');
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
  backward(net);
  backward(net);
  assertClose(net.weight.grad(), [[8, 4]]);
  trainer.zeroGrad();
  assertClose(net.weight.grad(), [[0, 0]]);
});

test('allreduceGrads, clipGlobalNorm, update: clipping between the two halves of step', () => {
  const net = tinyNet();
  const trainer = new Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
  backward(net);
  trainer.allreduceGrads();
  const grads = [net.weight.grad(), net.bias!.grad()];
  // Gradients [4, 2] and [3]: global norm sqrt(29).
  const norm = clipGlobalNorm(grads, 1);
  assert.ok(Math.abs(norm - Math.sqrt(29)) < 1e-5);
  const s = 1 / (Math.sqrt(29) + 1e-8);
  assertClose(net.weight.grad(), [[4 * s, 2 * s]], { rtol: 1e-6 });
  trainer.update(1);
  assertClose(net.weight.data(), [[1 - 4 * s, 2 - 2 * s]], { rtol: 1e-6 });
});

test('clipGlobalNorm leaves small norms alone and warns on NaN', () => {
  const a = nd.array([0.3, 0.4]);
  assert.ok(Math.abs(clipGlobalNorm([a], 1) - 0.5) < 1e-7);
  assertClose(a, [0.3, 0.4]);
  const seen: string[] = [];
  const prev = setWarningHandler((m) => seen.push(m));
  try {
    const b = nd.array([NaN, 1]);
    assert.ok(Number.isNaN(clipGlobalNorm([b], 1)));
    assert.equal(seen.length, 1);
    assert.equal(b.storage[1], 1);
  } finally {
    setWarningHandler(prev);
  }
  assert.throws(() => clipGlobalNorm([a], 0), ValueError);
  assert.throws(() => clipGlobalNorm([], 1), ValueError);
});

test('saveStates/loadStates resume Adam exactly, also into a Trainer whose parameters are pending', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgluon-trainer-'));
  try {
    const file = join(dir, 'adam.states');
    const net = tinyNet();
    const trainer = new Trainer(net.collectParams(), 'adam', { learningRate: 0.1 });
    for (let i = 0; i < 2; i++) {
      backward(net);
      trainer.step(2);
    }
    trainer.saveStates(file);
    const w = nd.array(net.weight.data());
    const b = nd.array(net.bias!.data());
    backward(net);
    trainer.step(2);

    // A fresh net whose weight shape is inferred later: the states wait for the array.
    const net2 = new Dense(1);
    net2.initialize();
    const trainer2 = new Trainer(net2.collectParams(), 'adam', { learningRate: 0.1 });
    trainer2.loadStates(file);
    net2.weight.setData(w);
    net2.bias!.setData(b);
    backward(net2);
    trainer2.step(2);
    assertClose(net2.weight.data(), net.weight.data(), { rtol: 1e-6 });
    assertClose(net2.bias!.data(), net.bias!.data(), { rtol: 1e-6 });
    assert.equal(trainer2.optimizer.updateCount(0), 3);

    // States of another optimizer, or for unknown parameters, are refused before anything changes.
    const sgd = new Trainer(tinyNet().collectParams(), 'sgd', { momentum: 0.9 });
    assert.throws(() => sgd.loadStates(file), (e: Error) => e instanceof FormatError && /mean, var/.test(e.message));
    assert.equal(sgd.optimizer.updateCount(0), 0);
    assert.throws(() => trainer2.loadStateDict({ 'states.nope.mean': nd.zeros([1]) }), /names no parameter/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
