// hybridize(): Gluon's semantics. Tracing once per input signature (a forward that counts its own
// runs shows when a trace happens), the bounded cache and staticShape, children hybridized and the
// plain-Block fallback with its warning, value reads while tracing, active: false, what
// invalidates a graph and what does not (setData, forceReinit, loadParameters), train and predict
// graphs for Dropout and BatchNorm, summary()/inferShape() on a hybridized net, staticAlloc, and
// one tape node per graph under autograd.record with gradients bitwise equal to eager mode's.
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceError, autograd, gluon, init, nd, nn } from '../../src/index.js';
import { onGradReady } from '../../src/autograd/hooks.js';
import { captureWarnings } from './gluon-helpers.js';

beforeEach(() => gluon.resetNameCounters());

/** A two-layer MLP whose forward counts its runs: a run is a trace once hybridized. */
class Counted extends gluon.HybridBlock {
  runs = 0;
  hidden = new nn.Dense(16, { activation: 'relu' });
  out = new nn.Dense(4);
  override forward(x: nd.NDArray): nd.NDArray {
    this.runs++;
    return this.out.forward(this.hidden.forward(x));
  }
}

function counted(): Counted {
  const net = new Counted();
  net.initialize({ init: new init.Xavier() });
  return net;
}

const bits = (x: nd.NDArray): number[] => Array.from(x.storage);

describe('tracing and the graph cache', () => {
  test('the first call traces, later calls with the same signature run the graph; values equal eager', () => {
    nd.random.seed(1);
    const net = counted();
    const x = nd.random.uniform({ shape: [3, 8] });
    const eager = net.forward(x);
    net.hybridize();
    const before = net.runs;
    const y1 = net.forward(x);
    const y2 = net.forward(nd.array(x));
    assert.equal(net.runs, before + 1);
    assert.deepEqual(bits(y1), bits(eager));
    assert.deepEqual(bits(y2), bits(eager));
    // A new batch size is a new signature: traced once more, then cached.
    net.forward(nd.ones([5, 8]));
    net.forward(nd.ones([5, 8]));
    assert.equal(net.runs, before + 2);
    net.forward(x);
    assert.equal(net.runs, before + 2, 'the (3, 8) graph is still cached');
  });

  test('staticShape keeps one graph; the cache of several is bounded', () => {
    const net = counted();
    net.hybridize({ staticShape: true });
    net.forward(nd.ones([2, 8]));
    net.forward(nd.ones([3, 8]));
    net.forward(nd.ones([2, 8]));
    assert.equal(net.runs, 3);
    const many = counted();
    many.hybridize();
    for (let b = 1; b <= 20; b++) many.forward(nd.ones([b, 8]));
    assert.equal(many.runs, 20);
    many.forward(nd.ones([20, 8]));
    assert.equal(many.runs, 20, 'recent signatures stay cached');
    many.forward(nd.ones([1, 8]));
    assert.equal(many.runs, 21, 'the oldest ones were dropped');
  });

  test('the dtype and the training mode are part of the signature', () => {
    const net = counted();
    net.hybridize();
    net.forward(nd.ones([2, 8]));
    autograd.record(() => net.forward(nd.ones([2, 8])));
    autograd.predictMode(() => autograd.record(() => net.forward(nd.ones([2, 8]))));
    assert.equal(net.runs, 2, 'predict-mode recording reuses the predict graph');
    net.cast('float64');
    net.forward(nd.ones([2, 8], { dtype: 'float64' }));
    assert.equal(net.runs, 3);
  });

  test('hybridize({ active: false }) runs imperatively again', () => {
    const net = counted();
    net.hybridize();
    net.forward(nd.ones([2, 8]));
    net.forward(nd.ones([2, 8]));
    net.hybridize({ active: false });
    net.forward(nd.ones([2, 8]));
    net.forward(nd.ones([2, 8]));
    assert.equal(net.runs, 3);
  });

  test('bad options are refused with the option named', () => {
    assert.throws(() => counted().hybridize({ staticAlloc: 'yes' as unknown as boolean }), /hybridize: staticAlloc must be true or false, got "yes"/);
  });
});

