// TensorFlow.js peer measurements for bench/run.ts, in a child process so its backends do not
// share a heap with tsgluon: float32 matMul GFLOP/s and the MLP 784-256(ReLU)-10 SGD step
// (batch 256, softmax cross-entropy). Both tfjs backends run on one thread in Node.
// Usage: tsx bench/peers-tfjs.ts wasm|cpu SIZES BUDGET_SECONDS -> one JSON line.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';

const [which = 'wasm', sizesArg = '256', budgetArg = '1'] = process.argv.slice(2);
const budget = Number(budgetArg);
// The cpu backend runs at about 1 GFLOP/s: one multiply of n = 2048 would take 20 s.
const maxN = which === 'cpu' ? 1024 : Infinity;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  await tf.setBackend(which);
  await tf.ready();
  const gemm: Record<number, number> = {};
  for (const n of sizesArg.split(',').map(Number)) {
    if (n > maxN) continue;
    const a = tf.randomUniform([n, n]);
    const b = tf.randomUniform([n, n]);
    const run = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    run();
    const times: number[] = [];
    let spent = 0;
    while (times.length < 1 || (spent < budget && times.length < 30)) {
      const t0 = performance.now();
      run();
      const dt = (performance.now() - t0) / 1000;
      times.push(dt);
      spent += dt;
    }
    gemm[n] = (2 * n ** 3) / median(times) / 1e9;
    a.dispose();
    b.dispose();
  }

  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }), tfl.layers.dense({ units: 10 })],
  });
  const opt = tf.train.sgd(0.1);
  const x = tf.randomUniform([256, 784]);
  const y = tf.oneHot(tf.randomUniform([256], 0, 10, 'int32'), 10);
  const step = () => {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar);
    // minimize is synchronous on these backends; reading one weight makes sure the step finished.
    model.getWeights()[0]!.dataSync();
  };
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  let steps = 0;
  while (steps < 3 || (performance.now() - t0) / 1000 < budget) {
    step();
    steps++;
  }
  const mlp = steps / ((performance.now() - t0) / 1000);
  console.log(JSON.stringify({ gemm, mlp }));
}

main().catch((e: unknown) => {
  console.log(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
});
