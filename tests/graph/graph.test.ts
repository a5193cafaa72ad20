// The graph layer on its own: the plain-data description (round trip, a graph written by hand and
// run, errors naming the node), the memory plan (buffers reused by liveness, zeroing only where a
// primitive needs it, staticAlloc allocating once), indices as graph inputs, the backward graph,
// and a forward with two outputs under autograd.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { autograd, gluon, nd, nn, ValueError, ShapeError } from '../../src/index.js';
import { Graph, compile, type GraphDescription } from '../../src/graph/index.js';
import { trace } from '../../src/graph/trace.js';

const bits = (x: nd.NDArray): number[] => Array.from(x.storage);

/** Traces a plain function of arrays into a graph (no parameters). */
function traced(fn: (...xs: nd.NDArray[]) => nd.NDArray, ...inputs: nd.NDArray[]): Graph {
  return trace('fn', inputs.map((x) => ({ shape: x.shape, dtype: x.dtype })), fn, (r) => [r], () => ({ path: '', name: '' })).graph;
}

describe('the plain-data description', () => {
  test('describe() survives JSON and rebuilds a graph that prints and runs the same', () => {
    const net = new nn.HybridSequential().add(new nn.Conv2D(2, 3, { padding: 1 }), new nn.BatchNorm(), new nn.Activation('relu'), new nn.Dense(3));
    net.initialize();
    net.hybridize();
    const x = nd.random.normal({ shape: [2, 1, 4, 4] });
    const y = net.forward(x);
    const g = net.graph();
    const back = Graph.fromDescription(JSON.parse(JSON.stringify(g)) as GraphDescription);
    assert.equal(back.toString(), g.toString());
    const params = g.params.map((p) => net.collectParams().get(p.path).data());
    assert.deepEqual(bits(compile(back).run([x], params)[0]!), bits(y));
  });

  test('a graph written by hand runs, with gradients', () => {
    const desc: GraphDescription = {
      name: 'by hand',
      inputs: [{ shape: [2, 3], dtype: 'float32' }],
      params: [{ path: 'w', name: 'w', shape: [4, 3], dtype: 'float32' }],
      constants: [{ shape: [], dtype: 'float32', data: [2] }],
      nodes: [
        { op: 'fullyConnected', attrs: { hasBias: false }, inputs: [{ input: 0 }, { param: 0 }] },
        { op: 'tanh', inputs: [{ node: 0 }] },
        { op: 'mul', inputs: [{ node: 1 }, { const: 0 }] },
      ],
      outputs: [{ node: 2 }],
    };
    const g = Graph.fromDescription(desc);
    assert.deepEqual(g.values[g.outputs[0]!]!.shape, [2, 4]);
    const x = nd.array([[1, 2, 3], [-1, 0, 1]]);
    const w = nd.random.normal({ shape: [4, 3] });
    w.attachGrad();
    const y = autograd.record(() => compile(g).run([x], [w])[0]!);
    y.backward();
    const gw = bits(w.grad!);
    const w2 = nd.array(w);
    w2.attachGrad();
    const eager = autograd.record(() => nd.fullyConnected(x, w2).tanh().mul(2));
    eager.backward();
    assert.deepEqual(bits(y), bits(eager));
    assert.deepEqual(gw, bits(w2.grad!));
  });

  test('errors name the node and what is wrong', () => {
    const base: GraphDescription = { inputs: [{ shape: [2], dtype: 'float32' }], params: [], constants: [], nodes: [], outputs: [{ input: 0 }] };
    assert.throws(() => Graph.fromDescription({ ...base, nodes: [{ op: 'frobnicate', inputs: [{ input: 0 }] }] }), (e: Error) => e instanceof ValueError && /node 0 uses op 'frobnicate', which is not a primitive/.test(e.message));
    assert.throws(() => Graph.fromDescription({ ...base, nodes: [{ op: 'exp', inputs: [{ node: 0 }] }] }), /node 0 \(exp\) input 0 refers to node 0, which does not exist before it/);
    assert.throws(() => Graph.fromDescription({ ...base, outputs: [{ param: 3 }] }), /output 0 refers to param 3, which does not exist/);
    assert.throws(
      () => Graph.fromDescription({ ...base, inputs: [{ shape: [2], dtype: 'float32' }, { shape: [3], dtype: 'float32' }], nodes: [{ op: 'add', inputs: [{ input: 0 }, { input: 1 }] }] }),
      ShapeError,
    );
  });
});

