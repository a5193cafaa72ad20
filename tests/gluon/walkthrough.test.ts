// The walkthrough of the Gluon issue, exactly as written (console.log captured); then again with
// net.hybridize() before the first forward, on the Sequential as written (its Dense layers are
// hybridized one by one) and on a HybridSequential (one graph): each Init line prints once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gluon, nd, init, nn } from '../../src/index.js';

const variants = [
  ['as written', null],
  ['with net.hybridize() on the Sequential', 'Sequential'],
  ['with net.hybridize() on a HybridSequential', 'HybridSequential'],
] as const;

for (const [label, hybrid] of variants) test(`the issue walkthrough ${label} prints what D2L prints`, () => {
  gluon.resetNameCounters();
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args.map((a) => (Array.isArray(a) ? `(${a.join(', ')})` : String(a))).join(' '));
  try {
    class MyInit extends init.Initializer {
      protected override initWeight(name: string, data: nd.NDArray): void {
        console.log('Init', name, data.shape);
      }
    }
    const net = hybrid === 'HybridSequential' ? new nn.HybridSequential() : new nn.Sequential();
    net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
    net.initialize({ init: new MyInit() });
    if (hybrid !== null) gluon.setWarningHandler(() => {});
    if (hybrid !== null) net.hybridize();
    gluon.setWarningHandler(null);
    assert.deepEqual(printed.splice(0), []);
    const x = nd.random.uniform({ shape: [2, 20] });
    const y = net.forward(x);
    assert.deepEqual(y.shape, [2, 10]);
    assert.deepEqual(printed.splice(0), ['Init dense0_weight (256, 20)', 'Init dense1_weight (10, 256)']);
    net.forward(x);
    assert.deepEqual(printed.splice(0), []);
    if (hybrid === 'HybridSequential') assert.match((net as nn.HybridSequential).graph().toString(), /fullyConnected\(data, dense0_weight, dense0_bias\)/);
    net.initialize({ init: new MyInit(), forceReinit: true });
    assert.deepEqual(printed.splice(0), ['Init dense0_weight (256, 20)', 'Init dense1_weight (10, 256)']);
    const net2 = new nn.Sequential();
    net2.add(new nn.Dense(256, { inUnits: 20, activation: 'relu' }), new nn.Dense(10, { inUnits: 256 }));
    net2.initialize({ init: new MyInit() });
    assert.deepEqual(printed.splice(0), ['Init dense2_weight (256, 20)', 'Init dense3_weight (10, 256)']);
  } finally {
    console.log = log;
  }
});
