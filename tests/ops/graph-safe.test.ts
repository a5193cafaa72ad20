// What a traced graph relies on, checked before any graph exists:
// - every primitive of every op-table row is registered by name, and its attributes survive a
//   JSON round trip (a graph's nodes carry plain data only);
// - a primitive marked outputInit 'none' writes every output element: computed into a buffer full
//   of garbage it gives the same bits as into a zeroed one (on every backend);
// - take and pick read their indices when they compute, never from their attributes;
// - Dropout draws its mask inside a primitive and gives the same bits as the nd ops it replaced;
// - nn.BatchNorm as one nd.batchNorm call equals the composite it replaced, running statistics
//   and gradients included.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { autograd, backend, gluon, nd, nn } from '../../src/index.js';
import { PrimNode, needsGrad, primitiveByName, withCapture, type Capture, type Primitive } from '../../src/ops/define.js';
import type { CaseFile } from './op-table.js';
import { assertClose } from '../helpers.js';

interface Seen {
  prim: Primitive<unknown, unknown>;
  attrs: unknown;
}

/**
 * A capture that computes each call for real (so the row's function runs on as usual) and checks
 * the primitive on the way: a garbage-filled output must come out equal to a zeroed one when the
 * primitive promises to write every element.
 */
function auditing(seen: Seen[], problems: string[]): Capture {
  return {
    record<A, P>(prim: Primitive<A, P>, inputs: readonly nd.NDArray[], attrs: A, { shape, dtype, plan }: { shape: readonly number[]; dtype: nd.DType; plan: P }): nd.NDArray {
      seen.push({ prim: prim as Primitive<unknown, unknown>, attrs });
      if (inputs.some((x) => x.isShapeOnly)) return prim.effect === 'inPlace' ? inputs[0]! : nd.NDArray.shapeOnly(shape, dtype);
      const kernels = backend.getBackend().kernels;
      const storages = inputs.map((x) => x.storage);
      if (prim.effect === 'inPlace') {
        prim.compute(kernels, inputs[0]!.storage, storages, plan, attrs);
        return inputs[0]!;
      }
      if (prim.view === true) return new nd.NDArray(inputs[0]!.storage, shape, dtype);
      const out = nd.zeros(shape, { dtype });
      prim.compute(kernels, out.storage, storages, plan, attrs);
      if (prim.outputInit === 'none' && prim.effect === undefined && out.size > 0) {
        const junk = nd.full(shape, dtype === 'uint8' ? 77 : -12345.5, { dtype });
        prim.compute(kernels, junk.storage, storages, plan, attrs);
        const same = out.storage.every((v, i) => Object.is(v, junk.storage[i]) || (Number.isNaN(v) && Number.isNaN(junk.storage[i]!)));
        if (!same) problems.push(`${prim.name} (outputInit 'none') left elements unwritten for output ${JSON.stringify(shape)}`);
      }
      // Rows that differentiate inside their function need the tape apply would have recorded.
      const needs = inputs.map(needsGrad);
      if (prim.grad !== undefined && autograd.isRecording() && needs.some(Boolean)) out._node = new PrimNode(prim, { inputs, out, attrs, needsGrad: needs });
      return out;
    },
  };
}

const casesDir = join(dirname(fileURLToPath(import.meta.url)), 'cases');
const caseFiles = readdirSync(casesDir).filter((f) => f.endsWith('.ts')).sort();

describe('every primitive of the op table is graph-safe', () => {
  for (const name of backend.listBackends()) {
    test(`registered by name, JSON-able attributes, outputInit honoured (${name})`, async () => {
      const seen: Seen[] = [];
      const problems: string[] = [];
      for (const file of caseFiles) {
        const mod = (await import(pathToFileURL(join(casesDir, file)).href)) as CaseFile;
        for (const c of mod.cases) {
          const inputs = c.inputs();
          backend.withBackend(name, () => withCapture(auditing(seen, problems), () => c.fn(...inputs)));
        }
      }
      assert.deepEqual(problems, []);
      const names = new Set(seen.map((s) => s.prim.name));
      assert.ok(names.size > 40, `only ${names.size} primitives ran`);
      for (const { prim, attrs } of seen) {
        assert.equal(primitiveByName(prim.name), prim, `${prim.name} is registered`);
        assert.deepEqual(JSON.parse(JSON.stringify(attrs ?? null)), attrs ?? null, `${prim.name}: attributes are plain data`);
      }
    });
  }
});

describe('take and pick read their indices when they compute', () => {
  test('the attributes hold no index values; a new index array gives a new gather', () => {
    const seen: Seen[] = [];
    const x = nd.array([[1, 2], [3, 4], [5, 6]]);
    const picked = withCapture(auditing(seen, []), () => [nd.take(x, nd.array([2, 0])), nd.pick(x, nd.array([1, 0, 1]))]);
    assert.deepEqual(picked.map((a) => a.toArray()), [[[5, 6], [1, 2]], [2, 3, 6]]);
    const [take, pick] = seen.filter((s) => s.prim.name === 'take' || s.prim.name === 'pick');
    assert.ok(take && pick);
    for (const s of [take, pick]) assert.doesNotMatch(JSON.stringify(s.attrs), /idx|indices/);
    // The same primitive and attributes with other indices: what a graph replay does.
    const kernels = backend.getBackend().kernels;
    const out = new Float32Array(4);
    take.prim.compute(kernels, out, [x.storage, new Float32Array([1, 1])], null, take.attrs);
    assert.deepEqual(Array.from(out), [3, 4, 3, 4]);
  });

  test('nn.Embedding checks the indices inside the lookup primitive', () => {
    const emb = new nn.Embedding(3, 2);
    emb.initialize();
    assert.throws(() => emb.forward(nd.array([[0, 2.5]])), /embedding\d+: index 2.5 at flat position 1 of the input \(1, 2\) is not an integer in \[0, 3\)/);
    assert.deepEqual(emb.forward(nd.array([2, 0])).shape, [2, 2]);
  });
});

