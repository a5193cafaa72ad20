/**
 * MXNet 1.x test_gluon.py, layers: convolution (channels-last layouts included, which MXNet's own
 * test leaves commented out), transposed convolution, pooling in every layout and ceil mode,
 * normalization layers, ReflectionPad2D, activations, dropout axes.
 *
 * Translated from Apache MXNet 1.x, tests/python/unittest/test_gluon.py, Copyright the Apache
 * Software Foundation, licensed under the Apache License, Version 2.0.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, nn } from '../../src/index.js';
import { assertAlmostEqual, checkLayerForward } from './mx.js';

beforeEach(() => gluon.resetNameCounters());

test('test_conv', () => {
  const layers1d = [new nn.Conv1D(16, 3, { inChannels: 4 }), new nn.Conv1D(16, 3, { groups: 2, inChannels: 4 }), new nn.Conv1D(16, 3, { strides: 3, groups: 2, inChannels: 4 })];
  for (const layer of layers1d) checkLayerForward(layer, [1, 4, 10]);
  const layers2d = [
    new nn.Conv2D(16, [3, 4], { inChannels: 4 }),
    new nn.Conv2D(16, [5, 4], { inChannels: 4 }),
    new nn.Conv2D(16, [3, 4], { groups: 2, inChannels: 4 }),
    new nn.Conv2D(16, [3, 4], { strides: 4, inChannels: 4 }),
    new nn.Conv2D(16, [3, 4], { dilation: 4, inChannels: 4 }),
    new nn.Conv2D(16, [3, 4], { padding: 4, inChannels: 4 }),
  ];
  for (const layer of layers2d) checkLayerForward(layer, [1, 4, 20, 20]);
  const layers3d = [
    new nn.Conv3D(16, [1, 8, 4], { inChannels: 4, activation: 'relu' }),
    new nn.Conv3D(16, [5, 4, 3], { inChannels: 4 }),
    new nn.Conv3D(16, [3, 3, 3], { groups: 2, inChannels: 4 }),
    new nn.Conv3D(16, 4, { strides: 4, inChannels: 4 }),
    new nn.Conv3D(16, [3, 3, 3], { padding: 4, inChannels: 4 }),
  ];
  for (const layer of layers3d) checkLayerForward(layer, [1, 4, 10, 10, 10]);
  // MXNet leaves these two commented out; tsgluon runs them.
  assert.deepEqual(checkLayerForward(new nn.Conv2D(16, [3, 3], { layout: 'NHWC', inChannels: 4 }), [1, 10, 10, 4]).shape, [1, 8, 8, 16]);
  assert.deepEqual(checkLayerForward(new nn.Conv3D(16, [3, 3, 3], { layout: 'NDHWC', inChannels: 4 }), [1, 10, 10, 10, 4]).shape, [1, 8, 8, 8, 16]);
});

test('test_deconv', () => {
  const layers2d = [
    new nn.Conv2DTranspose(16, [3, 4], { inChannels: 4 }),
    new nn.Conv2DTranspose(16, [5, 4], { inChannels: 4 }),
    new nn.Conv2DTranspose(16, [3, 4], { groups: 2, inChannels: 4 }),
    new nn.Conv2DTranspose(16, [3, 4], { strides: 4, inChannels: 4 }),
    new nn.Conv2DTranspose(16, [3, 4], { dilation: 4, inChannels: 4 }),
    new nn.Conv2DTranspose(16, [3, 4], { strides: 4, outputPadding: 3, inChannels: 4 }),
  ];
  for (const layer of layers2d) checkLayerForward(layer, [1, 4, 20, 20]);
});

test('test_pool', () => {
  // Brings the channel axis from second position to last.
  const transpose = (shape: number[]) => [shape[0]!, ...shape.slice(2), shape[1]!];
  for (const layout of ['NCW', 'NWC']) {
    const shape1d = layout === 'NWC' ? transpose([1, 2, 10]) : [1, 2, 10];
    const layers1d = [
      new nn.MaxPool1D(2, { layout }), new nn.MaxPool1D(3, { layout }), new nn.MaxPool1D(3, { strides: 2, layout }),
      new nn.AvgPool1D(2, { layout }), new nn.AvgPool1D(2, { countIncludePad: false, layout }), new nn.GlobalAvgPool1D({ layout }),
    ];
    for (const layer of layers1d) checkLayerForward(layer, shape1d);
  }
  for (const layout of ['NCHW', 'NHWC']) {
    const shape2d = layout === 'NHWC' ? transpose([1, 2, 10, 10]) : [1, 2, 10, 10];
    const layers2d = [
      new nn.MaxPool2D(2, { layout }), new nn.MaxPool2D([3, 3], { layout }), new nn.MaxPool2D(3, { strides: 2, layout }),
      new nn.AvgPool2D(2, { layout }), new nn.AvgPool2D(2, { countIncludePad: false, layout }), new nn.GlobalAvgPool2D({ layout }),
    ];
    for (const layer of layers2d) checkLayerForward(layer, shape2d);
  }
  for (const layout of ['NCDHW', 'NDHWC']) {
    const shape3d = layout === 'NDHWC' ? transpose([1, 2, 10, 10, 10]) : [1, 2, 10, 10, 10];
    const layers3d = [
      new nn.MaxPool3D(2, { layout }), new nn.MaxPool3D([3, 3, 3], { layout }), new nn.MaxPool3D(3, { strides: 2, layout }),
      new nn.AvgPool3D(2, { layout }), new nn.AvgPool3D(2, { countIncludePad: false, layout }), new nn.GlobalAvgPool3D({ layout }),
    ];
    for (const layer of layers3d) checkLayerForward(layer, shape3d);
  }
  // ceil_mode
  for (const layout of ['NCHW', 'NHWC']) {
    const t = (s: number[]) => (layout === 'NHWC' ? transpose(s) : s);
    const x = nd.zeros(t([2, 2, 10, 10]));
    assert.deepEqual(new nn.MaxPool2D(3, { ceilMode: false, layout }).forward(x).shape, t([2, 2, 3, 3]));
    assert.deepEqual(new nn.MaxPool2D(3, { ceilMode: true, layout }).forward(x).shape, t([2, 2, 4, 4]));
  }
});

test('test_batchnorm_backward_synchronization', () => {
  for (const variable of ['runningVar', 'runningMean'] as const) {
    for (let k = 0; k < 5; k++) {
      const layer = new nn.BatchNorm();
      layer.initialize();
      for (let i = 0; i < 3; i++) {
        const data = nd.random.normal({ loc: 10, scale: 2, shape: [1, 3, 10, 10] });
        autograd.record(() => layer.forward(data)).backward();
      }
      const first = layer[variable].data().toArray();
      for (let i = 0; i < 10; i++) assert.deepEqual(layer[variable].data().toArray(), first);
    }
  }
});

test('test_batchnorm', () => {
  checkLayerForward(new nn.BatchNorm({ inChannels: 10 }), [2, 10, 10, 10]);
});

test('test_sync_batchnorm (one device, BatchNorm against the formula)', () => {
  // SyncBatchNorm spans devices; on tsgluon's one device the check that remains is BatchNorm's
  // output and running statistics against MXNet's formula, for every shape of the original.
  for (const shape of [[24, 2], [24, 3, 4], [24, 4, 4, 4], [24, 5, 6, 4, 4]]) {
    const input = nd.random.uniform({ shape });
    const nch = shape[1]!;
    const bn = new nn.BatchNorm({ inChannels: nch });
    bn.initialize();
    const [x] = gluon.utils.splitAndLoad(input, 1);
    x!.attachGrad();
    const output = autograd.record(() => bn.forward(x!));
    autograd.record(() => output.square().sum()).backward();
    const axes = shape.map((_, i) => i).filter((i) => i !== 1);
    const mean = input.mean(axes, { keepdims: true });
    const variance = input.sub(mean).square().mean(axes, { keepdims: true });
    const target = input.sub(mean).div(variance.add(1e-5).sqrt());
    assertAlmostEqual(output, target, { rtol: 1e-2, atol: 1e-2 });
    assertAlmostEqual(bn.runningMean.data(), mean.reshape([nch]).mul(0.1), { rtol: 1e-2, atol: 1e-2 });
    assertAlmostEqual(bn.runningVar.data(), variance.reshape([nch]).mul(0.1).add(0.9), { rtol: 1e-2, atol: 1e-2 });
    assert.ok(x!.grad!.storage.every(Number.isFinite));
  }
});

test('test_instancenorm', () => {
  checkLayerForward(new nn.InstanceNorm({ inChannels: 10 }), [2, 10, 10, 10]);
});

test('test_layernorm', () => {
  checkLayerForward(new nn.LayerNorm({ inChannels: 10 }), [2, 10, 10, 10]);
  const layer = new nn.LayerNorm({ inChannels: 10 });
  layer.initialize();
  assert.throws(() => layer.forward(nd.ones([2, 11])), /\(2, 11\)/);
});

test('test_groupnorm', () => {
  checkLayerForward(new nn.GroupNorm(), [2, 10, 10, 10]);
  checkLayerForward(new nn.GroupNorm({ numGroups: 2 }), [2, 10, 10, 10]);
  checkLayerForward(new nn.GroupNorm({ numGroups: 5 }), [2, 10, 10, 10]);
});

test('test_reflectionpad', () => {
  assert.deepEqual(checkLayerForward(new nn.ReflectionPad2D(3), [2, 3, 24, 24]).shape, [2, 3, 30, 30]);
});

test('test_activations', () => {
  const point = nd.array([-0.1, 0.1, -0.1, 0.1, -0.1, 0.1]);
  const swish = new nn.Swish();
  assert.deepEqual(swish.forward(point).toArray(), point.mul(nd.sigmoid(point)).toArray());
  const elu = new nn.ELU();
  assertAlmostEqual(elu.forward(point), (point.toArray() as number[]).map((v) => (v <= 0 ? Math.expm1(v) : v)));
  const selu = new nn.SELU();
  const [scale, alpha] = [1.0507009873554805, 1.6732632423543772];
  assertAlmostEqual(selu.forward(point), (point.toArray() as number[]).map((v) => (v >= 0 ? scale * v : scale * alpha * Math.expm1(v))));
  const prelu = new nn.PReLU();
  prelu.initialize();
  const x = point.reshape([1, 3, 2]);
  assertAlmostEqual(prelu.forward(x), nd.where(x.greaterEqual(0), x, x.mul(0.25)));
  const multichannel = new nn.PReLU({ inChannels: 3 });
  multichannel.initialize();
  multichannel.alpha.setData(nd.array([0.1, 0.25, 0.5]));
  assertAlmostEqual(multichannel.forward(x), [[[-0.01, 0.1], [-0.025, 0.1], [-0.05, 0.1]]]);
  const gelu = new nn.GELU({ approximation: 'tanh' });
  const g = (v: number) => 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v ** 3)));
  assertAlmostEqual(gelu.forward(point), (point.toArray() as number[]).map(g));
});

test('test_dropout', () => {
  const checkDropoutAxes = (ratio: number, shape: number[], axes: number[]) => {
    const compact = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const compactx = nd.random.uniform({ shape: compact });
    const broadcastx = compactx.broadcastTo(shape);
    const y = new nn.Dropout(ratio, { axes }).forward(broadcastx);
    for (const axis of axes) {
      const target = y.sliceAxis(axis, 0, 1).toArray();
      for (let i = 1; i < shape[axis]!; i++) assert.deepEqual(y.sliceAxis(axis, i, i + 1).toArray(), target);
    }
  };
  const nshape = [10, 10, 10, 10];
  autograd.trainMode(() => {
    for (const axes of [[0], [1], [2], [3], [0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3], [0, 1, 2], [0, 2, 3], [1, 2, 3]]) checkDropoutAxes(0.25, nshape, axes);
  });
});

test('test_batchnorm_chnls (spatial size reduced from 160x160 to 20x20)', () => {
  for (const chn of [1024, 512, 256, 128, 64, 45, 32, 16, 3]) {
    class Net extends gluon.Block {
      conv1 = new nn.Conv3D(chn, [1, 7, 7], { inChannels: 3, strides: [1, 2, 2], padding: [0, 3, 3], useBias: false });
      bn1 = new nn.BatchNorm({ inChannels: chn });
      override forward(x: nd.NDArray): nd.NDArray {
        return this.bn1.forward(this.conv1.forward(x));
      }
    }
    const net = new Net();
    net.initialize({ init: new init.Constant(1) });
    assert.deepEqual(net.forward(nd.zeros([1, 3, 8, 20, 20])).shape, [1, chn, 8, 10, 10]);
  }
});
