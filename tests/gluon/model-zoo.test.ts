// Model zoo: every network is declared without input sizes; data-free shape inference completes
// every parameter shape, and the trainable parameter counts for 1000 classes on 224x224 equal
// torchvision's (BatchNorm running statistics are parameters in Gluon but buffers in torchvision,
// so they are excluded). Real forwards run here for the smaller networks at small input sizes;
// full 224x224 forwards of every model are in examples/model-zoo.ts (too slow for CI on the
// reference backend).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { autograd, gluon, nd, ValueError } from '../../src/index.js';
import { countKernels } from './gluon-helpers.js';

const { vision } = gluon.modelZoo;

function count(net: gluon.Block): { trainable: number; total: number } {
  let trainable = 0;
  let total = 0;
  for (const p of net.collectParams().values()) {
    assert.ok(p.shapeKnown, `${p.name} has a known shape ${JSON.stringify(p.shape)}`);
    const n = p.shape.reduce((a, b) => a * b, 1);
    total += n;
    if (p.gradReq !== 'null') trainable += n;
  }
  return { trainable, total };
}

/** [name, input shape, torchvision / D2L trainable count]. */
const COUNTS: readonly [string, number[], number][] = [
  // D2L LeNet: 156 + 2,416 + 48,120 + 10,164 + 850.
  ['lenet', [1, 1, 28, 28], 61_706],
  ['alexnet', [1, 3, 224, 224], 61_100_840],
  ['vgg11', [1, 3, 224, 224], 132_863_336],
  ['vgg11_bn', [1, 3, 224, 224], 132_868_840],
  ['vgg16', [1, 3, 224, 224], 138_357_544],
  // NiN (no torchvision model): blocks 53,568 + 746,240 + 1,180,800 + 5,459,000 by hand
  // (k*k*cin*cout + cout, then two 1x1 convolutions cout*cout + cout each).
  ['nin', [1, 3, 224, 224], 7_439_608],
  ['googlenet', [1, 3, 224, 224], 6_624_904],
  ['resnet18', [1, 3, 224, 224], 11_689_512],
  ['resnet34', [1, 3, 224, 224], 21_797_672],
  ['resnet50', [1, 3, 224, 224], 25_557_032],
  ['resnet101', [1, 3, 224, 224], 44_549_160],
  ['resnet152', [1, 3, 224, 224], 60_192_808],
  ['densenet121', [1, 3, 224, 224], 7_978_856],
  ['densenet169', [1, 3, 224, 224], 14_149_480],
];

describe('model zoo: parameter counts after data-free shape inference', () => {
  for (const [name, shape, expected] of COUNTS) {
    test(`${name}: ${expected.toLocaleString('en-US')} trainable parameters`, () => {
      const net = vision.getModel(name);
      for (const p of net.collectParams().values()) {
        if (p.name.endsWith('weight') && p.shape.length > 1) assert.equal(p.shapeKnown, false, `${p.name} declared without its input size`);
      }
      net.inferShape(shape);
      assert.equal(count(net).trainable, expected);
    });
  }

  test('ResNet-152 shape inference runs no kernel (its time is in bench/shape-inference.ts)', () => {
    const net = vision.resnet152();
    assert.equal(countKernels(() => net.inferShape([1, 3, 224, 224])), 0);
    const params = net.collectParams().values();
    assert.ok(params.length > 750, `${params.length} parameters`);
    assert.equal(net.pendingParams().params.length, 0);
  });

  test('ResNet-18: initialize({ inputShape }) materializes every layer without a forward pass', () => {
    const net = vision.resnet18({ classes: 10 });
    net.initialize({ inputShape: [1, 3, 224, 224] });
    const params = net.collectParams();
    for (const p of params.values()) assert.equal(p.state, 'initialized', p.name);
    assert.deepEqual(params.get('features.0.weight').shape, [64, 3, 7, 7]);
    assert.deepEqual(params.get('features.5.0.downsample.0.weight').shape, [128, 64, 1, 1]);
    assert.deepEqual(params.get('output.weight').shape, [10, 512]);
    // Running statistics are parameters without gradients, initialized to 0 and 1.
    const rv = params.get('features.1.running_var');
    assert.equal(rv.gradReq, 'null');
    assert.deepEqual([...new Set(rv.data().storage)], [1]);
    // Running statistics: 2 per BatchNorm channel (stem 64; four BNs per stage of width 64, 128,
    // 256, 512 plus one per projection shortcut in stages 2-4).
    assert.equal(count(net).total - count(net).trainable, 2 * (64 + 4 * 64 + 5 * 128 + 5 * 256 + 5 * 512));
  });

  test('getModel rejects unknown names, listing the available ones', () => {
    assert.throws(() => vision.getModel('resnet19'), (e: unknown) => e instanceof ValueError && /unknown model 'resnet19'.*resnet18/.test(e.message));
  });
});