describe('children', () => {
  test('hybridize() reaches HybridBlock children; a parent traces them into its own graph', () => {
    const net = counted();
    net.hybridize();
    net.forward(nd.ones([2, 8]));
    const g = net.graph();
    assert.deepEqual(g.nodes.map((n) => n.op), ['fullyConnected', 'relu', 'fullyConnected']);
    assert.deepEqual(g.params.map((p) => p.path), ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']);
    assert.deepEqual(g.params.map((p) => p.name), ['dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias']);
    // The children were hybridized too: called on their own they run their own graphs.
    net.hidden.forward(nd.ones([2, 8]));
    assert.deepEqual(net.hidden.graph().nodes.map((n) => n.op), ['fullyConnected', 'relu']);
  });

  test('a HybridBlock with a plain Block child runs imperatively and says why; its HybridBlock children are hybridized', () => {
    class Mixed extends gluon.HybridBlock {
      runs = 0;
      plain = new nn.Lambda((x: nd.NDArray) => x.mul(2));
      dense = new nn.Dense(3);
      override forward(x: nd.NDArray): nd.NDArray {
        this.runs++;
        return this.dense.forward(this.plain.forward(x));
      }
    }
    const net = new Mixed();
    net.initialize();
    const { warnings } = captureWarnings(() => net.hybridize());
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /mixed0 has a child that is not a HybridBlock \(plain: Lambda\), so it cannot be hybridized as one graph and runs imperatively/);
    net.forward(nd.ones([1, 2]));
    net.forward(nd.ones([1, 2]));
    assert.equal(net.runs, 2);
    assert.deepEqual(net.dense.graph().nodes.map((n) => n.op), ['fullyConnected']);
  });

  test('a Sequential of HybridBlocks warns as Gluon does and hybridizes each child', () => {
    const net = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2));
    net.initialize();
    const { warnings } = captureWarnings(() => net.hybridize());
    assert.deepEqual(warnings, ["All children of this Sequential layer 'sequential0' are HybridBlocks. Consider using HybridSequential for the best performance."]);
    net.forward(nd.ones([1, 3]));
    assert.ok(net.get<nn.Dense>(1).graph().nodes.length === 1);
    assert.ok(net instanceof gluon.Block && !(net instanceof gluon.HybridBlock));
    assert.ok(new nn.HybridSequential() instanceof gluon.HybridBlock && new nn.Dense(1) instanceof gluon.HybridBlock);
  });
});

describe('a forward that reads values while tracing', () => {
  class Peeking extends gluon.HybridBlock {
    dense = new nn.Dense(2);
    constructor(readonly how: 'item' | 'toArray' | 'branch') {
      super();
    }
    override forward(x: nd.NDArray): nd.NDArray {
      const y = this.dense.forward(x);
      if (this.how === 'item') return y.mul(y.sum().item());
      if (this.how === 'toArray') return nd.array(y.toArray());
      return y.max().storage[0]! > 0 ? y : y.neg();
    }
  }

  for (const [how, call] of [['item', /x\.item\(\)/], ['toArray', /x\.toArray\(\)/], ['branch', /x\.storage/]] as const) {
    test(`raises a TraceError naming the block and the call (${how})`, () => {
      const net = new Peeking(how);
      net.initialize();
      assert.ok(net.forward(nd.ones([1, 3])).size > 0, 'imperatively it runs');
      net.hybridize();
      assert.throws(() => net.forward(nd.ones([1, 3])), (e: Error) => {
        assert.ok(e instanceof TraceError);
        assert.match(e.message, /^peeking\d+: the forward read the values of an array/);
        assert.match(e.message, call);
        assert.match(e.message, /\(1, 3\)/);
        assert.match(e.message, /hybridize\(\{ active: false \}\)/);
        return true;
      });
    });
  }

  test('a child that reads values is named, inside its parent', () => {
    class Reader extends gluon.HybridBlock {
      override forward(x: nd.NDArray): nd.NDArray {
        return x.mul(x.sum().item());
      }
    }
    const net = new nn.HybridSequential().add(new nn.Dense(2), new Reader());
    net.initialize();
    net.hybridize();
    assert.throws(() => net.forward(nd.ones([1, 3])), /^TraceError: reader0 \(called inside hybridsequential0 at '1'\): the forward read the values of an array \(x\.item\(\)\)/m);
  });
});

