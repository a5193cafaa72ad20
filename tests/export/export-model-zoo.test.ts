// Every model-zoo network, hybridized, leaves through `net.export` (MXNet symbol JSON + .params +
// safetensors) and `net.exportOnnx`, at the smallest input each architecture accepts (ResNets
// 16x16, the rest 28 to 67 pixels; batch 2 for two training-mode forwards that move BatchNorm's
// running statistics, in nets that have BatchNorm; batch 1 for the export):
// - SymbolBlock.imports of the symbol + .params (and of the safetensors file) gives the same
//   outputs bit for bit, since both run the same nd computations;
// - the ONNX model passes onnx.checker (Debian's python3-onnx) and ONNX Runtime (onnxruntime-web,
//   wasm, in Node) computes the same outputs within 1e-4.
// Lean on time and disk: one Python process checks every ONNX file as it is written (no
// interpreter start per net), and each net's files are deleted once checked, so the temporary
// folder holds one net at a time (the largest, VGG-19 with its 4096-wide Dense layers, ~0.5 GB)
// instead of every net's (~2.2 GB before).
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { autograd, gluon, nd } from '../../src/index.js';
import { PYTHON, maxDiff, runOrt } from './interop-tools.js';

const { vision } = gluon.modelZoo;
const dir = mkdtempSync(join(tmpdir(), 'tsgluon-export-zoo-'));

function inputShape(name: string): number[] {
  if (name === 'lenet') return [2, 1, 28, 28];
  if (name === 'alexnet') return [2, 3, 63, 63];
  if (name === 'nin') return [2, 3, 67, 67];
  if (name.startsWith('resnet')) return [2, 3, 16, 16];
  return [2, 3, 32, 32];
}

/** A net with non-trivial running statistics (a few training-mode forwards), hybridized, run once. */
function trainedNet(name: string): { net: gluon.HybridBlock; x: nd.NDArray; y: nd.NDArray } {
  nd.random.seed(5);
  const net = vision.getModel(name, { classes: 4 }) as gluon.HybridBlock;
  const shape = inputShape(name);
  net.initialize({ init: 'xavier', inputShape: shape });
  net.hybridize();
  if (net.collectParams().keys().some((k) => k.endsWith('running_mean'))) {
    for (let i = 0; i < 2; i++) autograd.record(() => net.forward(nd.random.uniform({ shape })));
  }
  // Batch 1 for the export and the comparisons (the ONNX model's batch axis is symbolic anyway).
  const x = nd.random.uniform({ shape: [1, ...shape.slice(1)] });
  return { net, x, y: net.forward(x) };
}

/** One Python process running onnx.checker (full check, opset >= 17) on each path it is sent. */
class Checker {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterableIterator<string>;
  #stderr = '';

  constructor() {
    const script = `import sys, onnx
for line in sys.stdin:
    p = line.strip()
    try:
        m = onnx.load(p)
        onnx.checker.check_model(m, full_check=True)
        assert m.opset_import[0].version >= 17, 'opset'
        print('ok', flush=True)
    except Exception as e:
        print('error ' + repr(e).replace(chr(10), ' '), flush=True)`;
    this.#proc = spawn(PYTHON, ['-u', '-c', script]);
    this.#proc.on('error', (e) => (this.#stderr += String(e)));
    this.#proc.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#lines = createInterface({ input: this.#proc.stdout })[Symbol.asyncIterator]();
  }

  async check(path: string): Promise<void> {
    this.#proc.stdin.write(`${path}\n`);
    const { value, done } = await this.#lines.next();
    if (done === true) {
      assert.fail(`onnx.checker: ${PYTHON} exited (${this.#stderr.trim() || 'no output'}); this test needs python3-onnx (Debian: apt-get install -y python3-onnx)`);
    }
    assert.equal(value, 'ok', `onnx.checker on ${path}`);
  }

  close(): void {
    this.#proc.stdin.end();
  }
}

let checker: Checker;
before(() => (checker = new Checker()));
after(() => {
  checker.close();
  rmSync(dir, { recursive: true, force: true });
});

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
      for (const f of [files.symbol, files.params, files.safetensors]) rmSync(f);

      const onnxPath = join(dir, `${name}.onnx`);
      net.exportOnnx(onnxPath);
      const out = Object.values(await runOrt(readFileSync(onnxPath), { data: x }))[0]!;
      const d = maxDiff(out, y);
      assert.ok(d <= 1e-4, `ONNX Runtime vs tsgluon: max difference ${d}`);
      await checker.check(onnxPath);
      rmSync(onnxPath);
    });
  }
});
