// gluon.rnn's RNN, LSTM and GRU layers leave as MXNet's fused RNN operator (parameters flattened
// and concatenated in rnn-inl.h's packed order, zero states with the data's batch) and as one
// ONNX RNN / LSTM / GRU node per layer (gates reordered to ONNX's i,o,f,c and z,r,h; GRU with
// linear_before_reset = 1). Both files import back to the same bits; ONNX Runtime agrees within
// 1e-4, also at a batch other than the traced one; every ONNX file passes onnx.checker.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd } from '../../src/index.js';
import { decodeOnnx } from '../../src/io/onnx/codec.js';
import { packedLayout } from '../../src/gluon/symbol/rnn-op.js';
import { gateRows } from '../../src/gluon/symbol/onnx-rnn.js';
import { UnsupportedOperatorError } from '../../src/io/model-format-error.js';
import { maxDiff, python, runOrt } from './interop-tools.js';

const { nn, rnn } = gluon;
const dir = mkdtempSync(join(tmpdir(), 'tsgluon-export-rnn-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const onnxFiles: string[] = [];

test('the packed parameter vector follows rnn-inl.h: all weights (layer, direction, i2h then h2h), then all biases', () => {
  const { parts, total } = packedLayout('gru', 5, 4, 2, 2);
  const gh = 12;
  assert.deepEqual(parts.map((p) => `${p.layer}${'lr'[p.direction]}:${p.key}@${p.offset}`), [
    `0l:i2h_weight@0`, `0l:h2h_weight@${gh * 5}`, `0r:i2h_weight@${gh * 9}`, `0r:h2h_weight@${gh * 14}`,
    `1l:i2h_weight@${gh * 18}`, `1l:h2h_weight@${gh * 26}`, `1r:i2h_weight@${gh * 30}`, `1r:h2h_weight@${gh * 38}`,
    `0l:i2h_bias@${gh * 42}`, `0l:h2h_bias@${gh * 43}`, `0r:i2h_bias@${gh * 44}`, `0r:h2h_bias@${gh * 45}`,
    `1l:i2h_bias@${gh * 46}`, `1l:h2h_bias@${gh * 47}`, `1r:i2h_bias@${gh * 48}`, `1r:h2h_bias@${gh * 49}`,
  ]);
  assert.equal(total, gh * 50);
  // ONNX's LSTM block k holds MXNet's gate [i, o, f, g][k]: rows of i, then o, f, g (= c).
  assert.deepEqual(gateRows('lstm', 2), [0, 1, 6, 7, 2, 3, 4, 5]);
  assert.deepEqual(gateRows('gru', 1), [1, 0, 2]);
  assert.deepEqual(gateRows('lstm', 2, true).map((r) => gateRows('lstm', 2)[r]), [0, 1, 2, 3, 4, 5, 6, 7], 'inverse');
});

type Make = () => gluon.Block;
const CASES: [string, Make, string, Record<string, string>][] = [
  ['LSTM, 2 layers, bidirectional, NTC', () => new rnn.LSTM(5, { numLayers: 2, bidirectional: true, layout: 'NTC' }), 'LSTM', { mode: 'lstm', state_size: '5', num_layers: '2', bidirectional: 'True' }],
  ['GRU, bidirectional', () => new rnn.GRU(4, { bidirectional: true }), 'GRU', { mode: 'gru', state_size: '4', num_layers: '1', bidirectional: 'True' }],
  ['RNN relu, 2 layers', () => new rnn.RNN(3, { numLayers: 2 }), 'RNN', { mode: 'rnn_relu', state_size: '3', num_layers: '2', bidirectional: 'False' }],
  ['RNN tanh', () => new rnn.RNN(6, { activation: 'tanh' }), 'RNN', { mode: 'rnn_tanh', state_size: '6', num_layers: '1', bidirectional: 'False' }],
];

for (const [name, make, onnxOp, attrs] of CASES) {
  test(`${name}: MXNet RNN and ONNX ${onnxOp}, imported back, ONNX Runtime at first axis 3 and 5`, async () => {
    nd.random.seed(11);
    const net = new nn.HybridSequential();
    const layer = make();
    net.add(layer, new nn.Dense(3, { flatten: false }));
    const shape = [3, 4, 7];
    net.initialize({ init: 'xavier', inputShape: shape });
    const x = nd.random.normal({ shape });
    const y = net.forward(x);
    const path = join(dir, name.replace(/\W+/g, '_'));
    const files = net.export(path, { inputShapes: [shape] });
    const json = JSON.parse(readFileSync(files.symbol, 'utf8')) as { nodes: { op: string; name: string; attrs?: Record<string, string>; inputs: number[][] }[] };
    const node = json.nodes.find((n) => n.op === 'RNN')!;
    for (const [k, v] of Object.entries(attrs)) assert.equal(node.attrs![k], v, k);
    // The packed vector: Reshape(-1) of each parameter, concatenated in rnn-inl.h's order.
    const concat = json.nodes[node.inputs[1]![0]!]!;
    assert.equal(concat.op, '_rnn_param_concat');
    const order = concat.inputs.map(([i]) => json.nodes[json.nodes[i!]!.inputs[0]![0]!]!.name.slice(layer.name.length + 1));
    const dirs = attrs['bidirectional'] === 'True' ? ['l', 'r'] : ['l'];
    const layers = Number(attrs['num_layers']);
    const want = ['weight', 'bias'].flatMap((t) => Array.from({ length: layers }, (_, l) => dirs.flatMap((d) => [`${d}${l}_i2h_${t}`, `${d}${l}_h2h_${t}`])).flat());
    assert.deepEqual(order, want);
    const back = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
    assert.deepEqual(Array.from(back.forward(x).storage), Array.from(y.storage), 'symbol + params: same bits');

    const onnx = `${path}.onnx`;
    net.exportOnnx(onnx, { inputShapes: [shape] });
    onnxFiles.push(onnx);
    const nodes = decodeOnnx(readFileSync(onnx)).graph.nodes.filter((n) => n.opType === onnxOp);
    assert.equal(nodes.length, layers, `one ${onnxOp} per layer`);
    assert.ok(nodes.every((n) => (n.attrs.get('direction')?.value === (dirs.length === 2 ? 'bidirectional' : 'forward'))));
    if (onnxOp === 'GRU') assert.equal(nodes[0]!.attrs.get('linear_before_reset')?.value, 1);
    if (onnxOp === 'RNN') assert.deepEqual(nodes[0]!.attrs.get('activations')?.value, [attrs['mode'] === 'rnn_relu' ? 'Relu' : 'Tanh']);
    const ort = Object.values(await runOrt(readFileSync(onnx), { data: x }))[0]!;
    assert.ok(maxDiff(ort, y) <= 1e-4, `ONNX Runtime: max difference ${maxDiff(ort, y)}`);
    const fromOnnx = gluon.SymbolBlock.importsOnnx(onnx);
    assert.ok(maxDiff(fromOnnx.forward(x), y) <= 1e-6, 'ONNX import');
    // Another first axis (the ONNX input's symbolic one): the batch for NTC, the steps for TNC.
    const x5 = nd.random.normal({ shape: [5, 4, 7] });
    const y5 = net.forward(x5);
    const ort5 = Object.values(await runOrt(readFileSync(onnx), { data: x5 }))[0]!;
    assert.ok(maxDiff(ort5, y5) <= 1e-4, `ONNX Runtime, other sizes: ${maxDiff(ort5, y5)}`);
    assert.deepEqual(Array.from(back.forward(x5).storage), Array.from(y5.storage), 'SymbolBlock, other sizes');
  });
}

test('a recurrent layer with a projection, or called with explicit states, is an UnsupportedOperatorError naming the layer', () => {
  const net = new nn.HybridSequential();
  const lstm = new rnn.LSTM(4, { projectionSize: 2 });
  net.add(lstm);
  net.initialize({ inputShape: [2, 1, 3] });
  assert.throws(() => net.export(join(dir, 'proj'), { inputShapes: [[2, 1, 3]] }), (e: unknown) =>
    e instanceof UnsupportedOperatorError && e.message.includes(`layer ${lstm.name} (LSTM)`) && /projectionSize has no MXNet RNN or ONNX LSTM form/.test(e.message));
  class WithStates extends gluon.HybridBlock {
    gru = new rnn.GRU(3);
    override forward(x: nd.NDArray): nd.NDArray {
      return this.gru.forward(x, this.gru.beginState(x.shape[1]!))[0];
    }
  }
  const s = new WithStates();
  s.initialize({ inputShape: [2, 1, 3] });
  assert.throws(() => s.export(join(dir, 'states'), { inputShapes: [[2, 1, 3]] }), (e: unknown) =>
    e instanceof UnsupportedOperatorError && e.message.includes(`layer ${s.gru.name} (GRU)`) && /called with explicit states/.test(e.message));
});

test('every recurrent ONNX export passes onnx.checker', () => {
  assert.equal(onnxFiles.length, CASES.length);
  const script = 'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(len(sys.argv) - 1)';
  assert.equal(python(['-c', script, ...onnxFiles]).trim(), String(onnxFiles.length));
});
