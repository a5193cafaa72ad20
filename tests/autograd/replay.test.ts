/**
 * Backward's plan for tapes of compiled graphs (src/autograd/replay.ts): a hybridized training
 * step replays the last step's plan. Its gradients, parameters and hook order must be bitwise
 * those of the generic pass (forced here with retainGraph, which the plan never takes), and any
 * change to the tape's shape must fall back to the generic pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, nn } from '../../src/index.js';
import { onGradReady } from '../../src/autograd/hooks.js';
import { replayCount } from '../../src/autograd/replay.js';

function setup(): { net: nn.HybridSequential; loss: gluon.loss.SoftmaxCrossEntropyLoss; trainer: gluon.Trainer; order: string[] } {
  nd.random.seed(3);
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(16, { activation: 'relu', inUnits: 12 }), new nn.Dense(5, { inUnits: 16 }));
  net.initialize({ init: new init.Normal(0.1) });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  net.hybridize({ staticAlloc: true });
  loss.hybridize({ staticAlloc: true });
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const order: string[] = [];
  for (const [key, p] of net.collectParams().entries()) onGradReady(p.data(), () => order.push(key));
  return { net, loss, trainer, order };
}

const x = nd.random.uniform({ shape: [8, 12] });
const y = nd.array([0, 1, 2, 3, 4, 0, 1, 2], { dtype: 'int32' });

function grads(net: nn.HybridSequential): number[][] {
  return net.collectParams().values().map((p) => (p.gradReq === 'null' ? [] : Array.from(p.grad().storage)));
}

test('a hybridized training step replays the plan with the generic pass\'s gradients, parameters and hook order, bitwise', () => {
  const a = setup();
  const b = setup();
  const before = replayCount();
  for (let step = 0; step < 4; step++) {
    autograd.record(() => a.loss.forward(a.net.forward(x), y)).backward();
    // retainGraph takes the generic pass every time.
    autograd.record(() => b.loss.forward(b.net.forward(x), y)).backward(null, { retainGraph: true });
    assert.deepEqual(grads(a.net), grads(b.net), `step ${step}`);
    a.trainer.step(8);
    b.trainer.step(8);
  }
  // The first step builds the plan, the next three replay it.
  assert.equal(replayCount() - before, 3);
  assert.deepEqual(a.order, b.order);
  assert.equal(a.order.length, 16);
  const params = (n: nn.HybridSequential): number[][] => n.collectParams().values().map((p) => Array.from(p.data().storage));
  assert.deepEqual(params(a.net), params(b.net));
});

test('the replayed head gradient (cached ones) is left unchanged, and a freed graph still refuses a second backward', () => {
  const { net, loss } = setup();
  for (let i = 0; i < 3; i++) {
    const l = autograd.record(() => loss.forward(net.forward(x), y));
    l.backward();
    assert.throws(() => l.backward(), /already freed/);
  }
  const before = grads(net);
  autograd.record(() => loss.forward(net.forward(x), y)).backward();
  assert.deepEqual(grads(net), before);
});

test('a changed tape falls back to the generic pass: gradReq add, a frozen parameter, the input needing a gradient', () => {
  const a = setup();
  const b = setup();
  const both = (fn: (s: ReturnType<typeof setup>) => void): void => {
    fn(a);
    fn(b);
  };
  const stepBoth = (): number => {
    const before = replayCount();
    autograd.record(() => a.loss.forward(a.net.forward(x), y)).backward();
    autograd.record(() => b.loss.forward(b.net.forward(x), y)).backward(null, { retainGraph: true });
    assert.deepEqual(grads(a.net), grads(b.net));
    return replayCount() - before;
  };
  assert.deepEqual([stepBoth(), stepBoth()], [0, 1]);
  both((s) => (s.net.collectParams().values()[0]!.gradReq = 'add'));
  assert.deepEqual([stepBoth(), stepBoth()], [0, 1]);
  both((s) => (s.net.collectParams().values()[1]!.gradReq = 'null'));
  assert.deepEqual([stepBoth(), stepBoth()], [0, 1]);
  const xa = x.add(0);
  const xb = x.add(0);
  xa.attachGrad();
  xb.attachGrad();
  autograd.record(() => a.loss.forward(a.net.forward(xa), y)).backward();
  autograd.record(() => b.loss.forward(b.net.forward(xb), y)).backward(null, { retainGraph: true });
  assert.deepEqual(Array.from(xa.grad!.storage), Array.from(xb.grad!.storage));
  assert.deepEqual(grads(a.net), grads(b.net));
});

test('a loss that is not hybridized, or a head gradient, takes the generic pass with the same result', () => {
  const a = setup();
  const b = setup();
  const eagerLoss = new gluon.loss.SoftmaxCrossEntropyLoss();
  for (let i = 0; i < 2; i++) {
    autograd.record(() => a.loss.forward(a.net.forward(x), y)).backward();
    autograd.record(() => eagerLoss.forward(b.net.forward(x), y)).backward();
    assert.deepEqual(grads(a.net), grads(b.net));
  }
  const hg = nd.full([8], 0.5);
  autograd.record(() => a.loss.forward(a.net.forward(x), y)).backward(hg);
  autograd.record(() => b.loss.forward(b.net.forward(x), y)).backward(hg, { retainGraph: true });
  assert.deepEqual(grads(a.net), grads(b.net));
});

test('a deep hybridized network (more leaves than nodes can check pairwise) replays too, bitwise', () => {
  const make = (): { net: nn.HybridSequential; loss: gluon.loss.L2Loss } => {
    nd.random.seed(5);
    const net = new nn.HybridSequential();
    for (let i = 0; i < 20; i++) net.add(new nn.Dense(6, { activation: 'tanh', inUnits: i === 0 ? 12 : 6 }));
    net.initialize({ init: new init.Normal(0.3) });
    const loss = new gluon.loss.L2Loss();
    net.hybridize({ staticAlloc: true });
    loss.hybridize({ staticAlloc: true });
    return { net, loss };
  };
  const a = make();
  const b = make();
  const target = nd.random.uniform({ shape: [8, 6] });
  const before = replayCount();
  for (let i = 0; i < 3; i++) {
    autograd.record(() => a.loss.forward(a.net.forward(x), target)).backward();
    autograd.record(() => b.loss.forward(b.net.forward(x), target)).backward(null, { retainGraph: true });
    assert.deepEqual(grads(a.net), grads(b.net));
  }
  assert.equal(replayCount() - before, 2);
});
