// Export from hybridized HybridBlocks, layer by layer: each layer with an MXNet/ONNX equivalent
// leaves as MXNet operators (checked by name and attribute), imports back to the same bits, and
// its ONNX export runs in ONNX Runtime within 1e-4 (one onnx.checker run covers every file); a
// layer without one is an UnsupportedOperatorError naming the op and the layer. An imported
// network fine-tunes (gradients equal the original's) and hybridizes again (bit for bit, running
// statistics through the BatchNorm primitive). `tsgluon export` writes both formats.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd } from '../../src/index.js';
import { UnsupportedOperatorError } from '../../src/io/model-format-error.js';
import { main } from '../../src/cli/main.js';
import { maxDiff, python, runOrt } from './interop-tools.js';

const { nn } = gluon;
const dir = mkdtempSync(join(tmpdir(), 'tsgluon-export-hybrid-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Make = () => gluon.Block;
/** Layer, input shape, and the MXNet operators its export must contain. */
const LAYERS: [string, Make, number[], string[]][] = [
  ['Dense relu', () => new nn.Dense(5, { activation: 'relu' }), [2, 7], ['FullyConnected', 'Activation']],
  ['Dense on 3-D input (flatten)', () => new nn.Dense(5, { activation: 'tanh' }), [2, 3, 4], ['Flatten', 'FullyConnected']],
  ['Dense flatten: false', () => new nn.Dense(5, { flatten: false }), [2, 3, 4], ['Reshape', 'FullyConnected']],
  ['Conv1D', () => new nn.Conv1D(4, 3, { padding: 1, activation: 'sigmoid' }), [2, 3, 9], ['Convolution']],
  ['Conv2D strided, no bias', () => new nn.Conv2D(4, 3, { strides: 2, padding: 1, useBias: false }), [2, 3, 9, 9], ['Convolution']],
  ['Conv2D dilated', () => new nn.Conv2D(2, 3, { dilation: 2 }), [1, 2, 9, 9], ['Convolution']],
  ['Conv2D grouped', () => new nn.Conv2D(6, 3, { groups: 2, padding: 1 }), [2, 4, 7, 7], ['Convolution']],
  ['Conv2D depthwise, strided', () => new nn.Conv2D(4, 3, { groups: 4, strides: 2, activation: 'relu' }), [2, 4, 9, 9], ['Convolution', 'Activation']],
  ['Conv1D grouped, dilated', () => new nn.Conv1D(6, 3, { groups: 3, dilation: 2 }), [2, 3, 11], ['Convolution']],
  ['Conv3D grouped', () => new nn.Conv3D(4, 2, { groups: 2, useBias: false }), [1, 4, 4, 5, 5], ['Convolution']],
  ['Conv2DTranspose strided, output padding', () => new nn.Conv2DTranspose(3, 3, { strides: 2, padding: 1, outputPadding: 1 }), [2, 4, 5, 5], ['Deconvolution']],
  ['Conv2DTranspose grouped, no bias', () => new nn.Conv2DTranspose(4, 2, { strides: 2, groups: 2, useBias: false }), [2, 4, 3, 3], ['Deconvolution']],
  ['Conv1DTranspose dilated', () => new nn.Conv1DTranspose(2, 3, { dilation: 2, activation: 'tanh' }), [2, 3, 6], ['Deconvolution', 'Activation']],
  ['Conv3DTranspose', () => new nn.Conv3DTranspose(2, 2, { strides: 2 }), [1, 3, 2, 3, 3], ['Deconvolution']],
  ['MaxPool2D ceil mode', () => new nn.MaxPool2D(3, { strides: 2, ceilMode: true }), [2, 3, 8, 8], ['Pooling']],
  ['AvgPool2D padded', () => new nn.AvgPool2D(3, { strides: 2, padding: 1 }), [2, 3, 8, 8], ['Pooling']],
  ['AvgPool1D', () => new nn.AvgPool1D(2), [2, 3, 8], ['Pooling']],
  ['GlobalAvgPool2D', () => new nn.GlobalAvgPool2D(), [2, 3, 5, 5], ['Pooling']],
  ['GlobalMaxPool1D', () => new nn.GlobalMaxPool1D(), [2, 3, 8], ['Pooling']],
  ['BatchNorm', () => new nn.BatchNorm(), [2, 3, 4, 4], ['BatchNorm']],
  ['BatchNorm scale: false', () => new nn.BatchNorm({ scale: false }), [2, 3, 4], ['BatchNorm']],
  ['LayerNorm', () => new nn.LayerNorm(), [2, 3, 4], ['sum', 'rsqrt']],
  ['InstanceNorm', () => new nn.InstanceNorm(), [2, 3, 4], ['sum', 'rsqrt']],
  ['LeakyReLU', () => new nn.LeakyReLU(0.1), [2, 6], ['_mul_scalar', '_greater_scalar', 'where']],
  ['PReLU', () => new nn.PReLU(), [2, 6], ['broadcast_mul', 'where']],
  ['ELU', () => new nn.ELU(), [2, 6], ['expm1']],
  ['SELU', () => new nn.SELU(), [2, 6], ['expm1']],
  ['GELU', () => new nn.GELU(), [2, 6], ['erf']],
  ['Swish', () => new nn.Swish(), [2, 6], ['Activation', 'elemwise_mul']],
  ['softrelu', () => new nn.Activation('softrelu'), [2, 6], ['Activation']],
  ['Flatten', () => new nn.Flatten(), [2, 3, 4], ['Flatten']],
  ['Dropout (identity when predicting)', () => new nn.Dropout(0.5), [2, 6], []],
  ['Embedding', () => new nn.Embedding(10, 4), [2, 3], ['Embedding']],
];

/** A one-layer HybridSequential, initialized for `shape` and hybridized. */
function oneLayer(make: Make, shape: number[]): gluon.HybridSequential {
  nd.random.seed(3);
  const net = new nn.HybridSequential();
  net.add(make());
  net.initialize({ init: 'xavier', inputShape: shape });
  net.hybridize();
  return net;
}

function inputFor(name: string, shape: number[]): nd.NDArray {
  return name === 'Embedding' ? nd.array([[1, 9, 0], [4, 4, 7]]) : nd.random.normal({ shape });
}

const onnxFiles: string[] = [];

for (const [name, make, shape, ops] of LAYERS) {
  test(`${name}: exports as ${ops.join(', ') || 'no operator'}, imports to the same bits, runs in ONNX Runtime`, async () => {
    const net = oneLayer(make, shape);
    // A couple of training-mode forwards give BatchNorm running statistics that are not 0 and 1.
    if (name.startsWith('BatchNorm')) for (let i = 0; i < 2; i++) autograd.record(() => net.forward(nd.random.normal({ shape })));
    const x = inputFor(name, shape);
    const y = net.forward(x);
    const path = join(dir, name.replace(/\W+/g, '_'));
    const files = net.export(path);
    const json = JSON.parse(readFileSync(files.symbol, 'utf8')) as { nodes: { op: string }[] };
    const written = json.nodes.map((n) => n.op).filter((op) => op !== 'null');
    for (const op of ops) assert.ok(written.includes(op), `${op} in ${written.join(', ')}`);
    const back = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
    assert.deepEqual(Array.from(back.forward(x).storage), Array.from(y.storage));
    net.exportOnnx(`${path}.onnx`);
    onnxFiles.push(`${path}.onnx`);
    if (name === 'Embedding') return; // ONNX Runtime's harness feeds float32; the indices check is the import above.
    const out = Object.values(await runOrt(readFileSync(`${path}.onnx`), { data: x }))[0]!;
    assert.ok(maxDiff(out, y) <= 1e-4, `ONNX Runtime: max difference ${maxDiff(out, y)}`);
  });
}

test('every layer ONNX export passes onnx.checker', () => {
  assert.equal(onnxFiles.length, LAYERS.length);
  const script = 'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(len(sys.argv) - 1)';
  assert.equal(python(['-c', script, ...onnxFiles]).trim(), String(LAYERS.length));
});

test('export names each node after its layer and keys parameters arg:/aux: as Gluon does', () => {
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(2, 3), new nn.BatchNorm(), new nn.Dense(3));
  net.initialize();
  net.hybridize();
  net.forward(nd.ones([1, 1, 5, 5]));
  const { graph, arrays, inputNames } = gluon.toSymbol(net);
  assert.deepEqual(inputNames, ['data']);
  const names = graph.nodes.filter((n) => n.op !== 'null').map((n) => `${n.op}:${n.name}`);
  const [conv, bn, dense] = net.namedChildren().map(([, c]) => c.name);
  assert.deepEqual(names, [`Convolution:${conv}_fwd`, `BatchNorm:${bn}_fwd`, `Flatten:${dense}_fwd`, `FullyConnected:${dense}_fwd1`]);
  assert.deepEqual(arrays.map(([k]) => k), [
    `arg:${conv}_weight`, `arg:${conv}_bias`, `arg:${bn}_gamma`, `arg:${bn}_beta`, `aux:${bn}_running_mean`, `aux:${bn}_running_var`, `arg:${dense}_weight`, `arg:${dense}_bias`,
  ]);
  const bnNode = graph.nodes.find((n) => n.op === 'BatchNorm')!;
  assert.deepEqual(bnNode.inputs.map((e) => e.version), [0, 0, 0, 1, 1], 'aux inputs carry version 1, as nnvm writes them');
  assert.equal(bnNode.attrs.get('fix_gamma'), 'False');
  assert.equal(Number(bnNode.attrs.get('eps')), 1e-5);
});

test('a layer with no MXNet operator is an UnsupportedOperatorError naming the op and the layer', () => {
  // A channels-last grouped convolution stays a composite (transposes around im2col).
  const net = oneLayer(() => new nn.Conv2D(4, 3, { groups: 2, layout: 'NHWC' }), [1, 6, 6, 4]);
  net.forward(nd.ones([1, 6, 6, 4]));
  const conv = net.namedChildren()[0]![1].name;
  for (const f of [() => net.export(join(dir, 'grouped')), () => net.exportOnnx(join(dir, 'grouped.onnx'))]) {
    assert.throws(f, (e: unknown) => e instanceof UnsupportedOperatorError && e.op === 'im2col' && e.message.includes(`layer ${conv} (Conv2D)`));
  }
});

test('export needs input shapes: from the last call, or given', () => {
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(3));
  net.initialize();
  net.hybridize();
  assert.throws(() => net.export(join(dir, 'none')), /no input shape known; call .*hybridize\(\) and run a forward first.*inputShapes/);
  const files = net.export(join(dir, 'given'), { inputShapes: [[2, 4]], epoch: 12 });
  assert.match(files.params, /given-0012\.params$/);
  assert.throws(() => net.export(join(dir, 'bad'), { epoch: -1, inputShapes: [2, 4] }), /epoch must be an integer in \[0, 9999\]/);
});

