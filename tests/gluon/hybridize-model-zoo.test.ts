// Every model-zoo network runs hybridized and equals eager mode: a prediction at a small input
// size, and for one network of each family (the deeper variants repeat the same blocks) a training
// step too (recorded forward, backward): outputs, gradients and BatchNorm running statistics
// compared bit for bit. Each net runs eagerly, gets its running statistics back, then runs
// hybridized. The hybridized net is one graph (every model-zoo block is a HybridBlock).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, nd } from '../../src/index.js';

const { vision } = gluon.modelZoo;

/** Input shape per model: the smallest each architecture's downsampling accepts, batch 2 for BatchNorm. */
function inputShape(name: string): number[] {
  if (name === 'lenet') return [2, 1, 28, 28];
  if (name === 'alexnet') return [2, 3, 64, 64];
  if (name === 'nin') return [2, 3, 96, 96];
  return [2, 3, 32, 32];
}

/** The networks that also run a training step: one per family. */
const TRAINED = new Set(['lenet', 'nin', 'googlenet', 'resnet18', 'resnet50', 'densenet121']);

/** Outputs of a prediction (and of a training step), the gradients and the running statistics after it. */
function runSteps(net: gluon.Block, shape: number[], train: boolean): number[][] {
  nd.random.seed(12);
  const x = nd.random.uniform({ shape });
  const out = [Array.from(net.forward(x).storage)];
  if (!train) return out;
  const trained = autograd.record(() => net.forward(x));
  trained.backward(nd.random.normal({ shape: trained.shape }));
  const params = net.collectParams().values();
  return [
    ...out,
    Array.from(trained.storage),
    ...params.filter((p) => p.gradReq !== 'null').map((p) => Array.from(p.grad().storage)),
    ...params.filter((p) => p.gradReq === 'null').map((p) => Array.from(p.data().storage)),
  ];
}

describe('model zoo hybridized equals eager', () => {
  for (const name of vision.modelNames) {
    const train = TRAINED.has(name);
    test(`${name}${train ? ': prediction and training step' : ': prediction'}`, () => {
      const shape = inputShape(name);
      nd.random.seed(11);
      const net = vision.getModel(name, { classes: 4 });
      net.initialize({ init: 'xavier', inputShape: shape });
      const stats = net.collectParams().values().filter((p) => p.gradReq === 'null');
      const before = stats.map((p) => nd.array(p.data()));
      const eager = runSteps(net, shape, train);
      stats.forEach((p, i) => p.setData(before[i]!));
      net.hybridize();
      const hybrid = runSteps(net, shape, train);
      assert.equal(hybrid.length, eager.length);
      hybrid.forEach((h, i) => assert.deepEqual(h, eager[i], `array ${i}`));
      assert.ok((net as gluon.HybridBlock).graph().nodes.length > 10, 'the whole net is one graph');
    });
  }
});