describe('model zoo: real forwards at small sizes agree with inferred shapes', () => {
  const small: readonly [string, () => gluon.Block, number[], number[]][] = [
    ['lenet', () => vision.lenet(), [2, 1, 28, 28], [2, 10]],
    ['nin (96x96)', () => vision.nin({ classes: 10 }), [1, 3, 96, 96], [1, 10]],
    ['googlenet (32x32)', () => vision.googlenet({ classes: 10 }), [1, 3, 32, 32], [1, 10]],
    ['resnet18 (32x32)', () => vision.resnet18({ classes: 10 }), [2, 3, 32, 32], [2, 10]],
    ['resnet50 (32x32)', () => vision.resnet50({ classes: 10 }), [1, 3, 32, 32], [1, 10]],
    ['densenet121 (32x32)', () => vision.densenet121({ classes: 10 }), [1, 3, 32, 32], [1, 10]],
  ];
  for (const [name, make, inShape, outShape] of small) {
    test(name, () => {
      const net = make();
      net.initialize({ init: 'xavier' });
      nd.random.seed(1);
      const x = nd.random.uniform({ shape: inShape });
      const y = net.forward(x);
      assert.deepEqual(y.shape, outShape);
      assert.ok([...y.storage].every(Number.isFinite), 'finite outputs');
      // The same net sees a shape-only input the same way.
      const s = autograd.pause(() => net.forward(nd.NDArray.shapeOnly(inShape, 'float32')));
      assert.ok(s.isShapeOnly);
      assert.deepEqual(s.shape, outShape);
    });
  }

  test('ResNet-18 trains: one recorded forward/backward gives gradients for every trainable parameter', () => {
    const net = vision.resnet18({ classes: 4 });
    net.initialize({ init: 'xavier' });
    // Batch 2: at 32x32 the last stage is 1x1, and BatchNorm needs more than one value per channel.
    const x = nd.random.uniform({ shape: [2, 3, 32, 32] });
    const loss = autograd.record(() => (net.forward(x)).square().sum());
    loss.backward();
    for (const p of net.collectParams().values()) {
      if (p.gradReq === 'null') continue;
      assert.deepEqual(p.grad().shape, p.shape);
    }
    const g = net.collectParams().get('features.0.weight').grad();
    assert.ok([...g.storage].some((v) => v !== 0), 'stem gradient is non-zero');
  });
});

describe('examples/lenet.ts short run (CI)', () => {
  test('trains a few batches (synthetic data when Fashion-MNIST is absent) and reports accuracy', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'examples/lenet.ts', '--epochs', '1', '--batches', '2', '--batch-size', '64', '--allow-synthetic'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.match(out, /Total params: 61,706/);
    assert.match(out, /epoch 1, loss \d+\.\d+, train acc 0\.\d+, test acc 0\.\d+/);
    assert.match(out, /final test accuracy 0\.\d+/);
  });
});
