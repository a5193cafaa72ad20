/**
 * The autograd API as Gluon users know it: recording scopes and train/predict mode, gradReq
 * write/add/null, head gradients, detach, freed graphs, reused inputs, and the gradient checker
 * itself (which must be able to fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nd, autograd, backend, AutogradError, DTypeError, ShapeError, ValueError } from '../../src/index.js';
import { apply, type Primitive } from '../../src/ops/define.js';
import { assertClose } from '../helpers.js';

const f64 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'float64' });

test('record, pause, trainMode and predictMode nest and restore state', () => {
  assert.equal(autograd.isRecording(), false);
  assert.equal(autograd.isTraining(), false);
  autograd.record(() => {
    assert.equal(autograd.isRecording(), true);
    assert.equal(autograd.isTraining(), true);
    autograd.pause(() => {
      assert.equal(autograd.isRecording(), false);
      assert.equal(autograd.isTraining(), false);
      autograd.trainMode(() => {
        assert.equal(autograd.isRecording(), false);
        assert.equal(autograd.isTraining(), true);
      });
    });
    autograd.predictMode(() => {
      assert.equal(autograd.isRecording(), true);
      assert.equal(autograd.isTraining(), false);
    });
    assert.equal(autograd.isTraining(), true);
  });
  autograd.record(() => assert.equal(autograd.isTraining(), false), { trainMode: false });
  autograd.pause(() => assert.equal(autograd.isTraining(), true), { trainMode: true });
  assert.equal(autograd.isRecording(), false);
  assert.equal(autograd.isTraining(), false);
});

test('scopes restore state when their function throws', () => {
  assert.throws(() => autograd.record(() => autograd.trainMode(() => { throw new Error('boom'); })), /boom/);
  assert.equal(autograd.isRecording(), false);
  assert.equal(autograd.isTraining(), false);
});

test('record returns the function result; operations outside record are not recorded', () => {
  const x = f64([1, 2]);
  x.attachGrad();
  const outside = x.mul(2);
  assert.equal(outside._node, null);
  const inside = autograd.record(() => x.mul(2));
  assert.notEqual(inside._node, null);
  assert.throws(() => outside.sum().backward(), (e: unknown) => e instanceof AutogradError && /autograd\.record/.test((e as Error).message));
});

test('gradReq write overwrites, add accumulates, null detaches', () => {
  const w = f64([1, 2]);
  const a = f64([1, 2]);
  const n = f64([1, 2]);
  w.attachGrad();
  a.attachGrad({ gradReq: 'add' });
  n.attachGrad({ gradReq: 'null' });
  assert.equal(n.grad, null);
  for (let i = 0; i < 3; i++) {
    const y = autograd.record(() => w.mul(3).add(a.mul(5)).add(n.mul(7)).sum());
    y.backward();
  }
  assertClose(w.grad!, [3, 3]);
  assertClose(a.grad!, [15, 15]);
  assert.equal(n.grad, null);
});

test('a non-scalar head is seeded with ones; an explicit head gradient is used as given', () => {
  const x = f64([[1, 2], [3, 4]]);
  x.attachGrad();
  autograd.record(() => x.square()).backward();
  assertClose(x.grad!, [[2, 4], [6, 8]]);
  autograd.record(() => x.square()).backward(f64([[1, 0], [0.5, -1]]));
  assertClose(x.grad!, [[2, 0], [3, -8]]);
  // A float32 head gradient for a float64 head is converted.
  autograd.record(() => x.mul(2)).backward(nd.ones([2, 2]).mul(3));
  assertClose(x.grad!, [[6, 6], [6, 6]]);
  assert.equal(x.grad!.dtype, 'float64');
});

test('a head gradient of the wrong shape is a ShapeError naming both shapes', () => {
  const x = f64([1, 2, 3]);
  x.attachGrad();
  const y = autograd.record(() => x.mul(2));
  assert.throws(() => y.backward(nd.ones([2])), (e: unknown) => e instanceof ShapeError && /\(2,\).*\(3,\)/.test((e as Error).message));
});

test('several heads at once, with and without head gradients', () => {
  const x = f64([1, 2]);
  x.attachGrad();
  const [y1, y2] = autograd.record(() => [x.mul(2).sum(), x.square()]);
  autograd.backward([y1!, y2!], [null, f64([1, 10])]);
  // d(2 sum x)/dx = 2; d(sum(g * x^2))/dx = 2 g x.
  assertClose(x.grad!, [2 + 2, 2 + 40]);
});

test('detach stops gradients; pause inside record treats values as constants', () => {
  const x = f64([3]);
  x.attachGrad();
  autograd.record(() => x.mul(x.detach())).backward();
  assertClose(x.grad!, [3]);
  autograd.record(() => autograd.pause(() => x.mul(2)).mul(x)).backward();
  assertClose(x.grad!, [6]);
  const d = x.detach();
  assert.equal(d._node, null);
  assert.deepEqual(d.toArray(), [3]);
});

test('a reused input accumulates: d(x*x)/dx = 2x, d(x*x*x)/dx = 3x^2', () => {
  const x = f64([1.5, -2]);
  x.attachGrad();
  autograd.record(() => x.mul(x)).backward();
  assertClose(x.grad!, [3, -4]);
  autograd.record(() => x.mul(x).mul(x)).backward();
  assertClose(x.grad!, [6.75, 12]);
  // A diamond: h is used twice downstream.
  autograd.record(() => {
    const h = x.exp();
    return h.add(h.mul(h));
  }).backward();
  assertClose(x.grad!, [Math.exp(1.5) + 2 * Math.exp(3), Math.exp(-2) + 2 * Math.exp(-4)]);
});

test('backward twice without retainGraph raises a helpful AutogradError; retainGraph allows it', () => {
  const x = f64([1, 2]);
  x.attachGrad({ gradReq: 'add' });
  const y = autograd.record(() => x.square().sum());
  y.backward();
  assert.throws(() => y.backward(), (e: unknown) => e instanceof AutogradError && /already freed/.test((e as Error).message) && /retainGraph/.test((e as Error).message));
  assertClose(x.grad!, [2, 4]);
  const z = autograd.record(() => x.square().sum());
  z.backward(null, { retainGraph: true });
  z.backward();
  assertClose(x.grad!, [2 + 4, 4 + 8]);
});

test('backward through an intermediate freed by an earlier backward raises instead of dropping the gradient', () => {
  const x = f64([1, 2]);
  x.attachGrad();
  const [l1, l2] = autograd.record(() => {
    const h = x.exp();
    return [h.sum(), h.mean()];
  });
  l1!.backward();
  assert.throws(() => l2!.backward(), (e: unknown) => e instanceof AutogradError && /retainGraph/.test((e as Error).message));
});

test("a leaf whose every path has zero derivative gets a zero gradient under 'write'", () => {
  const x = f64([1, -2]);
  x.attachGrad();
  autograd.record(() => x.mul(5)).backward();
  assertClose(x.grad!, [5, 5]);
  autograd.record(() => x.sign().add(x.floor())).backward();
  assertClose(x.grad!, [0, 0]);
});

test('gradients flow through dtype casts back in the leaf dtype; integer inputs get none', () => {
  const x = f64([0.5, 2]);
  const i = nd.array([1, 2], { dtype: 'int32' });
  x.attachGrad();
  autograd.record(() => x.astype('float32').mul(i).sum()).backward();
  assert.equal(x.grad!.dtype, 'float64');
  assertClose(x.grad!, [1, 2]);
  assert.throws(() => i.attachGrad(), (e: unknown) => e instanceof DTypeError && /int32/.test((e as Error).message));
});

test('attachGrad on a recorded result makes it a fresh leaf', () => {
  const x = f64([2]);
  x.attachGrad();
  const h = autograd.record(() => x.square());
  h.attachGrad();
  autograd.record(() => h.mul(3)).backward();
  assertClose(h.grad!, [3]);
  assertClose(x.grad!, [0]);
});

test('checkGradient passes correct gradients and catches a deliberately wrong one', () => {
  const good = autograd.checkGradient((x) => x.sin().mul(x), [f64([0.3, -1.2, 2])]);
  assert.equal(good.ok, true);
  // A primitive whose forward is x^2 but whose gradient rule claims 3x.
  const wrong: Primitive<null, null> = {
    name: 'wrongSquare',
    infer: ([x]) => ({ shape: x!.shape, dtype: x!.dtype, plan: null }),
    compute: (k, out, [x]) => k.unary.square(out, x!),
    grad: (g, { inputs: [x] }) => [g.mul(x!).mul(3)],
  };
  const bad = autograd.checkGradient((x) => apply(wrong, [x], null), [f64([0.5, 2])]);
  assert.equal(bad.ok, false);
  assert.ok(bad.worst !== null);
  // The checker projects the output on random weights, so both sides carry the same weight:
  // the analytic gradient is 3x against the true 2x.
  assert.ok(Math.abs(bad.worst.analytic / bad.worst.numeric - 1.5) < 1e-6, JSON.stringify(bad.worst));
  assert.throws(() => autograd.assertGradient((x) => apply(wrong, [x], null), [f64([0.5])]), autograd.GradientCheckError);
  // Only the inputs in `wrt` are checked: the wrong one is skipped here.
  const partial = autograd.checkGradient((x, y) => apply(wrong, [y!], null).add(x!), [f64([1]), f64([1])], { wrt: [0] });
  assert.equal(partial.ok, true);
  // A check of nothing is refused instead of reporting ok.
  assert.throws(() => autograd.checkGradient((x) => x.mul(2), [nd.array([1, 2], { dtype: 'int32' })]), (e: unknown) => e instanceof ValueError && /no input to check \(dtypes int32\)/.test(e.message));
  assert.throws(() => autograd.checkGradient((x) => x.mul(2), [f64([1])], { wrt: [1] }), (e: unknown) => e instanceof ValueError && /wrt lists input 1, which is not among the 1 inputs/.test(e.message));
});

test('state carried across steps must be detached; then every step differentiates', () => {
  const w = f64([0.5]);
  w.attachGrad();
  let h = f64([1]);
  for (let step = 0; step < 3; step++) {
    const loss = autograd.record(() => {
      h = h.mul(w).tanh();
      return h.sum();
    });
    loss.backward();
    h = h.detach();
    assert.ok(Number.isFinite(w.grad!.item()));
  }
  // Without detach the second step reaches the graph freed by the first.
  let g = f64([1]);
  autograd.record(() => (g = g.mul(w).tanh()).sum()).backward();
  assert.throws(() => autograd.record(() => g.mul(w).sum()).backward(), (e: unknown) => e instanceof AutogradError && /detach/.test((e as Error).message));
});

test('gradient rules skip inputs that need no gradient (no GEMM for constant data)', () => {
  let gemms = 0;
  const ref = backend.getBackend();
  backend.registerBackend({
    name: 'counting',
    numThreads: () => 1,
    kernels: { ...ref.kernels, matmul: (...args) => { gemms++; ref.kernels.matmul(...args); } },
  });
  const x = f64([[1, 2, 3]]);
  const w = f64([[1], [0], [-1]]);
  w.attachGrad();
  backend.withBackend('counting', () => {
    const loss = autograd.record(() => nd.dot(x, w).sum());
    assert.equal(gemms, 1);
    loss.backward();
  });
  assert.equal(gemms, 2, 'one forward GEMM and one for the weight gradient only');
  assertClose(w.grad!, [[1], [2], [3]]);
});