test('an imported network fine-tunes with the same gradients and hybridizes again bit for bit (BatchNorm statistics included)', () => {
  nd.random.seed(8);
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(3, 3, { padding: 1 }), new nn.BatchNorm(), new nn.Activation('relu'), new nn.Dense(4));
  const shape = [2, 2, 5, 5];
  net.initialize({ init: 'xavier', inputShape: shape });
  net.hybridize();
  const x = nd.random.normal({ shape });
  net.forward(x);
  const files = net.export(join(dir, 'finetune'));
  const eager = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
  const hybrid = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
  assert.ok(hybrid instanceof gluon.HybridBlock);
  hybrid.hybridize();
  const step = (m: gluon.Block): number[][] => {
    const trainer = new gluon.Trainer(m.collectParams(), 'sgd', { learningRate: 0.1 });
    const y = autograd.record(() => m.forward(x).square().sum());
    y.backward();
    trainer.step(2);
    return m.collectParams().values().map((p) => Array.from(p.data().storage));
  };
  // The original net, from the same starting point, trained the same way.
  const before = net.collectParams().values().map((p) => nd.array(p.data()));
  const ref = step(net);
  const a = step(eager);
  const b = step(hybrid);
  assert.deepEqual(a, ref, 'the imported network trains like the original');
  assert.deepEqual(b, a, 'hybridized: same bits');
  assert.ok(a.some((v, i) => v.some((e, j) => e !== before[i]!.storage[j])), 'parameters moved');
  assert.ok(hybrid.tracedGraph().nodes.some((n) => n.op === 'movingAverage'), 'running statistics updated by a graph step');
});

