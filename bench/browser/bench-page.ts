// One configuration of `npm run bench:browser` (bench/browser.ts), chosen by the query string:
// lib = tsgluon | tfjs-wasm | tfjs-webgl, threads, sizes (GEMM n), budget (seconds per figure).
// Measures float32 GEMM C = A·B (n x n, GFLOP/s: tsgluon's nd.dot, tfjs's matMul with dataSync,
// each returning the values to JavaScript), the MLP 784-256(ReLU)-10 SGD training step (batch 256,
// softmax cross-entropy; steps/s), and for tsgluon the LeNet training step (D2L's LeNet, ReLU and
// max pooling, batch 256, SGD with momentum; tfjs-wasm cannot train convolutions). Results go to
// `window.benchResult`.
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { autograd, backend, gluon, init, nd, nn } from 'tsgluon';

interface BenchResult {
  done: boolean;
  info: string;
  gemm: Record<number, number>;
  mlp: number | null;
  lenet: number | null;
  error?: string;
}
declare global {
  interface Window {
    benchResult: BenchResult;
  }
}

const q = new URLSearchParams(location.search);
const lib = q.get('lib') ?? 'tsgluon';
const threads = Number(q.get('threads') ?? '1');
const sizes = (q.get('sizes') ?? '256,512,1024').split(',').map(Number);
const budget = Number(q.get('budget') ?? '1');
const result: BenchResult = { done: false, info: '', gemm: {}, mlp: null, lenet: null };
window.benchResult = result;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median seconds of `fn` after two warm-up calls, within the budget (3 to 50 calls). */
function seconds(fn: () => void): number {
  fn();
  fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < 3 || (spent < budget && times.length < 50)) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    times.push(dt);
    spent += dt;
  }
  return median(times);
}

async function tsgluon(): Promise<void> {
  const wasm = await backend.loadWasm({ threads });
  result.info = `tsgluon wasm (${wasm.variant.relaxed ? 'relaxed SIMD' : 'SIMD128'}, ${wasm.numThreads()} thread${wasm.numThreads() === 1 ? '' : 's'})`;
  for (const n of sizes) {
    nd.random.seed(n);
    const a = nd.random.uniform({ shape: [n, n] });
    const b = nd.random.uniform({ shape: [n, n] });
    result.gemm[n] = (2 * n ** 3) / seconds(() => nd.dot(a, b)) / 1e9;
  }
  const stepRate = (net: gluon.Block, x: nd.NDArray, y: nd.NDArray, lr: number, momentum: number) => {
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr, momentum });
    return 1 / seconds(() => {
      autograd.record(() => loss.forward(net.forward(x), y)).backward();
      trainer.step(256);
    });
  };
  nd.random.seed(0);
  const mlp = new nn.Sequential();
  mlp.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
  mlp.initialize({ init: new init.Normal(0.01) });
  const y = nd.random.randint({ high: 10, shape: [256], dtype: 'int32' });
  result.mlp = stepRate(mlp, nd.random.uniform({ shape: [256, 784] }), y, 0.1, 0);
  const lenet = gluon.modelZoo.vision.lenet({ activation: 'relu', pool: 'max' });
  lenet.initialize({ init: new init.Xavier() });
  result.lenet = stepRate(lenet, nd.random.uniform({ shape: [256, 1, 28, 28] }), y, 0.05, 0.9);
}

async function tfjs(which: 'wasm' | 'webgl'): Promise<void> {
  if (which === 'wasm') {
    setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    setThreadsCount(threads);
  } else {
    await import('@tensorflow/tfjs-backend-webgl');
  }
  if (!(await tf.setBackend(which))) throw new Error(`tfjs could not start its ${which} backend here`);
  await tf.ready();
  result.info = which === 'wasm' ? `tfjs-wasm (${threads} thread${threads === 1 ? '' : 's'})` : `tfjs-webgl (${String(tf.env().get('WEBGL_VERSION'))})`;
  for (const n of sizes) {
    const a = tf.randomUniform([n, n]);
    const b = tf.randomUniform([n, n]);
    result.gemm[n] = (2 * n ** 3) / seconds(() => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    }) / 1e9;
    a.dispose();
    b.dispose();
  }
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }), tfl.layers.dense({ units: 10 })] });
  const opt = tf.train.sgd(0.1);
  const x = tf.randomUniform([256, 784]);
  const y = tf.oneHot(tf.randomUniform([256], 0, 10, 'int32'), 10);
  result.mlp = 1 / seconds(() => {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar);
    // Reading one weight makes sure the step has finished (webgl runs asynchronously).
    model.getWeights()[0]!.dataSync();
  });
}

(lib === 'tsgluon' ? tsgluon() : tfjs(lib === 'tfjs-webgl' ? 'webgl' : 'wasm'))
  .catch((e: unknown) => {
    result.error = e instanceof Error ? e.message : String(e);
  })
  .finally(() => {
    document.getElementById('out')!.textContent = JSON.stringify(result, null, 2);
    result.done = true;
  });