describe('every TraceError names the block, where it sits, and the call', () => {
  test('a stray shape-only array reaching an op names the block, its path, the op and the input shapes', () => {
    class Stray extends gluon.HybridBlock {
      override forward(x: nd.NDArray): nd.NDArray {
        return x.add(nd.NDArray.shapeOnly(x.shape, x.dtype));
      }
    }
    const net = new nn.HybridSequential().add(new nn.Dense(2), new nn.HybridSequential().add(new Stray()));
    net.initialize();
    net.hybridize();
    assert.throws(() => net.forward(nd.ones([1, 3])), (e: Error) => {
      assert.ok(e instanceof TraceError);
      assert.match(e.message, /^stray\d+ \(called inside hybridsequential\d+ at '1\.0'\): \w+: received a \(1, 2\) shape-only array that is not part of this trace/);
      assert.match(e.message, /while hybridize\(\) traced hybridsequential\d+ for inputs of shape \(1, 3\)/);
      return true;
    });
    const alone = new Stray();
    alone.hybridize();
    assert.throws(() => alone.forward(nd.ones([2])), /^TraceError: stray\d+: \w+: received a \(2,\) shape-only array/m);
  });
});

describe('what a cached graph sees without tracing again, and what traces again', () => {
  test('setData, forceReinit and loadParameters are seen by the next call', () => {
    const net = counted();
    net.hybridize();
    const x = nd.ones([2, 8]);
    net.forward(x);
    net.out.bias!.setData(nd.full([4], 5));
    const withBias = net.forward(x);
    net.hybridize({ active: false });
    assert.deepEqual(bits(withBias), bits(net.forward(x)));
    net.hybridize();
    const runs = net.runs;
    net.forward(x);
    net.initialize({ init: new init.Constant(0.5), forceReinit: true });
    const reinit = net.forward(x);
    const dir = mkdtempSync(join(tmpdir(), 'tsgluon-hybrid-'));
    try {
      const file = join(dir, 'net.params');
      net.saveParameters(file);
      net.initialize({ init: new init.Constant(-1), forceReinit: true });
      net.loadParameters(file);
      assert.deepEqual(bits(net.forward(x)), bits(reinit));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Weights 0.5, biases back to their own 'zeros': relu(8 * 0.5) = 4 per hidden unit, 16 * 4 * 0.5 = 32.
    assert.deepEqual(bits(reinit), new Array(8).fill(32));
    assert.equal(net.runs, runs + 1, 'the new values needed no new trace');
  });

  test('resetShapes, new sharing and a cast trace again', () => {
    const net = counted();
    net.hybridize();
    net.forward(nd.ones([2, 8]));
    net.resetShapes();
    assert.deepEqual(net.forward(nd.ones([2, 6])).shape, [2, 4]);
    assert.deepEqual(net.hidden.weight.shape, [16, 6]);
    assert.equal(net.runs, 2);
    const other = counted();
    other.forward(nd.ones([2, 6]));
    net.shareParameters(other.collectParams());
    const shared = net.forward(nd.ones([2, 6]));
    assert.equal(net.runs, 3);
    other.hybridize({ active: false });
    assert.deepEqual(bits(shared), bits(other.forward(nd.ones([2, 6]))));
    net.cast('float64');
    assert.equal(net.forward(nd.ones([2, 6], { dtype: 'float64' })).dtype, 'float64');
    assert.equal(net.runs, 4);
  });
});

describe('train and predict mode', () => {
  test('Dropout: identity in predict mode, a new mask on every training run', () => {
    const net = new nn.HybridSequential().add(new nn.Dropout(0.5));
    net.initialize();
    net.hybridize();
    const x = nd.ones([4, 50]);
    assert.deepEqual(bits(net.forward(x)), bits(x));
    assert.deepEqual(net.graph().nodes.length, 0);
    nd.random.seed(7);
    const a = autograd.record(() => net.forward(x));
    const b = autograd.record(() => net.forward(x));
    assert.notDeepEqual(bits(a), bits(b));
    assert.deepEqual(net.graph().nodes.map((n) => n.op), ['dropoutMask', 'mul']);
    // The same draws as eager mode from the same seed.
    net.hybridize({ active: false });
    nd.random.seed(7);
    assert.deepEqual(bits(autograd.record(() => net.forward(x))), bits(a));
  });

  test('BatchNorm: batch statistics and running-statistics updates in training, running statistics in predict', () => {
    const make = () => {
      gluon.resetNameCounters();
      const net = new nn.HybridSequential().add(new nn.Conv2D(3, 3, { padding: 1 }), new nn.BatchNorm(), new nn.Activation('relu'));
      nd.random.seed(3);
      net.initialize({ init: new init.Xavier() });
      return net;
    };
    nd.random.seed(4);
    const x = nd.random.normal({ shape: [2, 2, 5, 5] });
    const eager = make();
    const hybrid = make();
    hybrid.hybridize();
    for (let step = 0; step < 3; step++) {
      const ye = autograd.record(() => eager.forward(x));
      const yh = autograd.record(() => hybrid.forward(x));
      assert.deepEqual(bits(yh), bits(ye));
    }
    const bn = (n: nn.HybridSequential) => n.get<nn.BatchNorm>(1);
    assert.deepEqual(bits(bn(hybrid).runningMean.data()), bits(bn(eager).runningMean.data()));
    assert.deepEqual(bits(bn(hybrid).runningVar.data()), bits(bn(eager).runningVar.data()));
    assert.ok(hybrid.graph().nodes.filter((n) => n.op === 'movingAverage').length === 2);
    assert.deepEqual(bits(hybrid.forward(x)), bits(eager.forward(x)));
    assert.ok(!hybrid.graph().nodes.some((n) => n.op === 'movingAverage'), 'predict mode updates nothing');
  });
});

describe('summary() and inferShape() on a hybridized net', () => {
  test('work as on an imperative one', () => {
    const net = new nn.HybridSequential().add(new nn.Dense(8, { activation: 'relu' }), new nn.Dense(2));
    net.initialize();
    net.hybridize();
    net.inferShape([3, 5]);
    assert.deepEqual(net.get<nn.Dense>(0).weight.shape, [8, 5]);
    const table = net.summary([3, 5], { print: false });
    assert.match(table, /0 \(Dense\)\s+\(3, 8\)\s+48/);
    assert.match(table, /Total params: 66/);
    assert.deepEqual(net.forward(nd.ones([3, 5])).shape, [3, 2]);
  });
});

describe('the graph, inspected', () => {
  test('graph(shapes) traces without running; printing lists op, inputs and shapes', () => {
    const net = new nn.HybridSequential().add(new nn.Dense(8, { activation: 'relu' }), new nn.Dense(2));
    net.initialize();
    net.hybridize();
    const g = net.graph([4, 3]);
    assert.deepEqual(net.get<nn.Dense>(0).weight.shape, [8, 3]);
    assert.equal(
      g.toString(),
      [
        'Graph hybridsequential0: 3 nodes',
        '  input  data (4, 3) float32',
        '  param  dense0_weight (8, 3) float32  [0.weight]',
        '  param  dense0_bias (8,) float32  [0.bias]',
        '  param  dense1_weight (2, 8) float32  [1.weight]',
        '  param  dense1_bias (2,) float32  [1.bias]',
        '  %5 = fullyConnected(data, dense0_weight, dense0_bias) {"hasBias":true} -> (4, 8) float32',
        '  %6 = relu(%5) -> (4, 8) float32',
        '  %7 = fullyConnected(%6, dense1_weight, dense1_bias) {"hasBias":true} -> (4, 2) float32',
        '  outputs: %7',
      ].join('\n'),
    );
    const json = JSON.parse(JSON.stringify(g)) as { nodes: { op: string; inputs: object[] }[] };
    assert.deepEqual(json.nodes[0], { op: 'fullyConnected', attrs: { hasBias: true }, inputs: [{ input: 0 }, { param: 0 }, { param: 1 }] });
    assert.throws(() => new nn.HybridSequential().graph(), /graph\(\): no graph yet; call hybridsequential1\.hybridize\(\) and run a forward first/);
  });
});

describe('autograd through a hybridized net', () => {
  /** An MLP step's weight and bias gradients, with or without hybridize, from the same seed. */
  function gradients(hybrid: boolean, staticAlloc = false): number[][] {
    gluon.resetNameCounters();
    nd.random.seed(9);
    const net = new nn.HybridSequential().add(new nn.Dense(16, { activation: 'relu' }), new nn.Dropout(0.3), new nn.Dense(5));
    net.initialize({ init: new init.Xavier() });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    if (hybrid) {
      net.hybridize({ staticAlloc });
      loss.hybridize({ staticAlloc });
    }
    const x = nd.random.normal({ shape: [6, 7] });
    const y = nd.array([0, 1, 2, 3, 4, 0]);
    const out: number[][] = [];
    for (let step = 0; step < 2; step++) {
      const l = autograd.record(() => loss.forward(net.forward(x), y));
      if (hybrid) assert.equal(l._node?.op, 'hybridized softmaxcrossentropyloss0');
      l.backward();
      for (const p of net.collectParams().values()) out.push(Array.from(p.grad().storage));
    }
    return out;
  }

  test('gradients equal eager mode bit for bit (dropout included), with and without staticAlloc', () => {
    const eager = gradients(false);
    assert.deepEqual(gradients(true), eager);
    assert.deepEqual(gradients(true, true), eager);
  });

  test('one tape node per graph; the weight gradient is written into its buffer', () => {
    const net = new nn.HybridSequential().add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(3));
    net.initialize();
    net.hybridize();
    const x = nd.ones([2, 5]);
    const y = autograd.record(() => net.forward(x));
    assert.equal(y._node?.op, 'hybridized hybridsequential0');
    assert.equal(y._node?.inputs.length, 5);
    const buffer = net.get<nn.Dense>(0).weight.grad();
    y.backward();
    assert.equal(net.get<nn.Dense>(0).weight.grad(), buffer);
    assert.ok(buffer.storage.some((v) => v !== 0));
  });

  test('gradient-ready hooks run once per parameter, after its gradient is written, as in eager mode', () => {
    const run = (hybrid: boolean): string[] => {
      gluon.resetNameCounters();
      nd.random.seed(2);
      const net = new nn.HybridSequential().add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(3));
      net.initialize({ init: new init.Xavier() });
      if (hybrid) net.hybridize();
      const x = nd.random.normal({ shape: [2, 5] });
      net.forward(x);
      const seen: string[] = [];
      for (const p of net.collectParams().values()) onGradReady(p.data(), (leaf) => seen.push(`${p.name} ${bits(leaf.grad!)}`));
      autograd.record(() => net.forward(x)).backward();
      return seen.sort();
    };
    const hybrid = run(true);
    assert.equal(hybrid.length, 4);
    assert.deepEqual(hybrid, run(false));
  });

  test('a layer used twice and parameters shared inside one graph: gradients add up as in eager mode', () => {
    const run = (hybrid: boolean) => {
      gluon.resetNameCounters();
      nd.random.seed(4);
      class Tied extends gluon.HybridBlock {
        a = new nn.Dense(6, { activation: 'tanh', inUnits: 6 });
        b = new nn.Dense(6, { inUnits: 6, params: this.a.params });
        override forward(x: nd.NDArray): nd.NDArray {
          return this.b.forward(this.a.forward(this.a.forward(x)));
        }
      }
      const net = new Tied();
      net.initialize();
      if (hybrid) net.hybridize();
      const x = nd.random.normal({ shape: [3, 6] });
      const y = autograd.record(() => net.forward(x));
      y.backward(nd.random.normal({ shape: y.shape }));
      if (hybrid) assert.equal(net.graph().params.length, 2, 'one weight and one bias, shared');
      return [bits(y), bits(net.a.weight.grad()), bits(net.a.bias!.grad())];
    };
    assert.deepEqual(run(true), run(false));
  });

  test('nd.random inside a hybridized forward draws anew on every call, as eager mode does', () => {
    class Noisy extends gluon.HybridBlock {
      override forward(x: nd.NDArray): nd.NDArray {
        return x.add(nd.random.normal({ shape: x.shape, scale: 0.1 }));
      }
    }
    const run = (hybrid: boolean) => {
      const net = new Noisy();
      if (hybrid) net.hybridize();
      nd.random.seed(8);
      return [bits(net.forward(nd.zeros([2, 3]))), bits(net.forward(nd.zeros([2, 3])))];
    };
    const [a, b] = run(true);
    assert.notDeepEqual(a, b);
    assert.deepEqual([a, b], run(false));
  });

  test('retainGraph allows a second backward; without it the second one is refused', () => {
    const net = new nn.HybridSequential().add(new nn.Dense(3));
    net.initialize();
    net.hybridize();
    const x = nd.ones([2, 4]);
    x.attachGrad({ gradReq: 'add' });
    const y = autograd.record(() => net.forward(x).sum());
    y.backward(null, { retainGraph: true });
    const once = Array.from(x.grad!.storage);
    y.backward();
    assert.deepEqual(Array.from(x.grad!.storage), once.map((v) => 2 * v));
    assert.throws(() => y.backward(), /already freed/);
  });

  test('a recorded forward whose backward never runs does not disturb the next step (staticAlloc)', () => {
    const net = new nn.HybridSequential().add(new nn.Dense(3, { activation: 'tanh' }));
    net.initialize();
    net.hybridize({ staticAlloc: true });
    const x = nd.random.normal({ shape: [2, 4] });
    const first = autograd.record(() => net.forward(x));
    const second = autograd.record(() => net.forward(x.mul(2)));
    second.backward();
    const g2 = Array.from(net.get<nn.Dense>(0).weight.grad().storage);
    first.backward();
    const g1 = Array.from(net.get<nn.Dense>(0).weight.grad().storage);
    net.hybridize({ active: false });
    autograd.record(() => net.forward(x)).backward();
    assert.deepEqual(Array.from(net.get<nn.Dense>(0).weight.grad().storage), g1);
    autograd.record(() => net.forward(x.mul(2))).backward();
    assert.deepEqual(Array.from(net.get<nn.Dense>(0).weight.grad().storage), g2);
  });

  test('outputs of earlier calls keep their values (staticAlloc reuses only intermediates)', () => {
    const net = new nn.HybridSequential().add(new nn.Dense(3, { activation: 'relu' }), new nn.Dense(2));
    net.initialize();
    net.hybridize({ staticAlloc: true });
    const a = net.forward(nd.ones([1, 4]));
    const saved = bits(a);
    net.forward(nd.full([1, 4], 3));
    assert.deepEqual(bits(a), saved);
  });
});
