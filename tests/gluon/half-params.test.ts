// float16 / bfloat16 parameters: initialized in float32 and rounded, forward computed in float32
// (equal to a float32 net holding the same rounded weights), gradients in the parameter's dtype,
// optimizer updates in float32 with float32 state and rounded back, BatchNorm running statistics,
// gradient clipping, and save / load with castDType as Gluon's test_gluon_param_load does.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, nd, nn, safetensors } from '../../src/index.js';
import { assertClose } from '../helpers.js';

beforeEach(() => gluon.resetNameCounters());

const mlp = (dtype?: 'float16' | 'bfloat16') =>
  new nn.Sequential().add(new nn.Dense(8, { inUnits: 4, activation: 'tanh', ...(dtype ? { dtype } : {}) }), new nn.Dense(3, { inUnits: 8, ...(dtype ? { dtype } : {}) }));

for (const dtype of ['float16', 'bfloat16'] as const) {
  test(`${dtype}: initialized values are the float32 ones rounded; the forward equals a float32 net with those weights`, () => {
    nd.random.seed(5);
    const half = mlp(dtype);
    half.initialize({ init: 'xavier' });
    nd.random.seed(5);
    const full = mlp();
    full.initialize({ init: 'xavier' });
    for (const [k, p] of half.collectParams()) {
      assert.equal(p.data().dtype, dtype);
      assert.deepEqual(Array.from(p.data()._raw), Array.from(full.collectParams().get(k).data().astype(dtype)._raw), k);
      full.collectParams().get(k).setData(p.data());
    }
    const x = nd.random.uniform({ shape: [5, 4] });
    const y = half.forward(x);
    assert.equal(y.dtype, 'float32');
    assertClose(y, full.forward(x), { rtol: 1e-6, atol: 1e-7 });
  });

  test(`${dtype}: training keeps ${dtype} weights and gradients, float32 optimizer state, and lowers the loss`, () => {
    nd.random.seed(2);
    const net = mlp();
    net.initialize({ init: 'xavier' });
    net.cast(dtype);
    const x = nd.random.uniform({ shape: [16, 4] });
    const label = nd.random.randint({ high: 3, shape: [16] });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    for (const optimizer of ['sgd', 'adam'] as const) {
      const trainer = new gluon.Trainer(net.collectParams(), optimizer, optimizer === 'sgd' ? { learningRate: 0.5, momentum: 0.9 } : { learningRate: 0.05 });
      const lossAt = () => loss.forward(net.forward(x), label).mean().item();
      const before = lossAt();
      for (let i = 0; i < 20; i++) {
        autograd.record(() => loss.forward(net.forward(x), label)).backward();
        trainer.step(16);
      }
      assert.ok(lossAt() < before * 0.9, `${optimizer}: ${before} -> ${lossAt()}`);
    }
    for (const p of net.collectParams().values()) {
      assert.equal(p.data().dtype, dtype);
      assert.equal(p.grad().dtype, dtype);
    }
    const norm = gluon.utils.clipGlobalNorm(net.collectParams().values().map((p) => p.grad()), 1e-3);
    assert.ok(norm > 1e-3);
    const after = Math.sqrt(net.collectParams().values().reduce((s, p) => s + p.grad().astype('float64').square().sum().item(), 0));
    assert.ok(Math.abs(after - 1e-3) < 1e-5, `clipped norm ${after}`);
  });
}

test('a float16 BatchNorm updates its float16 running statistics in training', () => {
  const bn = new nn.BatchNorm({ inChannels: 2 });
  bn.initialize();
  bn.cast('float16');
  autograd.record(() => bn.forward(nd.array([[1, 2], [3, 6]])));
  assert.equal(bn.runningMean.data().dtype, 'float16');
  assertClose(bn.runningMean.data().astype('float32'), [0.2, 0.4], { rtol: 1e-3 });
  assertClose(bn.runningVar.data().astype('float32'), [1, 1.3], { rtol: 1e-3 });
});

test('test_gluon_param_load: save float32, cast to float16, load with castDType; dtype_source saved', () => {
  const net = new nn.Dense(10, { inUnits: 10 });
  net.initialize();
  const bytes = net.saveParametersBytes();
  net.cast('float16');
  net.loadParametersBytes(bytes, { castDType: true });
  assert.equal(net.weight.dtype, 'float16');
  const net2 = new nn.Dense(10, { inUnits: 10 });
  net2.initialize();
  net2.cast('float16');
  const halfBytes = net2.saveParametersBytes();
  assert.equal(safetensors.decodeSafetensors(halfBytes).fileDTypes['weight'], 'F16');
  assert.ok(bytes.length - halfBytes.length >= 2 * 110 - 8, 'two bytes less per value');
  net2.cast('float32');
  net2.loadParametersBytes(halfBytes, { castDType: true, dtypeSource: 'saved' });
  assert.equal(net2.weight.dtype, 'float16');
});

test('input dtype rule: a 16-bit layer takes float32 (its compute dtype) or its own dtype; a float32 layer refuses 16-bit input', () => {
  const half = new nn.Dense(2, { inUnits: 3, dtype: 'float16' });
  half.initialize();
  assert.equal(half.forward(nd.ones([1, 3])).dtype, 'float32');
  assert.equal(half.forward(nd.ones([1, 3], { dtype: 'float16' })).dtype, 'float32');
  assert.throws(() => half.forward(nd.ones([1, 3], { dtype: 'float64' })), /the input is float64 but the layer's parameters are float16/);
  const full = new nn.Dense(2, { inUnits: 3 });
  full.initialize();
  assert.throws(() => full.forward(nd.ones([1, 3], { dtype: 'bfloat16' })), /the input is bfloat16 but the layer's parameters are float32/);
});
