// Epilogue fusion (src/graph/fuse-epilogue.ts): a convolution and the element-wise chain that alone
// reads its output run as one convolutionFused node. Hybridized equals eager bit for bit where it
// fires (conv + BatchNorm + ReLU, a residual block, conv + bias + ReLU), on 1, 2 and 3 threads and
// on the reference backend; new weights and statistics are seen by the next call without
// retracing; it leaves alone a convolution whose output is also a graph output or is kept for
// the backward pass.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { backend, gluon, nd, nn } from '../../src/index.js';
import { compile } from '../../src/graph/index.js';
import { skip, withThreads } from '../backend/parity-helpers.js';

const bits = (x: nd.NDArray): number[] => Array.from(x.storage);

/** conv + BatchNorm (+ the block's input when `residual`) + ReLU, channels in and out equal. */
class ConvBlock extends gluon.HybridBlock {
  conv: nn.Conv2D;
  bn: nn.BatchNorm;
  constructor(
    readonly channels: number,
    readonly residual: boolean,
  ) {
    super();
    this.conv = new nn.Conv2D(channels, 3, { padding: 1, useBias: false });
    this.bn = new nn.BatchNorm();
  }
  override forward(x: nd.NDArray): nd.NDArray {
    const y = this.bn.forward(this.conv.forward(x));
    return (this.residual ? y.add(x) : y).relu();
  }
}

/** A net with non-trivial BatchNorm statistics, initialized for `shape`. */
function build(net: gluon.HybridBlock, shape: number[]): gluon.HybridBlock {
  nd.random.seed(5);
  net.initialize({ init: 'xavier', inputShape: shape });
  for (const p of net.collectParams().values()) {
    if (/running_var|gamma/.test(p.name)) p.setData(nd.random.uniform({ shape: p.shape, low: 0.5, high: 2 }));
    else if (/running_mean|beta/.test(p.name)) p.setData(nd.random.normal({ shape: p.shape }));
  }
  return net;
}

/** The ops of the inference program compiled from the net's traced graph. */
const programOps = (net: gluon.HybridBlock): string[] => compile(net.graph()).inference.graph.nodes.map((n) => n.op);

const NETS: [string, () => gluon.HybridBlock, number[], string[]][] = [
  ['conv + BatchNorm + ReLU', () => new ConvBlock(16, false), [2, 16, 12, 12], ['convolutionFused']],
  ['a residual block (conv + BatchNorm + add + ReLU)', () => new ConvBlock(16, true), [1, 16, 20, 20], ['convolutionFused']],
  [
    'conv with a bias + ReLU, twice (Winograd, then GEMM)',
    () => new nn.HybridSequential().add(new nn.Conv2D(16, 3, { padding: 1, activation: 'relu' }), new nn.Conv2D(8, 3, { strides: 2, activation: 'relu' })),
    [1, 8, 24, 24],
    ['convolutionFused', 'convolutionFused'],
  ],
];

describe('epilogue fusion', { skip }, () => {
  for (const [name, make, shape, ops] of NETS) {
    test(`${name}: fires, and hybridized equals eager on 1, 2 and 3 threads and on ref`, () => {
      const net = build(make(), shape);
      const x = nd.random.normal({ shape });
      const eager = bits(net.forward(x));
      net.hybridize();
      for (const threads of [1, 2, 3]) assert.deepEqual(withThreads(threads, () => bits(net.forward(x))), eager, `${threads} threads`);
      assert.deepEqual(programOps(net), ops);
      const refEager = backend.withBackend('ref', () => {
        const fresh = build(make(), shape);
        const e = bits(fresh.forward(x));
        fresh.hybridize();
        assert.deepEqual(bits(fresh.forward(x)), e, 'ref: hybridized equals eager');
        return e;
      });
      refEager.forEach((v, i) => assert.ok(Math.abs(v - eager[i]!) <= 1e-4 + 1e-4 * Math.abs(v), `native vs ref at ${i}: ${eager[i]} vs ${v}`));
    });
  }

  test('new weights and statistics are seen by the next call, without retracing', () => {
    const net = build(new ConvBlock(8, true), [1, 8, 9, 9]);
    const x = nd.random.normal({ shape: [1, 8, 9, 9] });
    net.hybridize();
    net.forward(x);
    const graph = net.graph();
    for (const p of net.collectParams().values()) p.setData(nd.random.uniform({ shape: p.shape, low: 0.5, high: 1.5 }));
    const hybrid = bits(net.forward(x));
    assert.equal(net.graph(), graph, 'the same graph');
    net.hybridize({ active: false });
    assert.deepEqual(hybrid, bits(net.forward(x)));
  });

  test('a convolution whose output is also returned, or kept for backward, is not fused', () => {
    class Both extends ConvBlock {
      override forward(x: nd.NDArray): nd.NDArray {
        const y = this.conv.forward(x);
        return nd.concat([y, y.relu()], { axis: 1 });
      }
    }
    const net = build(new Both(4, false), [1, 4, 6, 6]);
    const x = nd.random.normal({ shape: [1, 4, 6, 6] });
    const eager = bits(net.forward(x));
    net.hybridize();
    assert.deepEqual(bits(net.forward(x)), eager);
    assert.ok(!programOps(net).includes('convolutionFused'), 'the conv output has two readers');
    // Training: the gradients of gamma and of the weights read the conv output, so it is kept.
    const train = build(new ConvBlock(4, false), [2, 4, 6, 6]);
    const g = train.graph([2, 4, 6, 6]);
    const needs = [...g.inputs.map(() => false), ...g.params.map(() => true)];
    assert.ok(compile(g).inference.graph.nodes.some((n) => n.op === 'convolutionFused'), 'fused for inference');
    assert.ok(!compile(g).training(needs).forward.graph.nodes.some((n) => n.op === 'convolutionFused'), 'not when training');
  });
});
