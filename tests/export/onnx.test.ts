import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFormatError, UnsupportedOperatorError, gluon, nd } from '../../src/index.js';
import { encodeOnnx, tensorProto } from '../../src/io/onnx/codec.js';
import { maxDiff, onnxCheck, python, runOrt } from './interop-tools.js';

const onnxDir = 'tests/fixtures/onnx';
const tmp = mkdtempSync(join(tmpdir(), 'tsgluon-onnx-'));

interface Expected { input: number[]; input_shape: number[]; output: number[][] }
let resnetMade = false;
/** Writes PyTorch's ResNet-18 export into tmp once (the kept script, weights from a seed). */
function resnet18(): string {
  if (!resnetMade) python(['tests/fixtures/onnx/make_fixtures.py', 'resnet18', tmp]);
  resnetMade = true;
  return join(tmp, 'resnet18.onnx');
}
const expectedOf = (path: string): Expected => JSON.parse(readFileSync(path, 'utf8')) as Expected;

function checkAgainstTorch(model: string, expectedFile: string, tol: number): gluon.SymbolBlock {
  const exp = expectedOf(expectedFile);
  const net = gluon.SymbolBlock.importsOnnx(model);
  const y = net.forward(nd.array(exp.input).reshape(exp.input_shape));
  const want = nd.array(exp.output);
  assert.ok(maxDiff(y, want) <= tol, `${model}: max difference to PyTorch ${maxDiff(y, want)}`);
  return net;
}

test('PyTorch MLP and conv-net exports (torch.onnx.export, opset 17) run in tsgluon with PyTorch outputs within 1e-4', () => {
  const mlp = checkAgainstTorch(`${onnxDir}/mlp.onnx`, `${onnxDir}/mlp.expected.json`, 1e-5);
  assert.deepEqual(mlp.collectParams().keys(), ['0.weight', '0.bias', '2.weight', '2.bias']);
  const conv = checkAgainstTorch(`${onnxDir}/convops.onnx`, `${onnxDir}/convops.expected.json`, 1e-5);
  assert.equal(conv.collectParams().get('bn1.running_var').gradReq, 'null');
});

test('PyTorch ResNet-18 (weights from a seed, written by the kept script) runs in tsgluon within 1e-4 of PyTorch', () => {
  const net = checkAgainstTorch(resnet18(), join(tmp, 'resnet18.expected.json'), 1e-4);
  // PyTorch's exporter folds each BatchNorm into its convolution: 20 convolutions and the
  // classifier, a weight and a bias each.
  assert.equal(net.collectParams().size, 42);
});

test('exported ONNX passes onnx.checker and runs in ONNX Runtime with tsgluon outputs within 1e-4 (MXNet conv net, PyTorch ResNet-18)', async () => {
  const mx = gluon.SymbolBlock.imports('tests/fixtures/mxnet/convnet-symbol.json', ['data'], 'tests/fixtures/mxnet/convnet-0000.params');
  const x = nd.random.normal({ shape: [3, 3, 6, 6] });
  const mxPath = join(tmp, 'convnet.onnx');
  mx.exportOnnx(mxPath, [[3, 3, 6, 6]]);
  onnxCheck(mxPath);
  const ortOut = await runOrt(readFileSync(mxPath), { data: x });
  assert.ok(maxDiff(Object.values(ortOut)[0]!, mx.forward(x)) <= 1e-4);
  const resnet = gluon.SymbolBlock.importsOnnx(resnet18());
  const rPath = join(tmp, 'resnet18-again.onnx');
  resnet.exportOnnx(rPath, [[2, 3, 64, 64]]);
  onnxCheck(rPath);
  const xr = nd.random.normal({ shape: [1, 3, 64, 64] });
  const ortR = await runOrt(readFileSync(rPath), { input: xr });
  assert.ok(maxDiff(Object.values(ortR)[0]!, resnet.forward(xr)) <= 1e-4, 'dynamic batch: exported at 2, run at 1');
});

test('an ONNX export imports back to the same bits', () => {
  const net = gluon.SymbolBlock.importsOnnx(`${onnxDir}/convops.onnx`);
  const back = gluon.SymbolBlock.fromOnnxBytes(net.toOnnxBytes([[2, 3, 8, 8]]));
  const x = nd.random.normal({ shape: [2, 3, 8, 8] });
  assert.deepEqual([...back.forward(x).storage], [...net.forward(x).storage]);
});

function oneNodeModel(op: string, name: string): Uint8Array {
  return encodeOnnx({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ op_type: op, name, input: ['x'], output: ['y'] }],
      initializer: [tensorProto('unused', nd.ones([1]))],
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1 } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1 } } }],
    },
  });
}

test('an unsupported ONNX op is an UnsupportedOperatorError naming the op and the node; garbage is a ModelFormatError', () => {
  assert.throws(() => gluon.SymbolBlock.fromOnnxBytes(oneNodeModel('Hardmax', 'my_hardmax')),
    (e: unknown) => e instanceof UnsupportedOperatorError && e.op === 'Hardmax' && e.node === 'my_hardmax' && /ONNX: operator Hardmax of node "my_hardmax"/.test(e.message));
  assert.deepEqual(gluon.SymbolBlock.fromOnnxBytes(oneNodeModel('Relu', 'r')).forward(nd.array([-1, 2])).toArray(), [0, 2]);
  assert.throws(() => gluon.SymbolBlock.fromOnnxBytes(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f])), ModelFormatError);
  const path = join(tmp, 'bad.onnx');
  writeFileSync(path, Uint8Array.from([8, 8, 0x3a, 2, 0x0a]));
  assert.throws(() => gluon.SymbolBlock.importsOnnx(path), (e: unknown) => e instanceof ModelFormatError && e.message.startsWith(path));
});
