// Every model-zoo network, hybridized, leaves through `net.export` (MXNet symbol JSON + .params +
// safetensors) and `net.exportOnnx`, at small input sizes (batch 2 for a few training-mode forwards that move the running statistics,
// batch 1 for the export):
// - SymbolBlock.imports of the symbol + .params (and of the safetensors file) gives the same
//   outputs bit for bit, since both run the same nd computations;
// - the ONNX model passes onnx.checker (Debian's python3-onnx) and ONNX Runtime (onnxruntime-web,
//   wasm, in Node) computes the same outputs within 1e-4; one ONNX check run covers every net.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd } from '../../src/index.js';
import { maxDiff, python, runOrt } from './interop-tools.js';

const { vision } = gluon.modelZoo;
const dir = mkdtempSync(join(tmpdir(), 'tsgluon-export-zoo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function inputShape(name: string): number[] {
  if (name === 'lenet') return [2, 1, 28, 28];
  if (name === 'alexnet') return [2, 3, 64, 64];
  if (name === 'nin') return [2, 3, 96, 96];
  return [2, 3, 32, 32];
}

/** A net with non-trivial running statistics (a few training-mode forwards), hybridized, run once. */
function trainedNet(name: string): { net: gluon.HybridBlock; x: nd.NDArray; y: nd.NDArray } {
  nd.random.seed(5);
  const net = vision.getModel(name, { classes: 4 }) as gluon.HybridBlock;
  const shape = inputShape(name);
  net.initialize({ init: 'xavier', inputShape: shape });
  net.hybridize();
  for (let i = 0; i < 2; i++) autograd.record(() => net.forward(nd.random.uniform({ shape })));
  // Batch 1 for the export and the comparisons (the ONNX model's batch axis is symbolic anyway).
  const x = nd.random.uniform({ shape: [1, ...shape.slice(1)] });
  return { net, x, y: net.forward(x) };
}

const onnxFiles: string[] = [];

describe('model zoo: export and import', () => {
  for (const name of vision.modelNames) {
    test(`${name}: MXNet files and ONNX`, async () => {
      const { net, x, y } = trainedNet(name);
      const files = net.export(join(dir, name), { epoch: 7 });
      assert.equal(files.params, join(dir, `${name}-0007.params`));
      const symbol = JSON.parse(readFileSync(files.symbol, 'utf8')) as { nodes: { op: string; name: string }[]; arg_nodes: number[]; heads: number[][] };
      assert.ok(symbol.nodes.some((n) => n.op === 'Convolution'), 'MXNet operator names');
      assert.ok(symbol.heads.length === 1 && symbol.arg_nodes.length > 2);
      const back = gluon.SymbolBlock.imports(files.symbol, ['data'], files.params);
      assert.deepEqual(Array.from(back.forward(x).storage), Array.from(y.storage), 'symbol + .params: same bits');
      const viaSt = gluon.SymbolBlock.imports(files.symbol, ['data'], files.safetensors);
      assert.deepEqual(Array.from(viaSt.forward(x).storage), Array.from(y.storage), 'symbol + safetensors: same bits');
      // Running statistics leave as aux: keys (BatchNorm nets), weights as arg: keys.
      const keys = back.collectParams().values().map((p) => `${p.gradReq === 'null' ? 'aux' : 'arg'}:${p.name}`);
      const bytes = readFileSync(files.params);
      for (const k of keys) assert.ok(bytes.includes(Buffer.from(k)), `${k} in the .params file`);

      const onnxPath = join(dir, `${name}.onnx`);
      net.exportOnnx(onnxPath);
      onnxFiles.push(onnxPath);
      const out = Object.values(await runOrt(readFileSync(onnxPath), { data: x }))[0]!;
      const d = maxDiff(out, y);
      assert.ok(d <= 1e-4, `ONNX Runtime vs tsgluon: max difference ${d}`);
    });
  }
  test('every ONNX export passes onnx.checker (full check, opset 17)', () => {
    assert.equal(onnxFiles.length, vision.modelNames.length);
    const script = `import onnx, sys
for p in sys.argv[1:]:
    m = onnx.load(p)
    onnx.checker.check_model(m, full_check=True)
    assert m.opset_import[0].version >= 17, p
print(len(sys.argv) - 1)`;
    assert.equal(python(['-c', script, ...onnxFiles]).trim(), String(onnxFiles.length));
  });
});
