import { backend } from 'tsgluon';
import { makeStep, timeCalls, torchPeer, type NetName } from '/work/wt/conv/bench/cnn-nets.js';
const nets = (process.argv[2] ?? 'lenet-relu').split(',') as NetName[];
const threads = Number(process.argv[3] ?? 1);
backend.getBackend().setNumThreads?.(threads);
for (const n of nets) {
  const ours = timeCalls(makeStep(n), 3);
  const t = torchPeer('time', n, threads, 3);
  const tj = typeof t === 'string' ? null : (t.json as { step: number; cpu: number });
  console.log(`${n} t=${threads}: tsgluon wall ${(ours.step * 1e3).toFixed(1)} cpu ${(ours.cpu * 1e3).toFixed(1)} | torch wall ${tj ? (tj.step * 1e3).toFixed(1) : t} cpu ${tj ? (tj.cpu * 1e3).toFixed(1) : ''}`);
}