describe('Dropout draws its mask inside a primitive', () => {
  /** The formula Dropout used before: uniform draws, a comparison and a scale, as nd ops. */
  function oldDropout(x: nd.NDArray, rate: number, maskShape: readonly number[]): nd.NDArray {
    const keep = nd.greaterEqual(nd.random.uniform({ shape: maskShape, dtype: x.dtype }), rate);
    return nd.mul(x, nd.mul(keep, 1 / (1 - rate)));
  }

  for (const [dtype, rate, axes] of [['float32', 0.5, []], ['float32', 0.3, [1]], ['float64', 0.7, [0]]] as const) {
    test(`same bits as the nd-op formula: ${dtype}, rate ${rate}, axes [${axes.join(', ')}]`, () => {
      const x = nd.random.normal({ shape: [4, 6], dtype });
      const layer = new nn.Dropout(rate, { axes });
      nd.random.seed(11);
      const y = autograd.record(() => layer.forward(x));
      nd.random.seed(11);
      const maskShape = x.shape.map((d, i) => ((axes as readonly number[]).includes(i) ? 1 : d));
      const expected = oldDropout(x, rate, maskShape);
      assert.deepEqual(Array.from(y.storage), Array.from(expected.storage));
      assert.ok(y.storage.some((v) => v === 0) && y.storage.some((v) => v !== 0));
    });
  }

  test('shape inference draws nothing', () => {
    const layer = new nn.Dropout(0.5);
    nd.random.seed(3);
    const y = autograd.record(() => layer.forward(nd.NDArray.shapeOnly([2, 3], 'float32')));
    assert.ok(y.isShapeOnly);
    const after = nd.random.uniform().item();
    nd.random.seed(3);
    assert.equal(nd.random.uniform().item(), after);
  });
});

describe('nn.BatchNorm as nd.batchNorm', () => {
  /** The composite BatchNorm computed before, with nd ops (batch statistics, biased variance). */
  function oldBatchNorm(x: nd.NDArray, gamma: nd.NDArray, beta: nd.NDArray, eps: number): nd.NDArray {
    const reduce = [0, 2, 3];
    const bshape = [1, x.shape[1]!, 1, 1];
    const m = nd.mean(x, { axis: reduce, keepdims: true });
    const v = nd.mean(nd.square(nd.sub(x, m)), { axis: reduce, keepdims: true });
    const y = nd.mul(nd.sub(x, m), nd.rsqrt(nd.add(v, eps)));
    return nd.add(nd.mul(y, gamma.reshape(bshape)), beta.reshape(bshape));
  }

  test('training forward, running statistics and gradients match the composite', () => {
    gluon.resetNameCounters();
    const bn = new nn.BatchNorm({ momentum: 0.8 });
    bn.initialize();
    nd.random.seed(5);
    const x = nd.random.normal({ shape: [3, 4, 5, 5], loc: 1, scale: 2 });
    bn.inferShape(x.shape);
    bn.gamma.setData(nd.random.uniform({ shape: [4], low: 0.5, high: 1.5 }));
    bn.beta.setData(nd.random.uniform({ shape: [4], low: -1, high: 1 }));
    const head = nd.random.normal({ shape: x.shape });
    x.attachGrad();
    const y = autograd.record(() => bn.forward(x));
    y.backward(head);
    const gx = nd.array(x.grad!);
    const gGamma = nd.array(bn.gamma.grad());
    const gBeta = nd.array(bn.beta.grad());

    const [x2, g2, b2] = [nd.array(x), nd.array(bn.gamma.data()), nd.array(bn.beta.data())];
    for (const a of [x2, g2, b2]) a.attachGrad();
    const y2 = autograd.record(() => oldBatchNorm(x2, g2, b2, 1e-5));
    y2.backward(head);
    assertClose(y, y2, { rtol: 1e-5, atol: 2e-6 });
    assertClose(gx, x2.grad!, { rtol: 1e-4, atol: 2e-5 });
    assertClose(gGamma, g2.grad!, { rtol: 1e-4, atol: 2e-5 });
    assertClose(gBeta, b2.grad!, { rtol: 1e-5, atol: 1e-5 });
    const m = nd.mean(x, { axis: [0, 2, 3] });
    const v = nd.mean(nd.square(nd.sub(x, m.reshape([1, 4, 1, 1]))), { axis: [0, 2, 3] });
    assertClose(bn.runningMean.data(), nd.mul(m, 0.2), { rtol: 1e-5, atol: 1e-6 });
    assertClose(bn.runningVar.data(), nd.add(nd.mul(v, 0.2), 0.8), { rtol: 1e-5, atol: 1e-6 });
  });

  test('prediction uses the running statistics and changes nothing', () => {
    const bn = new nn.BatchNorm({ inChannels: 2 });
    bn.initialize();
    bn.runningMean.setData(nd.array([1, -1]));
    bn.runningVar.setData(nd.array([4, 0.25]));
    const y = bn.forward(nd.array([[3, 0], [1, -1]]));
    assertClose(y, [[2 / Math.sqrt(4 + 1e-5), 1 / Math.sqrt(0.25 + 1e-5)], [0, 0]]);
    assert.deepEqual(Array.from(bn.runningMean.data().storage), [1, -1]);
    assert.deepEqual(Array.from(bn.runningVar.data().storage), [4, 0.25]);
  });
});