test('tsgluon export writes MXNet files and ONNX from a train checkpoint and from a model-zoo name', async () => {
  const net = new nn.HybridSequential();
  net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  net.initialize({ inputShape: [1, 784] });
  const ckpt = join(dir, 'ckpt.safetensors');
  net.saveParameters(ckpt, { metadata: { model: 'mlp', data: 'digits' } });
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  try {
    assert.equal(await main(['export', '--params', ckpt, '--out', join(dir, 'cli-mlp')]), 0);
    assert.equal(await main(['export', '--model', 'resnet18', '--classes', '3', '--shape', '1,3,32,32', '--format', 'onnx', '--out', join(dir, 'cli-r18')]), 0);
  } finally {
    process.stdout.write = write;
  }
  assert.match(out[0]!, /^mlp: .*cli-mlp-symbol\.json, .*cli-mlp-0000\.params, .*cli-mlp-0000\.safetensors, .*cli-mlp\.onnx\n$/);
  assert.match(out[1]!, /^resnet18: .*cli-r18\.onnx\n$/);
  const x = nd.random.uniform({ shape: [3, 784] });
  const back = gluon.SymbolBlock.imports(join(dir, 'cli-mlp-symbol.json'), ['data'], join(dir, 'cli-mlp-0000.params'));
  assert.deepEqual(Array.from(back.forward(x).storage), Array.from(net.forward(x).storage));
  const ort = Object.values(await runOrt(readFileSync(join(dir, 'cli-mlp.onnx')), { data: x }))[0]!;
  assert.ok(maxDiff(ort, net.forward(x)) <= 1e-4);
  const r18 = gluon.SymbolBlock.importsOnnx(join(dir, 'cli-r18.onnx'));
  assert.deepEqual(r18.forward(nd.ones([1, 3, 32, 32])).shape, [1, 3]);
});
