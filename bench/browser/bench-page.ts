// One configuration of `npm run bench:browser` (bench/browser.ts), chosen by the query string:
// lib = tsgluon | tfjs-wasm | tfjs-webgl, threads, sizes (GEMM n), budget (seconds per figure).
// Measures float32 GEMM C = A·B (n x n, GFLOP/s: tsgluon's nd.dot, tfjs's matMul with dataSync,
// each returning the values to JavaScript), the MLP 784-256(ReLU)-10 SGD training step (batch 256,
// softmax cross-entropy; steps/s), and for tsgluon the LeNet training step (D2L's LeNet, ReLU and
// max pooling, batch 256, SGD with momentum; tfjs-wasm cannot train convolutions). Results go to
// `window.benchResult`. `info` says how many threads each library really used: for tsgluon, the
// share of the pool's tasks each thread ran during the GEMMs; for tfjs-wasm, its own thread count
// (getThreadsCount) and whether it loaded its threaded build; for both, whether the page is
// cross-origin isolated and how many Web Workers it started. wasmBase (a folder URL) loads
// tsgluon's .wasm files from elsewhere, to compare builds; only=gemm skips the training steps.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
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
const wasmBase = q.get('wasmBase');
const gemmOnly = q.get('only') === 'gemm';
const result: BenchResult = { done: false, info: '', gemm: {}, mlp: null, lenet: null };
window.benchResult = result;

// Counts the Web Workers the page starts (both libraries run their threads as workers).
let workersStarted = 0;
const PageWorker = window.Worker;
window.Worker = class extends PageWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    workersStarted++;
  }
};
const pageInfo = () => `${crossOriginIsolated ? 'cross-origin isolated' : 'NOT cross-origin isolated'}, ${workersStarted} worker${workersStarted === 1 ? '' : 's'} started`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const best = q.get('stat') === 'min';

/** Seconds of warm-up calls before each figure (at least two calls); the query's warmup overrides. */
const warmup = Number(q.get('warmup') ?? '0.3');

/**
 * Median (or with stat=min, the shortest) seconds of `fn` after the warm-up, within the budget (3
 * to 50 calls). On a loaded machine the shortest call is the one least interrupted. The warm-up
 * runs for a while rather than a call or two: with two, the 50 measured calls of a 256 GEMM fell
 * within the first 50 ms after loading, while the engine still tiers its code up (probably
 * recompiling in background threads that take a core from a second worker thread), and tsgluon at
 * two threads measured up to 25% slower than in the steady state.
 */
function seconds(fn: () => void): number {
  const w0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - w0 < 1000 * warmup; i++) fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < 3 || (spent < budget && times.length < 50)) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    times.push(dt);
    spent += dt;
  }
  return best ? Math.min(...times) : median(times);
}

async function tsgluon(): Promise<void> {
  const wasm = await backend.loadWasm({ threads, ...(wasmBase !== null ? { baseUrl: wasmBase } : {}) });
  const before = wasm.poolTasks();
  for (const n of sizes) {
    nd.random.seed(n);
    const a = nd.random.uniform({ shape: [n, n] });
    const b = nd.random.uniform({ shape: [n, n] });
    result.gemm[n] = (2 * n ** 3) / seconds(() => nd.dot(a, b)) / 1e9;
  }
  const ran = wasm.poolTasks().map((t, i) => t - (before[i] ?? 0));
  const total = ran.reduce((x, y) => x + y, 0);
  const shares = total === 0 ? 'no parallel tasks' : `GEMM tasks per thread ${ran.map((t) => `${Math.round((100 * t) / total)}%`).join('/')}`;
  const used = ran.filter((t) => t > 0).length || 1;
  result.info = `tsgluon wasm (${wasm.variant.relaxed ? 'relaxed SIMD' : 'SIMD128'}, ${wasm.numThreads()} thread${wasm.numThreads() === 1 ? '' : 's'} set, ${used} used: ${shares}; ${pageInfo()})`;
  if (gemmOnly) return;
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
    // tfjs-wasm caps its pool at half of navigator.hardwareConcurrency (it assumes two hardware
    // threads per core), so on a 2-core machine it would run one thread whatever it is asked:
    // report enough cores that the count asked for is the count it runs.
    if (threads > 1) Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 2 * threads, configurable: true });
    setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    setThreadsCount(threads);
  } else {
    await import('@tensorflow/tfjs-backend-webgl');
  }
  if (!(await tf.setBackend(which))) throw new Error(`tfjs could not start its ${which} backend here`);
  await tf.ready();
  const threaded = which === 'wasm' && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const info = () =>
    which === 'wasm'
      ? `tfjs-wasm (${threads} thread${threads === 1 ? '' : 's'} set, ${getThreadsCount()} used by its own count, ${threaded ? 'threaded' : 'single-thread'} build; ${pageInfo()})`
      : `tfjs-webgl (WebGL ${String(tf.env().get('WEBGL_VERSION'))})`;
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
  result.info = info();
  if (gemmOnly) return;
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
