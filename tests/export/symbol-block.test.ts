import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError, UnsupportedOperatorError, autograd, gluon, nd, symbolJson } from '../../src/index.js';

const dir = 'tests/fixtures/mxnet';
const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as Record<string, { input: number[]; output: number[][] }>;

function close(actual: nd.NDArray, want: number[][], tol: number): void {
  const got = actual.toArray() as number[][];
  assert.equal(got.length, want.length);
  got.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) <= tol, `[${i}][${j}] ${v} vs ${want[i]![j]}`)));
}

test('imports an MXNet 1.x MLP (symbol JSON + .params) and computes what PyTorch computes from the same weights', () => {
  const net = gluon.SymbolBlock.imports(`${dir}/mlp-symbol.json`, ['data'], `${dir}/mlp-0000.params`);
  assert.deepEqual(net.collectParams().keys(), ['hybridsequential0_dense0_weight', 'hybridsequential0_dense0_bias', 'hybridsequential0_dense1_weight', 'hybridsequential0_dense1_bias']);
  assert.deepEqual(net.collectParams().get('hybridsequential0_dense0_weight').shape, [8, 4]);
  close(net.forward(nd.array(expected['mlp']!.input)), expected['mlp']!.output, 1e-5);
});

test('imports the MXNet 0.x layout of the same graph ("param"/"attr", two-element inputs) with unprefixed params', () => {
  const net = gluon.SymbolBlock.imports(`${dir}/mlp-legacy-symbol.json`, 'data', `${dir}/mlp-legacy-0000.params`);
  close(net.forward(nd.array(expected['mlp']!.input)), expected['mlp']!.output, 1e-5);
});

test('imports a conv net with BatchNorm (aux states), pooling, a residual add, Concat, Flatten and softmax', () => {
  const net = gluon.SymbolBlock.imports(`${dir}/convnet-symbol.json`, ['data'], `${dir}/convnet-0000.params`);
  const params = net.collectParams();
  assert.equal(params.get('convnet0_batchnorm0_running_mean').gradReq, 'null');
  assert.equal(params.get('convnet0_batchnorm0_gamma').gradReq, 'write');
  close(net.forward(nd.array(expected['convnet']!.input as never)), expected['convnet']!.output, 1e-5);
});

test('an imported block fine-tunes: gradients reach every parameter and a Trainer step lowers the loss', () => {
  const net = gluon.SymbolBlock.imports(`${dir}/convnet-symbol.json`, ['data'], `${dir}/convnet-0000.params`);
  const x = nd.array(expected['convnet']!.input as never);
  const label = nd.array([1, 3]);
  const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss({ fromLogits: true });
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
  const runMean = net.collectParams().get('convnet0_batchnorm0_running_mean');
  const before = runMean.data().toArray() as number[];
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const loss = autograd.record(() => lossFn.forward(net.forward(x).log(), label).mean());
    loss.backward();
    losses.push(loss.item());
    for (const [key, p] of net.collectParams()) {
      if (p.gradReq === 'null') continue;
      // conv0's bias feeds a training-mode BatchNorm, which subtracts the batch mean: its exact
      // gradient is 0 (the fused BatchNorm gradient kernels give 0 or rounding noise).
      if (key === 'convnet0_conv0_bias') {
        assert.ok(p.grad().abs().max().item() < 1e-5, `${key}: gradient through BatchNorm's mean is 0`);
        continue;
      }
      assert.ok((p.grad().abs().sum().item()) > 0, `${key} got no gradient`);
    }
    trainer.step(1);
  }
  assert.ok(losses[2]! < losses[0]!, `losses ${losses.join(', ')}`);
  assert.notDeepEqual(runMean.data().toArray(), before, 'training mode updates the running mean');
});

test('a symbol without params infers parameter shapes at the first forward (deferred initialization)', () => {
  const graph = symbolJson.parseSymbolJson(readFileSync(`${dir}/convnet-symbol.json`));
  const net = new gluon.SymbolBlock(graph, ['data']);
  net.initialize();
  assert.deepEqual(net.collectParams().get('convnet0_conv0_weight').shape, [4, 0, 3, 3]);
  net.inferShape([2, 3, 6, 6]);
  assert.deepEqual(net.collectParams().get('convnet0_conv0_weight').shape, [4, 3, 3, 3]);
  assert.deepEqual(net.collectParams().get('convnet0_dense0_weight').shape, [5, 8]);
  assert.deepEqual(net.forward(nd.ones([2, 3, 6, 6])).shape, [2, 5]);
});

test('export writes MXNet files that import back bit for bit, and the JSON keeps MXNet spellings', () => {
  const net = gluon.SymbolBlock.imports(`${dir}/convnet-symbol.json`, ['data'], `${dir}/convnet-0000.params`);
  const out = mkdtempSync(join(tmpdir(), 'tsgluon-export-'));
  after(() => rmSync(out, { recursive: true, force: true }));
  const files = net.export(join(out, 'convnet'), { epoch: 3 });
  assert.ok(files.params.endsWith('convnet-0003.params'));
  assert.deepEqual(readFileSync(files.params), readFileSync(`${dir}/convnet-0000.params`));
  const json = readFileSync(files.symbol, 'utf8');
  assert.match(json, /"op": "BatchNorm"/);
  assert.match(json, /"inputs": \[\[3, 0, 0\], \[4, 0, 0\], \[5, 0, 0\], \[6, 0, 1\], \[7, 0, 1\]\]/);
  assert.deepEqual(symbolJson.parseSymbolJson(json), symbolJson.parseSymbolJson(readFileSync(`${dir}/convnet-symbol.json`)));
  const x = nd.array(expected['convnet']!.input as never);
  for (const params of [files.params, files.safetensors]) {
    const back = gluon.SymbolBlock.imports(files.symbol, ['data'], params);
    assert.deepEqual([...back.forward(x).storage], [...net.forward(x).storage]);
  }
});

test('unknown operators, bad attributes and bad references are typed errors naming the node', () => {
  const text = readFileSync(`${dir}/mlp-symbol.json`, 'utf8');
  const graph = symbolJson.parseSymbolJson(text.replace('"op": "Activation"', '"op": "MyCustomOp"'));
  assert.throws(() => new gluon.SymbolBlock(graph, ['data']),
    (e: unknown) => e instanceof UnsupportedOperatorError && e.op === 'MyCustomOp' && e.node === 'hybridsequential0_dense0_relu_fwd');
  const bad = gluon.SymbolBlock.imports(`${dir}/mlp-symbol.json`, ['data'], `${dir}/mlp-0000.params`);
  const eight = new gluon.SymbolBlock(symbolJson.parseSymbolJson(text.replace('"num_hidden": "8"', '"num_hidden": "eight"')), ['data']);
  eight.initialize();
  assert.throws(() => eight.forward(nd.ones([1, 4])),
    /attribute num_hidden = "eight" of FullyConnected is not an integer \("hybridsequential0_dense0_fwd"\)/);
  const forward = JSON.parse(text) as { nodes: { inputs: number[][] }[] };
  forward.nodes[4]!.inputs = [[9, 0, 0]];
  assert.throws(() => symbolJson.parseSymbolJson(JSON.stringify(forward)),
    (e: unknown) => e instanceof ModelFormatError && e.item === 'hybridsequential0_dense0_relu_fwd' && /refers to node 9, but only nodes before it/.test(e.message));
  assert.throws(() => gluon.SymbolBlock.imports(`${dir}/mlp-symbol.json`, ['input'], null), /input "input" is not a variable of the graph; its variables are data, /);
  assert.deepEqual(bad.forward(nd.ones([1, 4])).shape, [1, 3]);
});
