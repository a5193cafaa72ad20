// Export of the layers whose traced form is not one primitive, and of batch-free shapes:
// - grouped and transposed convolutions leave as MXNet Convolution (num_group) / Deconvolution
//   and ONNX Conv (group) / ConvTranspose, and come back through both importers;
// - BatchNorm without center and/or scale gets constant beta/gamma inputs;
// - stacked concatenations (Concat of Concat, nd.stack) export;
// - a reshape that merges the batch axis does not bake the traced batch: a net exported at batch 2
//   runs at batch 5 in ONNX Runtime and after SymbolBlock import.
// Every ONNX file written here passes onnx.checker in one Python run at the end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd } from '../../src/index.js';
import { decodeOnnx } from '../../src/io/onnx/codec.js';
import { maxDiff, python, runOrt } from './interop-tools.js';

const { nn } = gluon;
const dir = mkdtempSync(join(tmpdir(), 'tsgluon-export-layers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const onnxFiles: string[] = [];

/** Initializes (unless done) and hybridizes `net` for `shape`, runs it on `x`, and writes its ONNX file. */
function prepared(net: gluon.HybridBlock, shape: number[], seed = 4): { x: nd.NDArray; y: nd.NDArray; onnx: string } {
  nd.random.seed(seed);
  if (net.collectParams().values().some((p) => p.shape.includes(0))) net.initialize({ init: 'xavier', inputShape: shape });
  net.hybridize();
  const x = nd.random.normal({ shape });
  const y = net.forward(x);
  const onnx = join(dir, `${net.name}.onnx`);
  net.exportOnnx(onnx);
  onnxFiles.push(onnx);
  return { x, y, onnx };
}

function onnxOps(path: string): { op: string; attrs: Record<string, unknown> }[] {
  return decodeOnnx(readFileSync(path)).graph.nodes.map((n) => ({ op: n.opType, attrs: Object.fromEntries([...n.attrs].map(([k, a]) => [k, a.value])) }));
}

test('grouped and transposed convolutions: Convolution num_group / Deconvolution and Conv group / ConvTranspose, imported back from both', async () => {
  const net = new nn.HybridSequential();
  net.add(
    new nn.Conv2D(6, 3, { groups: 3, padding: 1, activation: 'relu' }),
    new nn.Conv2DTranspose(4, 4, { strides: 2, padding: 1, groups: 2, outputPadding: 1 }),
  );
  const { x, y, onnx } = prepared(net, [2, 3, 5, 5]);
  assert.deepEqual(y.shape, [2, 4, 11, 11]);
  const { graph } = gluon.toSymbol(net);
  const ops = graph.nodes.filter((n) => n.op !== 'null');
  assert.deepEqual(ops.map((n) => n.op), ['Convolution', 'Activation', 'Deconvolution']);
  assert.deepEqual(Object.fromEntries(ops[0]!.attrs), { kernel: '(3, 3)', stride: '(1, 1)', pad: '(1, 1)', dilate: '(1, 1)', num_filter: '6', num_group: '3', no_bias: 'False' });
  assert.deepEqual(Object.fromEntries(ops[2]!.attrs), {
    kernel: '(4, 4)', stride: '(2, 2)', pad: '(1, 1)', dilate: '(1, 1)', num_filter: '4', num_group: '2', no_bias: 'False', adj: '(1, 1)',
  });
  const written = onnxOps(onnx);
  assert.deepEqual(written.map((n) => n.op), ['Conv', 'Relu', 'ConvTranspose']);
  assert.equal(written[0]!.attrs['group'], 3);
  assert.equal(written[2]!.attrs['group'], 2);
  assert.deepEqual(written[2]!.attrs['output_padding'], [1, 1]);
  const ort = Object.values(await runOrt(readFileSync(onnx), { data: x }))[0]!;
  assert.ok(maxDiff(ort, y) <= 1e-4, `ONNX Runtime: max difference ${maxDiff(ort, y)}`);
  const fromOnnx = gluon.SymbolBlock.importsOnnx(onnx);
  assert.deepEqual(fromOnnx.graph.nodes.filter((n) => n.op !== 'null').map((n) => n.op), ['Convolution', 'Activation', 'Deconvolution']);
  assert.deepEqual(Array.from(fromOnnx.forward(x).storage), Array.from(y.storage), 'the ONNX import runs the same ops');
  const files = net.export(join(dir, 'conv-groups'));
  const back = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
  assert.deepEqual(Array.from(back.forward(x).storage), Array.from(y.storage));
  // The imported block trains: the grouped weight receives a gradient of its own shape.
  const w = back.collectParams().values().find((p) => p.shape.length === 4 && p.shape[0] === 6)!;
  autograd.record(() => back.forward(x).sum()).backward();
  assert.deepEqual(w.grad().shape, [6, 1, 3, 3]);
  assert.ok(w.grad().abs().sum().item() > 0);
});

test('hybridized execution still runs the composite: export leaves the traced graph alone', () => {
  const net = new nn.HybridSequential();
  net.add(new nn.Conv2D(4, 3, { groups: 2 }));
  nd.random.seed(1);
  net.initialize({ inputShape: [1, 4, 5, 5] });
  net.hybridize();
  const x = nd.random.normal({ shape: [1, 4, 5, 5] });
  const y = net.forward(x);
  net.export(join(dir, 'composite'));
  assert.ok(net.graph().nodes.every((n) => n.op !== 'layerConvolution'));
  assert.deepEqual(Array.from(net.forward(x).storage), Array.from(y.storage));
});

test('BatchNorm without center (and without scale) exports constant beta (zeros) and gamma (ones)', async () => {
  const net = new nn.HybridSequential();
  const shifted = new nn.BatchNorm({ center: false });
  const bare = new nn.BatchNorm({ center: false, scale: false });
  net.add(new nn.Conv2D(3, 3), shifted, new nn.Activation('relu'), bare);
  nd.random.seed(6);
  net.initialize({ init: 'xavier', inputShape: [2, 2, 6, 6] });
  // Betas and gammas the layers ignore: the export must not pick them up.
  shifted.beta.setData(nd.full([3], 5));
  bare.beta.setData(nd.full([3], -2));
  bare.gamma.setData(nd.full([3], 3));
  for (let i = 0; i < 2; i++) autograd.record(() => net.forward(nd.random.normal({ shape: [2, 2, 6, 6] })));
  const { x, y, onnx } = prepared(net, [2, 2, 6, 6]);
  const files = net.export(join(dir, 'bn-center'));
  const params = gluon.decodeParamFile(readFileSync(files.params));
  assert.deepEqual(Array.from(params[`${shifted.name}_beta`]!.storage), [0, 0, 0]);
  assert.deepEqual(Array.from(params[`${bare.name}_beta`]!.storage), [0, 0, 0]);
  const { graph } = gluon.toSymbol(net);
  const bns = graph.nodes.filter((n) => n.op === 'BatchNorm');
  assert.deepEqual(bns.map((n) => n.attrs.get('fix_gamma')), ['False', 'True'], 'scale: false is fix_gamma');
  const back = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
  assert.ok(maxDiff(back.forward(x), y) <= 1e-6, `SymbolBlock: max difference ${maxDiff(back.forward(x), y)}`);
  const ort = Object.values(await runOrt(readFileSync(onnx), { data: x }))[0]!;
  assert.ok(maxDiff(ort, y) <= 1e-4, `ONNX Runtime: max difference ${maxDiff(ort, y)}`);
  assert.ok(maxDiff(gluon.SymbolBlock.importsOnnx(onnx).forward(x), y) <= 1e-5);
});

class Stacked extends gluon.HybridBlock {
  a = new nn.Dense(3, { flatten: false });
  b = new nn.Dense(3, { flatten: false });
  override forward(x: nd.NDArray): nd.NDArray {
    const [p, q] = [this.a.forward(x), this.b.forward(x)];
    const inner = nd.concat([p, q], { axis: 1 });
    const outer = nd.concat([inner, nd.concat([q, x], { axis: 1 })], { axis: 1 });
    return nd.concat([nd.stack([p, q, p.tanh()], { axis: 1 }).reshape([p.shape[0]!, -1]), outer], { axis: 1 });
  }
}

test('stacked concatenations (Concat of Concat, nd.stack) export as Concat and stack, Unsqueeze + Concat in ONNX', async () => {
  const net = new Stacked();
  const { x, y, onnx } = prepared(net, [2, 3]);
  assert.deepEqual(y.shape, [2, 9 + 12]);
  const { graph } = gluon.toSymbol(net);
  const ops = graph.nodes.map((n) => n.op);
  assert.ok(ops.includes('stack') && ops.filter((o) => o === 'Concat').length === 4, ops.join(', '));
  const files = net.export(join(dir, 'stacked'));
  assert.deepEqual(Array.from(gluon.SymbolBlock.imports(files.symbol, ['data'], files.params).forward(x).storage), Array.from(y.storage));
  assert.ok(onnxOps(onnx).some((n) => n.op === 'Unsqueeze'));
  const ort = Object.values(await runOrt(readFileSync(onnx), { data: x }))[0]!;
  assert.ok(maxDiff(ort, y) <= 1e-4, `ONNX Runtime: max difference ${maxDiff(ort, y)}`);
  assert.ok(maxDiff(gluon.SymbolBlock.importsOnnx(onnx).forward(x), y) <= 1e-6);
});

/** Merges the batch with the time axis for a Dense, then splits it again and flattens. */
class TimeDistributed extends gluon.HybridBlock {
  dense = new nn.Dense(4, { activation: 'tanh' });
  override forward(x: nd.NDArray): nd.NDArray {
    const [n, t, f] = x.shape as [number, number, number];
    const h = this.dense.forward(x.reshape([n * t, f]));
    return h.reshape([n, t, 4]).reshape([n, t * 4]);
  }
}

test('reshapes that merge or split the batch axis keep it free: exported at batch 2, run at batch 5', async () => {
  const net = new TimeDistributed();
  const { onnx } = prepared(net, [2, 3, 6]);
  const { graph } = gluon.toSymbol(net);
  const shapes = graph.nodes.filter((n) => n.op === 'Reshape' || n.op === 'Flatten').map((n) => `${n.op}${n.attrs.get('shape') ?? ''}`);
  assert.deepEqual(shapes, ['Reshape(-1, 6)', 'Reshape(-1, 3, 4)', 'Flatten']);
  const x5 = nd.random.normal({ shape: [5, 3, 6] });
  const y5 = net.forward(x5);
  const files = net.export(join(dir, 'time-distributed'), { inputShapes: [[2, 3, 6]] });
  const back = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
  assert.deepEqual(Array.from(back.forward(x5).storage), Array.from(y5.storage), 'SymbolBlock at batch 5');
  const ort = Object.values(await runOrt(readFileSync(onnx), { data: x5 }))[0]!;
  assert.ok(maxDiff(ort, y5) <= 1e-4, `ONNX Runtime at batch 5: max difference ${maxDiff(ort, y5)}`);
  assert.deepEqual(gluon.SymbolBlock.importsOnnx(onnx).forward(x5).shape, [5, 12]);
});

test('every ONNX file of this suite passes onnx.checker', () => {
  const script = 'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(len(sys.argv) - 1)';
  assert.ok(onnxFiles.length >= 1);
  assert.equal(python(['-c', script, ...onnxFiles]).trim(), String(onnxFiles.length));
});