describe('the memory plan', () => {
  test('a chain of element-wise ops ping-pongs between two buffers (unfused); the output is its own array', () => {
    const g = traced((x) => x.exp().sin().tanh().neg().abs().sqrt(), nd.ones([1000]));
    const exe = compile(g, { fuse: false });
    const mem = exe.inference.memory;
    assert.equal(mem.buffers.length, 2);
    assert.equal(mem.poolElements, 2000);
    assert.ok(mem.zeroFirst.every((z) => !z), 'every op here writes its whole output');
    const x = nd.random.uniform({ shape: [1000] });
    const expected = bits(x.exp().sin().tanh().neg().abs().sqrt());
    assert.deepEqual(bits(exe.run([x], [])[0]!), expected);
    // Fused, the chain is one node, one pass, no intermediate buffer, and the same bits.
    const fused = compile(g).inference;
    assert.deepEqual(fused.graph.nodes.map((n) => n.op), ['fusedElementwise']);
    assert.equal(fused.memory.buffers.length, 0);
    assert.deepEqual(bits(compile(g).run([x], [])[0]!), expected);
  });

  test('a reused buffer is zeroed before a primitive that accumulates into its output', () => {
    // takeGrad adds into a zeroed output; its buffer was used by an earlier op of the same size.
    const idx = nd.array([0, 0, 2]);
    const g = traced((x, i) => x.exp().mul(3).take(i!).sum(), nd.ones([4, 2]), idx);
    assert.ok(g.nodes.some((n) => n.op === 'take'));
    const x = nd.random.normal({ shape: [4, 2] });
    x.attachGrad();
    const exe = compile(g, { staticAlloc: true });
    for (let step = 0; step < 3; step++) {
      const y = autograd.record(() => exe.run([x, idx], [])[0]!);
      y.backward();
      const x2 = nd.array(x);
      x2.attachGrad();
      autograd.record(() => x2.exp().mul(3).take(idx).sum()).backward();
      assert.deepEqual(bits(x.grad!), bits(x2.grad!), `step ${step}`);
    }
    const bwd = exe.training([true, false]).program;
    assert.ok(bwd.memory.zeroFirst.some(Boolean), 'some reused buffer is zeroed first');
  });

  test('indices are graph inputs: the same graph gathers other indices', () => {
    const g = traced((x, i) => nd.take(x, i!).mul(10), nd.zeros([5, 2]), nd.zeros([3], { dtype: 'int32' }));
    const x = nd.arange(0, 10).reshape([5, 2]);
    const exe = compile(g);
    assert.deepEqual(exe.run([x, nd.array([4, 0, 1], { dtype: 'int32' })], [])[0]!.toArray(), [[80, 90], [0, 10], [20, 30]]);
    assert.deepEqual(exe.run([x, nd.array([2, 2, 3], { dtype: 'int32' })], [])[0]!.toArray(), [[40, 50], [40, 50], [60, 70]]);
  });

  test('a hybridized Embedding checks the indices of every batch', () => {
    const emb = new nn.Embedding(4, 2);
    emb.initialize();
    emb.hybridize();
    emb.forward(nd.array([1, 2]));
    assert.throws(() => emb.forward(nd.array([3, 4])), /embedding\d+: index 4 at flat position 1 of the input \(2,\) is not an integer in \[0, 4\)/);
  });
});

describe('the backward graph', () => {
  test('reads only what the rules need and computes no unused gradient', () => {
    gluon.resetNameCounters();
    const net = new nn.HybridSequential().add(new nn.Dense(4, { activation: 'relu' }), new nn.Dense(2));
    net.initialize();
    net.hybridize();
    net.forward(nd.ones([3, 5]));
    const g = net.graph();
    // The input needs no gradient: no data-side product for the first layer.
    const b = compile(g).training([false, true, true, true, true]).backward;
    const ops = b.graph.nodes.map((n) => n.op);
    assert.equal(ops.filter((op) => op === 'matmul').length, 3, ops.join(', '));
    assert.deepEqual(b.gradOf, [-1, 0, 1, 2, 3]);
    const labels = b.saved.map((v) => g.label(v));
    assert.ok(labels.includes('data') && labels.includes('dense1_weight') && !labels.includes('dense1_bias'), labels.join(', '));
  });

  test('a forward with two outputs differentiates each', () => {
    class Two extends gluon.HybridBlock {
      dense = new nn.Dense(3);
      override forward(x: nd.NDArray): nd.NDArray {
        const h = this.dense.forward(x);
        return [h.tanh(), h.square()] as unknown as nd.NDArray;
      }
    }
    const run = (hybrid: boolean) => {
      gluon.resetNameCounters();
      nd.random.seed(2);
      const net = new Two();
      net.initialize();
      if (hybrid) net.hybridize();
      const x = nd.random.normal({ shape: [2, 4] });
      const [a, b] = autograd.record(() => net.forward(x)) as unknown as nd.NDArray[];
      autograd.backward([a!, b!]);
      return [bits(a!), bits(b!), bits(net.dense.weight.grad())];
    };
    const eager = run(false);
    const hybrid = run(true);
    assert.deepEqual(hybrid.slice(0, 2), eager.slice(0, 2));
    // Two backward runs, one per output, add up the same terms in another order.
    hybrid[2]!.forEach((v, i) => assert.ok(Math.abs(v - eager[2]![i]!) <= 1e-6 * Math.max(1, Math.abs(v))));
  });
});
