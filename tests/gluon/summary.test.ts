// net.summary(): the table (layers in call order with structural paths, output shapes, parameter
// counts, totals with shared parameters once), data-free on pending nets, and the choice between
// keeping the inferred shapes (pending parameters initialized) or going back to pending.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { gluon, nd, nn, ValueError } from '../../src/index.js';

beforeEach(() => gluon.resetNameCounters());

const rowsOf = (table: string) => table.split('\n').map((l) => l.trim().split(/\s{2,}/));

test('LeNet summary: every layer, its output shape and parameter count, and the totals', () => {
  const net = gluon.modelZoo.vision.lenet();
  net.initialize();
  const table = net.summary([1, 1, 28, 28], { print: false });
  const rows = rowsOf(table);
  assert.deepEqual(rows[1], ['Layer (type)', 'Output Shape', 'Param #']);
  assert.deepEqual(rows.slice(3, 15), [
    ['Input', '(1, 1, 28, 28)', '0'],
    ['0 (Conv2D)', '(1, 6, 28, 28)', '156'],
    ['0.act (Activation)', '(1, 6, 28, 28)', '0'],
    ['1 (AvgPool2D)', '(1, 6, 14, 14)', '0'],
    ['2 (Conv2D)', '(1, 16, 10, 10)', '2,416'],
    ['2.act (Activation)', '(1, 16, 10, 10)', '0'],
    ['3 (AvgPool2D)', '(1, 16, 5, 5)', '0'],
    ['4 (Dense)', '(1, 120)', '48,120'],
    ['4.act (Activation)', '(1, 120)', '0'],
    ['5 (Dense)', '(1, 84)', '10,164'],
    ['5.act (Activation)', '(1, 84)', '0'],
    ['6 (Dense)', '(1, 10)', '850'],
  ]);
  assert.match(table, /Total params: 61,706\nTrainable params: 61,706\nNon-trainable params: 0\n/);
  // Default: the inferred shapes stay and the pending parameters are now initialized.
  for (const p of net.collectParams().values()) assert.equal(p.state, 'initialized', p.name);
});

test('keepPending: a pending net stays pending, and later gets the same values', () => {
  nd.random.seed(5);
  const a = gluon.modelZoo.vision.lenet();
  a.initialize();
  a.summary([2, 1, 28, 28], { print: false, keepPending: true });
  const w = a.collectParams().get('0.weight');
  assert.equal(w.state, 'pending');
  assert.deepEqual(w.shape, [6, 0, 5, 5]);
  a.forward(nd.zeros([2, 1, 28, 28]));
  nd.random.seed(5);
  const b = gluon.modelZoo.vision.lenet();
  b.initialize();
  b.forward(nd.zeros([2, 1, 28, 28]));
  assert.deepEqual([...w.data().storage], [...b.collectParams().get('0.weight').data().storage]);
});

test('ResNet-18: BatchNorm running statistics are non-trainable; custom blocks are listed', () => {
  const net = gluon.modelZoo.vision.resnet18();
  const table = net.summary(nd.zeros([1, 3, 224, 224]), { print: false, keepPending: true });
  assert.match(table, /Total params: 11,699,112\nTrainable params: 11,689,512\nNon-trainable params: 9,600/);
  const rows = rowsOf(table);
  assert.ok(rows.some((r) => r[0] === 'features.4.0 (BasicBlock)' && r[1] === '(1, 64, 56, 56)'));
  assert.ok(rows.some((r) => r[0] === 'features.7.0.downsample.0 (Conv2D)' && r[1] === '(1, 512, 7, 7)' && r[2] === '131,072'));
  assert.ok(rows.some((r) => r[0] === 'output (Dense)' && r[1] === '(1, 1000)' && r[2] === '513,000'));
  assert.equal(net.collectParams().get('features.0.weight').shape[1], 0, 'shapes forgotten again');
});

test('a shared layer appears at each call, its parameters count once in the totals', () => {
  const shared = new nn.Dense(4, { inUnits: 4 });
  const net = new nn.Sequential().add(shared, new nn.Activation('relu'), shared);
  net.initialize();
  const table = net.summary([3, 4], { print: false });
  const denseRows = rowsOf(table).filter((r) => r[0]?.endsWith('(Dense)'));
  assert.deepEqual(denseRows, [['0 (Dense)', '(3, 4)', '20'], ['0 (Dense)', '(3, 4)', '20']]);
  assert.match(table, /Total params: 20\n/);
});

test('summary restores forward and rejects a missing input shape', () => {
  const net = new nn.Sequential().add(new nn.Conv2D(2, 3));
  net.initialize();
  net.summary([1, 1, 5, 5], { print: false });
  assert.deepEqual(net.forward(nd.ones([1, 1, 5, 5])).shape, [1, 2, 3, 3]);
  assert.throws(() => net.summary([] as number[], { print: false }), ValueError);
});
