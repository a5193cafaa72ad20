/**
 * Test helpers for the interchange formats: ONNX Runtime (the onnxruntime-web npm package, its
 * WebAssembly build, in Node), ONNX's checker and PyTorch through Debian's Python. A test that
 * needs Python fails (never skips) when python3-onnx / python3-torch are missing, saying how to
 * install them: .ci/run installs them in CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-web';
import { nd } from '../../src/index.js';

export const PYTHON = '/usr/bin/python3';

/** Runs Debian's Python; fails the test with the install command when a module is missing. */
export function python(args: readonly string[], timeoutMs = 300_000): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error !== undefined || r.status !== 0) {
    const missing = /No module named '(\w+)'/.exec(r.stderr ?? '');
    assert.fail(
      missing !== null || r.error !== undefined
        ? `this test needs ${PYTHON} with python3-onnx, python3-torch and python3-torchvision (Debian: apt-get install -y python3-onnx python3-torch python3-torchvision); ` +
            `${missing !== null ? `module ${missing[1]} is missing` : String(r.error)}`
        : `${PYTHON} ${args.join(' ')} failed:\n${r.stderr}`,
    );
  }
  return r.stdout;
}

/** onnx.checker.check_model with full_check (shape inference too) on a saved model. */
export function onnxCheck(path: string): void {
  python(['-c', `import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print('ok')`, path]);
}

ort.env.wasm.numThreads = 1;

/** Runs a model in ONNX Runtime and returns its outputs as NDArrays (float32). */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, nd.NDArray>): Promise<Record<string, nd.NDArray>> {
  const session = await ort.InferenceSession.create(bytes);
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', Float32Array.from(v.storage), [...v.shape]);
  const out = await session.run(inputs);
  const result: Record<string, nd.NDArray> = {};
  for (const [k, t] of Object.entries(out)) result[k] = nd.array(Array.from(t.data as Float32Array)).reshape(t.dims.map(Number));
  await session.release();
  return result;
}

/** Largest absolute difference between two arrays of the same shape. */
export function maxDiff(a: nd.NDArray, b: nd.NDArray): number {
  assert.deepEqual(a.shape, b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.storage[i]! - b.storage[i]!));
  return m;
}
