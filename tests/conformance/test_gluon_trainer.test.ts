/**
 * MXNet 1.x test_gluon_trainer.py on tsgluon's one device. MXNet's versions run every parameter on
 * two contexts, so their gradients (summed over the contexts) are twice tsgluon's and their
 * expected weights twice as far from zero; the values below are the one-device ones. Sparse
 * storage and key-value stores have no tsgluon counterpart (see docs/gluon-differences.md).
 *
 * Translated from Apache MXNet 1.x, tests/python/unittest/test_gluon_trainer.py, Copyright the
 * Apache Software Foundation, licensed under the Apache License, Version 2.0.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, init, lrScheduler, nd, nn } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgluon-mx-trainer-'));
beforeEach(() => gluon.resetNameCounters());

const values = (p: gluon.Parameter) => Array.from(p.data().storage);

test('test_trainer_with_sparse_grad_on_single_context (dense gradient)', () => {
  const x = new gluon.Parameter('x', { shape: [10] });
  x.initialize({ init: 'zeros' });
  const trainer = new gluon.Trainer([x], 'sgd', { learningRate: 1.0, momentum: 0.5 });
  autograd.record(() => x.data().add(1)).backward();
  trainer.step(1);
  assert.ok(values(x).every((v) => v === -1));
});

test('test_trainer', () => {
  let x = new gluon.Parameter('x', { shape: [10] });
  x.initialize({ init: 'zeros' });
  const trainer = new gluon.Trainer([x], 'sgd', { learningRate: 1.0, momentum: 0.5 });
  autograd.record(() => x.data().add(1)).backward();
  trainer.step(1);
  assert.ok(values(x).every((v) => v === -1));
  x.lrMult = 0.5;
  autograd.record(() => x.data().add(1)).backward();
  trainer.step(1);
  // momentum: 0.5 * -1 - 0.5 * 1 = -1 more.
  assert.ok(values(x).every((v) => v === -2));
  const file = join(dir, 'test_trainer.states');
  trainer.saveStates(file);
  const states = trainer.stateDict();
  trainer.loadStates(file);
  for (const [k, v] of Object.entries(trainer.stateDict())) assert.deepEqual(v.toArray(), states[k]!.toArray(), k);
  x = new gluon.Parameter('x', { shape: [10] });
  x.initialize({ init: 'zeros' });
  const trainer2 = new gluon.Trainer([x], 'sgd', { learningRate: 1.0, momentum: 0.5 });
  autograd.record(() => x.data().mul(1)).backward();
  trainer2.allreduceGrads();
  trainer2.update(1);
  assert.ok(values(x).every((v) => v === -1));
});

test('test_trainer_save_load', () => {
  const x = new gluon.Parameter('x', { shape: [10], lrMult: 1.0 });
  x.initialize({ init: 'zeros' });
  const trainer = new gluon.Trainer([x], 'sgd', { learningRate: 0.1 });
  autograd.record(() => x.data().add(1)).backward();
  trainer.step(1);
  assert.equal(trainer.optimizer.lrFor(0), 0.1);
  const file = join(dir, 'test_trainer_save_load.states');
  trainer.saveStates(file);
  trainer.loadStates(file);
  x.lrMult = 2.0;
  // The parameter stays associated with the optimizer after loading its states.
  assert.equal(trainer.optimizer.lrFor(0), 0.2);
});

test('test_trainer_multi_layer_init (dense embedding weight)', () => {
  class Net extends gluon.Block {
    declare embedWeight: gluon.Parameter;
    declare dense0: nn.Dense;
    constructor(options: gluon.BlockOptions) {
      super(options);
      this.nameScope(() => {
        this.embedWeight = this.params.get('embed_weight', { shape: [4, 3] });
        this.dense0 = new nn.Dense(2);
      });
    }
    override forward(x: nd.NDArray): nd.NDArray {
      return this.dense0.forward(nd.take(this.embedWeight.data(), x));
    }
  }
  const net = new Net({ prefix: 'net_' });
  net.initialize({ init: new init.One() });
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
  const xs = gluon.utils.splitAndLoad(nd.array([[0, 2], [1, 2]]), 1);
  const ys = autograd.record(() => xs.map((x) => net.forward(x)));
  for (const y of ys) y.backward();
  trainer.step(1);
  assert.ok(net.collectParams().values().every((p) => p.state === 'initialized'));
  // Each use of a row sends the all-ones gradient of Dense(2) (2 per element) back to it.
  const weight = net.embedWeight.data().toArray() as number[][];
  assert.deepEqual(weight, [[-1, -1, -1], [-1, -1, -1], [-3, -3, -3], [1, 1, 1]]);
});

test('test_trainer_reset_kv (a checkpoint reloaded with ParameterDict.load)', () => {
  const params = new gluon.ParameterDict();
  const x = params.get('x', { shape: [10], lrMult: 1.0 });
  params.initialize({ init: 'zeros' });
  const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.1 });
  const file = join(dir, 'test_trainer_reset_kv.params');
  params.save(file);
  autograd.record(() => x.data().add(1)).backward();
  trainer.step(1);
  params.load(file);
  autograd.record(() => x.data().add(1)).backward();
  trainer.step(1);
  // The update is based on the loaded checkpoint (0), not on the first step's -0.1.
  assert.ok(values(x).every((v) => Math.abs(v - -0.1) < 1e-7));
});

test('test_trainer_lr_sched', () => {
  const x = new gluon.Parameter('x', { shape: [10] });
  x.initialize({ init: 'zeros' });
  const freq = 2;
  const factor = 0.1;
  let lr = 1;
  const sched = new lrScheduler.FactorScheduler({ step: freq, factor, baseLr: lr });
  const trainer = new gluon.Trainer([x], 'sgd', { learningRate: lr, lrScheduler: sched });
  for (let i = 0; i < 10; i++) {
    autograd.record(() => x.data().add(1)).backward();
    trainer.step(1);
    if (i % freq === 0) {
      assert.ok(Math.abs(trainer.learningRate - lr) < 1e-12 * lr, `step ${i}: ${trainer.learningRate} vs ${lr}`);
      lr *= factor;
    }
  }
});

test('test_gluon_trainer_param_order', () => {
  const net = new nn.Sequential();
  const layers: [string, number][] = [['ones_', 1], ['zeros_', 0]];
  for (const [name, value] of layers) net.add(new nn.Dense(10, { inUnits: 10, weightInitializer: new init.Constant(value), useBias: false, prefix: name }));
  const params = net.collectParams();
  net.initialize();
  const trainer = new gluon.Trainer(params, 'sgd');
  layers.forEach(([name], i) => assert.equal(trainer.params[i]![1].name, `${name}weight`));
});
