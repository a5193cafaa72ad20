/**
 * The eager convolution with its activation in the epilogue (ops/conv-fused.ts): a Conv2D layer
 * with `activation` relu, sigmoid or tanh gives, forward and backward, the same bits as the
 * convolution followed by the activation op, on the active backend, on 1, 2 and 3 threads; the
 * pre-activation array is never allocated; hybridized equals eager; grouped, transposed and
 * channels-last layers and other activations keep working.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { autograd, backend, gluon, nd } from '../../src/index.js';
import { convolution, convolutionActivated } from '../../src/ops/conv.js';

const ACTS = ['relu', 'sigmoid', 'tanh'] as const;

function bits(a: nd.NDArray): number[] {
  return Array.from(new Uint32Array(Float32Array.from(a.storage).buffer));
}

/** Forward output and the gradients of x, w and b, for `fn(x, w, b)` under a fixed head gradient. */
function run(fn: (x: nd.NDArray, w: nd.NDArray, b: nd.NDArray) => nd.NDArray, seed: number) {
  nd.random.seed(seed);
  const x = nd.random.normal({ shape: [3, 4, 11, 11] });
  const w = nd.random.normal({ shape: [6, 4, 3, 3], scale: 0.3 });
  const b = nd.random.normal({ shape: [6] });
  const head = nd.random.normal({ shape: [3, 6, 11, 11] });
  for (const a of [x, w, b]) a.attachGrad();
  const y = autograd.record(() => fn(x, w, b));
  y.backward(head);
  return { y: bits(y), gx: bits(x.grad!), gw: bits(w.grad!), gb: bits(b.grad!) };
}

function withThreads<T>(n: number, fn: () => T): T {
  const be = backend.getBackend();
  const before = be.numThreads();
  be.setNumThreads?.(n);
  try {
    return fn();
  } finally {
    be.setNumThreads?.(before);
  }
}

describe('convolution with its activation in the epilogue', () => {
  const geometry = { pad: [1, 1], numGroup: 1 };
  for (const act of ACTS) {
    test(`${act}: the bits of convolution then ${act}, forward and gradients, on 1, 2 and 3 threads`, () => {
      const unfused = run((x, w, b) => nd[act](convolution(x, w, b, geometry)), 1);
      for (const t of [1, 2, 3]) {
        const fused = withThreads(t, () => run((x, w, b) => convolutionActivated(x, w, b, geometry, act), 1));
        assert.deepEqual(fused, unfused, `${t} threads`);
      }
    });
  }

  test('without a bias, and with a bias of zero: same as unfused', () => {
    nd.random.seed(5);
    const x = nd.random.normal({ shape: [2, 3, 7, 7] });
    const w = nd.random.normal({ shape: [5, 3, 5, 5] });
    assert.deepEqual(bits(convolutionActivated(x, w, null, { pad: [2, 2] }, 'sigmoid')), bits(nd.sigmoid(convolution(x, w, null, { pad: [2, 2] }))));
  });

  test('a Conv2D layer with a sigmoid: eager uses the fused op (no pre-activation array), hybridized gives the same bits', () => {
    const make = () => {
      const net = new gluon.nn.HybridSequential().add(new gluon.nn.Conv2D(6, 5, { padding: 2, activation: 'sigmoid' }), new gluon.nn.Dense(3));
      net.initialize();
      return net;
    };
    nd.random.seed(2);
    const x = nd.random.uniform({ shape: [4, 1, 12, 12] });
    nd.random.seed(3);
    const eager = make();
    const conv = eager.get(0) as gluon.nn.Conv2D;
    const y = autograd.record(() => conv.forward(x));
    assert.equal(y._node?.op, 'convolutionActivation');
    nd.random.seed(3);
    const hybrid = make();
    hybrid.hybridize();
    const step = (net: gluon.HybridBlock) => {
      const out = autograd.record(() => nd.sum(nd.mul(net.forward(x), net.forward(x))));
      out.backward();
      return [bits(net.forward(x)), ...net.collectParams().values().map((p) => bits(p.grad()))];
    };
    assert.deepEqual(step(hybrid), step(eager));
  });

  test('grouped, transposed and channels-last layers and a softrelu activation match the unfused pair', () => {
    nd.random.seed(4);
    const cases: [gluon.nn.HybridBlock, nd.NDArray, (y: nd.NDArray) => nd.NDArray][] = [
      [new gluon.nn.Conv2D(4, 3, { groups: 2, activation: 'sigmoid', inChannels: 2 }), nd.random.normal({ shape: [2, 2, 6, 6] }), nd.sigmoid],
      [new gluon.nn.Conv2DTranspose(3, 3, { activation: 'tanh', inChannels: 2 }), nd.random.normal({ shape: [2, 2, 5, 5] }), nd.tanh],
      [new gluon.nn.Conv2D(3, 3, { layout: 'NHWC', activation: 'relu', inChannels: 2 }), nd.random.normal({ shape: [2, 6, 6, 2] }), nd.relu],
      [new gluon.nn.Conv2D(3, 3, { activation: 'softrelu', inChannels: 2 }), nd.random.normal({ shape: [2, 2, 6, 6] }), nd.softrelu],
    ];
    for (const [layer, x, act] of cases) {
      layer.initialize();
      const plain = layer as gluon.nn.Conv2D;
      const saved = plain.act;
      (plain as { act: unknown }).act = null;
      const expected = bits(act(layer.forward(x)));
      (plain as { act: unknown }).act = saved;
      assert.deepEqual(bits(layer.forward(x)), expected, layer.toString());
    }
  });

  test('an activation block with a forward hook is still called (the layer does not fuse it away)', () => {
    const layer = new gluon.nn.Conv2D(2, 3, { activation: 'sigmoid', inChannels: 1 });
    layer.initialize();
    const seen: string[] = [];
    layer.act!.registerForwardHook(() => seen.push('act'));
    const x = nd.random.normal({ shape: [1, 1, 5, 5] });
    const y = autograd.record(() => layer.forward(x));
    assert.deepEqual(seen, ['act']);
    assert.equal(y._node?.op, 'sigmoid');
  });
});
