// ONNX Runtime as an inference peer for bench/cnn.ts: runs an exported model (bench/peers_cnn.py
// export) at one thread count and prints one JSON line with the median time per inference after
// warm-up and the largest difference from PyTorch's output on the same input.
//   web   onnxruntime-web (a dev dependency of tsgluon: its WebAssembly build, run in Node)
//   node  onnxruntime-node, the native CPU build, when it can be found; tsgluon does not depend on it
//         (its install script downloads binaries, which fails offline). Install it outside the repo,
//         where its scripts cannot run and nothing in package.json changes, and point to it:
//           (cd /tmp/ort && npm init -y && npm install --ignore-scripts onnxruntime-node)
//           TSGLUON_ORT_NODE=/tmp/ort/node_modules/onnxruntime-node npm run bench
//         (the CPU binaries ship inside the package).
//
// Run by bench/cnn.ts: node --import tsx bench/peers-ort.ts web|node MODEL.onnx IO.safetensors THREADS BUDGET
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { nd } from 'tsgluon';

interface OrtTensor {
  readonly data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  env: { wasm: { numThreads: number; simd?: boolean } };
  Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSession> };
}

const [which, model, ioPath, threadsArg, budgetArg] = process.argv.slice(2) as [string, string, string, string, string];
const threads = Number(threadsArg);
const budget = Number(budgetArg);

async function load(): Promise<OrtModule> {
  let name = which === 'node' ? 'onnxruntime-node' : 'onnxruntime-web';
  const local = process.env['TSGLUON_ORT_NODE'];
  if (which === 'node' && local) name = createRequire(join(local, 'package.json')).resolve('onnxruntime-node');
  const mod = (await import(name)) as OrtModule & { default?: OrtModule };
  return mod.InferenceSession ? mod : mod.default!;
}

try {
  const ort = await load();
  if (which === 'web') ort.env.wasm.numThreads = threads;
  const options = which === 'node' ? { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' } : { graphOptimizationLevel: 'all' };
  const session = await ort.InferenceSession.create(model, options);
  const io = nd.load(ioPath);
  const x = io['x']!;
  const feeds = { x: new ort.Tensor('float32', Float32Array.from(x.storage), x.shape) };
  let out = await session.run(feeds);
  for (let i = 0; i < 2; i++) out = await session.run(feeds);
  const times: number[] = [];
  let spent = 0;
  while (times.length < 5 || (spent < budget && times.length < 100)) {
    const t0 = performance.now();
    out = await session.run(feeds);
    const dt = performance.now() - t0;
    times.push(dt);
    spent += dt / 1000;
  }
  times.sort((a, b) => a - b);
  const y = out['y']!.data as Float32Array;
  const want = io['y']!.storage;
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y[i]! - want[i]!));
  await session.release();
  console.log(JSON.stringify({ ms: times[Math.floor(times.length / 2)], maxDiff }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message.split('\n')[0] }));
}
process.exit(0);
