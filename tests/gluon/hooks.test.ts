// Forward hooks: pre-hooks see the inputs, hooks the inputs and the output, in registration order,
// for every forward of the block (also when a parent calls it); detach() removes them; they stay
// silent during data-free shape inference and tracing (a hybridized block runs its own around the
// graph); errors name the method.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError, gluon, nd, nn } from '../../src/index.js';

beforeEach(() => gluon.resetNameCounters());

test('pre-hooks and hooks run around forward and detach independently', () => {
  const block = new nn.Dense(10);
  block.initialize();
  const seen: string[] = [];
  const handle = block.registerForwardHook((b, inputs, out) => {
    seen.push(`post ${b.name} ${(inputs[0] as nd.NDArray).shape.join('x')} -> ${(out as nd.NDArray).shape.join('x')}`);
  });
  const pre = block.registerForwardPreHook((b, inputs) => {
    seen.push(`pre ${b.name} ${(inputs[0] as nd.NDArray).shape.join('x')}`);
  });
  block.forward(nd.ones([3, 5]));
  assert.deepEqual(seen, ['pre dense0 3x5', 'post dense0 3x5 -> 3x10']);
  assert.equal(handle.attached, true);
  handle.detach();
  assert.equal(handle.attached, false);
  block.forward(nd.ones([3, 5]));
  assert.deepEqual(seen.slice(2), ['pre dense0 3x5']);
  pre.detach();
  pre.detach();
  block.forward(nd.ones([3, 5]));
  assert.equal(seen.length, 3);
});

test('hooks of a child run when its parent calls it, in registration order, and see the real output', () => {
  const net = new nn.Sequential().add(new nn.Dense(4, { inUnits: 2 }), new nn.Dense(1, { inUnits: 4 }));
  net.initialize({ init: 'ones' });
  const order: string[] = [];
  net.get(1).registerForwardHook(() => order.push('first'));
  net.get(1).registerForwardHook((_b, _i, out) => order.push(`second ${(out as nd.NDArray).toArray()}`));
  net.registerForwardPreHook(() => order.push('net pre'));
  net.forward(nd.array([[1, 2]]));
  // Dense(4) of ones: 3 per unit (bias 0); Dense(1) of ones: 12.
  assert.deepEqual(order, ['net pre', 'first', 'second 12']);
});

test('hooks do not run during inferShape, initialize({ inputShape }) or summary', () => {
  const net = new nn.Sequential().add(new nn.Dense(4), new nn.Dense(2));
  let calls = 0;
  net.get(0).registerForwardHook(() => calls++);
  net.get(0).registerForwardPreHook(() => calls++);
  net.initialize({ inputShape: [2, 3] });
  net.inferShape([2, 3]);
  net.summary([2, 3], { print: false });
  assert.equal(calls, 0);
  net.forward(nd.ones([2, 3]));
  assert.equal(calls, 2);
});

test('registering something that is not a function is an error naming the method', () => {
  const d = new nn.Dense(1);
  assert.throws(() => d.registerForwardHook(42 as never), (e: Error) => e instanceof ValueError && /dense0\.registerForwardHook: expected a function, got number/.test(e.message));
  assert.throws(() => d.registerForwardPreHook(null as never), /registerForwardPreHook: expected a function, got null/);
});

test('a hybridized block runs its hooks at every call with real arrays; its children run inside the graph, without hooks', () => {
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(3, { inUnits: 2 }), new nn.Dense(2, { inUnits: 3 }));
  net.initialize();
  const log: string[] = [];
  net.registerForwardPreHook((_b, inputs) => log.push(`pre ${(inputs[0] as nd.NDArray).isShapeOnly}`));
  net.registerForwardHook((_b, _inputs, out) => log.push(`post ${(out as nd.NDArray).shape.join('x')} ${(out as nd.NDArray).isShapeOnly}`));
  net.get(0).registerForwardHook(() => log.push('child'));
  net.forward(nd.ones([4, 2]));
  assert.deepEqual(log, ['pre false', 'child', 'post 4x2 false']);
  log.length = 0;
  net.hybridize();
  for (let i = 0; i < 3; i++) net.forward(nd.ones([4, 2]));
  assert.deepEqual(log, ['pre false', 'post 4x2 false', 'pre false', 'post 4x2 false', 'pre false', 'post 4x2 false']);
});
