// `npm run bench` (part): the training step of D2L's character language model with an LSTM, the
// workload of chapter 9.2: one-hot input of 28 characters, batch 32, 35 time steps, hidden 256,
// a Dense decoder, mean softmax cross-entropy, gradients clipped to global norm 1, SGD. tsgluon
// (gluon.rnn.LSTM: one input-projection GEMM per sequence, then the fused recurrence kernel;
// eager, and hybridized with staticAlloc: the same fused kernel as one node of the model's graph)
// against PyTorch's nn.LSTM (Debian's /usr/bin/python3, torch 1.13), on 1 and 2 threads, measured
// in alternating rounds (tsgluon, PyTorch, tsgluon, ...) so both see the same machine load; the
// median round of each is reported, with where tsgluon's step time goes.
//
// Options: --threads 1,2  --rounds 3  --budget 1 (seconds per round)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { autograd, backend, gluon, init, nd } from 'tsgluon';
import { gradClipping, RNNModel } from '../examples/char-lm-model.js';

const { values: args } = parseArgs({
  options: { threads: { type: 'string', default: '1,2' }, rounds: { type: 'string', default: '3' }, budget: { type: 'string', default: '1' } },
});
const here = dirname(fileURLToPath(import.meta.url));
const [V, N, T, H] = [28, 32, 35, 256];
const PY = '/usr/bin/python3';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The step, eager or with the model and the loss hybridized (staticAlloc). */
function makeStep(hybrid = false) {
  nd.random.seed(0);
  const net = new RNNModel(new gluon.rnn.LSTM(H), V);
  net.initialize({ init: new init.Normal(0.01) });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (hybrid) {
    net.hybridize({ staticAlloc: true });
    loss.hybridize({ staticAlloc: true });
  }
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
  const X = nd.random.randint({ high: V, shape: [N, T], dtype: 'int32' });
  const y = nd.random.randint({ high: V, shape: [N, T], dtype: 'int32' }).transpose().reshape([-1]);
  let state = net.beginState(N);
  return () => {
    state = state.map((s) => s.detach());
    const l = autograd.record(() => {
      const [out, next] = net.forward(X, state);
      state = next;
      return loss.forward(out, y).mean();
    });
    l.backward();
    gradClipping(net, 1);
    trainer.step(1);
  };
}

function ours(step: () => void, budget: number): number {
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < budget * 1000) {
    step();
    steps++;
  }
  return steps / ((performance.now() - t0) / 1000);
}

function torchRound(threads: number, budget: number): number | null {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const r = spawnSync(PY, [join(here, 'peers_lstm.py'), String(threads), String(budget)], { env, encoding: 'utf8' });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (!line) {
    console.log(`PyTorch round failed: ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
  return (JSON.parse(line) as { steps_per_s: number }).steps_per_s;
}

/** Milliseconds per step in the recurrence kernels, the other kernels and outside them. */
function breakdown(step: () => void, steps = 10): Record<string, number> {
  const table = backend.getBackend().kernels as unknown as Record<string, unknown>;
  const spent = { rnn: 0, gemm: 0, other: 0 };
  const restore: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>) => {
    for (const [key, f] of Object.entries(obj)) {
      if (typeof f === 'function') {
        const kind = key.startsWith('rnn') ? 'rnn' : key === 'matmul' || key === 'matmulBias' ? 'gemm' : 'other';
        obj[key] = (...a: unknown[]) => {
          const t0 = performance.now();
          const r = (f as (...xs: unknown[]) => unknown)(...a);
          spent[kind] += performance.now() - t0;
          return r;
        };
        restore.push(() => (obj[key] = f));
      } else if (f !== null && typeof f === 'object') wrap(f as Record<string, unknown>);
    }
  };
  wrap(table);
  const t0 = performance.now();
  try {
    for (let i = 0; i < steps; i++) step();
  } finally {
    for (const r of restore) r();
  }
  const total = performance.now() - t0;
  return {
    step: total / steps,
    'rnnForward + rnnBackward': spent.rnn / steps,
    'other GEMMs': spent.gemm / steps,
    'other kernels': spent.other / steps,
    'outside kernels': (total - spent.rnn - spent.gemm - spent.other) / steps,
  };
}

const be = backend.getBackend();
const rounds = Number(args.rounds);
const budget = Number(args.budget);
console.log(`LSTM language-model training step (batch ${N}, ${T} steps, hidden ${H}, ${V} characters), backend ${be.name}`);
const rows: string[] = [];
for (const threads of args.threads.split(',').map(Number)) {
  be.setNumThreads?.(threads);
  const step = makeStep();
  const hybridStep = makeStep(true);
  for (let i = 0; i < 5; i++) {
    step();
    hybridStep();
  }
  const mine: number[] = [];
  const hybrid: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    mine.push(ours(step, budget));
    hybrid.push(ours(hybridStep, budget));
    const t = existsSync(PY) ? torchRound(threads, budget) : null;
    if (t !== null) theirs.push(t);
  }
  const a = median(mine);
  const b = theirs.length > 0 ? median(theirs) : NaN;
  rows.push(`${threads} thread${threads > 1 ? 's' : ' '}  tsgluon ${a.toFixed(1)} steps/s (${(1000 / a).toFixed(1)} ms)  PyTorch ${b.toFixed(1)} steps/s (${(1000 / b).toFixed(1)} ms)  ratio ${(a / b).toFixed(2)}x`);
  console.log(rows[rows.length - 1]);
  const h = median(hybrid);
  console.log(`  tsgluon hybridized (staticAlloc) ${h.toFixed(1)} steps/s (${(1000 / h).toFixed(1)} ms)  ratio ${(h / b).toFixed(2)}x`);
  for (const [what, s] of [['step', step], ['hybridized step', hybridStep]] as const) {
    const parts = breakdown(s);
    console.log(`  tsgluon ${what}: ${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
  }
}
if (!existsSync(PY)) console.log(`PyTorch not measured: ${PY} missing (apt-get install python3-torch python3-threadpoolctl)`);
