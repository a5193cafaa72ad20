/**
 * Worker of tests/dist/trainer.test.ts, launched by mpirun on 2 ranks: the Trainer's
 * kvstore 'dist_sync' in the cases plain training does not reach (a parameter only some ranks
 * use, or none; update without allreduceGrads; gradReq 'add'; two backwards before a step;
 * re-initialization; ranks with different networks) and metrics combined across ranks. Expected
 * gradients are computed here from each rank's local gradients, gathered with allgather (a
 * different collective from the reducer's fused allreduce). Writes <out>/rank-<r>.json.
 *
 * usage: node --import tsx trainer-semantics.ts <out-dir>
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, dist, gluon, metric, nd, nn } from '../../../src/index.js';

const out = process.argv[2]!;
const comm = dist.init({ timeout: 120 });
const r = comm.rank;
const result: Record<string, unknown> = {};
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
};

nd.random.seed(50 + r);
const trunk = new nn.Dense(6, { activation: 'tanh', inUnits: 5 });
const headA = new nn.Dense(3, { inUnits: 6 });
const headB = new nn.Dense(3, { inUnits: 6 });
const params = new gluon.ParameterDict();
for (const [prefix, block] of [['trunk', trunk], ['a', headA], ['b', headB]] as const) {
  block.initialize();
  for (const [k, p] of block.collectParams().entries()) params.set(`${prefix}.${k}`, p);
}
const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.1 }, { kvstore: 'dist_sync', bucketBytes: 64 });
const loss = new gluon.loss.L2Loss();
// Each rank's data differs, so its gradients do too.
const x = nd.random.uniform({ low: -1, high: 1, shape: [4, 5] });
const y = nd.random.uniform({ low: -1, high: 1, shape: [4, 3] });

function backward(useB: boolean): void {
  autograd
    .record(() => {
      const h = trunk.forward(x);
      const la = loss.forward(headA.forward(h), y).sum();
      return useB ? la.add(loss.forward(headB.forward(h), y).sum()) : la;
    })
    .backward();
}

/** Each parameter's local gradient (zeros where this rank's backward did not write it). */
function localGrads(): nd.NDArray[] {
  return params.entries().map(([, p]) => (p.data()._gradFresh ? nd.array(p.grad()) : nd.zerosLike(p.grad())));
}

/** Largest difference between the reduced gradients and the average of the ranks' local ones. */
function checkAverage(local: nd.NDArray[]): number {
  let worst = 0;
  params.entries().forEach(([, p], i) => {
    const g = comm.allgather(local[i]!.reshape([1, -1]));
    const mean = g.mean(0);
    const got = p.grad().storage;
    mean.storage.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - got[j]!))));
  });
  return worst;
}

const weights = (): number[] => params.entries().flatMap(([, p]) => Array.from(p.data().storage));

// Parameters start equal: rank 0's values were broadcast when the Trainer was built.
result['startEqual'] = weights();

// Step 1 uses both heads everywhere; step 2 uses head B on rank 1 only, so rank 0's B gradient
// buffers still hold step 1's values, which must count as zeros.
backward(true);
trainer.step(4);
backward(r === 1);
const local = localGrads();
trainer.allreduceGrads();
result['partialUseMaxError'] = checkAverage(local);
result['partialUseFresh'] = params.entries().map(([, p]) => p.data()._gradFresh);
trainer.update(4);
result['afterPartialUse'] = weights();

// No rank uses head B: its gradient is stale everywhere, the same error on both ranks.
backward(false);
result['staleEverywhere'] = errorOf(() => trainer.step(4));
result['staleIgnored'] = errorOf(() => trainer.step(4, { ignoreStaleGrad: true }));

// update() must follow allreduceGrads() after a backward.
backward(true);
result['updateFirst'] = errorOf(() => trainer.update(4));
trainer.step(4);

// Two backwards before a step (gradReq 'write'): the second one's gradients are averaged, even
// though the first one's buckets were already on their way.
backward(true);
x.assign(x.mul(-2));
backward(true);
const second = localGrads();
trainer.allreduceGrads();
result['twoBackwardsMaxError'] = checkAverage(second);
trainer.update(4);

// gradReq 'add': gradients accumulate over two backwards, then the sums are averaged.
for (const [, p] of params.entries()) p.gradReq = 'add';
trainer.zeroGrad();
backward(true);
x.assign(x.mul(0.5));
backward(true);
const accumulated = localGrads();
trainer.allreduceGrads();
result['addMaxError'] = checkAverage(accumulated);
trainer.update(4);
result['final'] = weights();

// Re-initializing (with different seeds per rank) broadcasts again.
nd.random.seed(900 + r);
for (const [, p] of params.entries()) p.initialize({ forceReinit: true });
result['reinit'] = weights();

// Metrics over every rank: rank 0 has 3 of 4 right, rank 1 has 1 of 2.
const acc = new metric.Accuracy();
acc.update(r === 0 ? nd.array([0, 1, 2, 0]) : nd.array([1, 1]), r === 0 ? nd.array([0, 1, 2, 1]) : nd.array([1, 0]));
result['accuracyGlobal'] = acc.getGlobal(comm);
result['accuracyLocal'] = acc.get();
const composite = new metric.CompositeEvalMetric([acc, new metric.MAE()]);
composite.metrics[1]!.update(nd.array([r]), nd.array([0]));
result['compositeGlobal'] = composite.getGlobal(comm);

// Ranks that built different networks are told so when the Trainer is built.
const odd = new nn.Dense(r === 0 ? 4 : 5, { inUnits: 2 });
odd.initialize();
result['differentNetworks'] = errorOf(() => new gluon.Trainer(odd.collectParams(), 'sgd', {}, { kvstore: 'dist_sync' }));
// float16 parameters: their bits travel, the average of two ranks' gradients is their sum (taken
// in float32, rounded to 16 bits once) halved, and the weights stay equal on both ranks.
nd.random.seed(70 + r);
const half = new nn.Dense(3, { inUnits: 4, dtype: 'float16' });
half.initialize();
const halfTrainer = new gluon.Trainer(half.collectParams(), 'sgd', { learningRate: 0.5 }, { kvstore: 'dist_sync' });
const hx = nd.random.uniform({ low: -1, high: 1, shape: [2, 4] });
autograd.record(() => half.forward(hx).square().sum()).backward();
const halfLocal = half.collectParams().values().map((p) => p.grad().astype('float32'));
halfTrainer.allreduceGrads();
let halfWorst = 0;
half.collectParams().values().forEach((p, i) => {
  const mean = comm.allgather(halfLocal[i]!.reshape([1, -1])).mean(0);
  const expected = nd.array(mean, { dtype: 'float16' }).astype('float32').storage;
  const got = p.grad().astype('float32').reshape([-1]).storage;
  expected.forEach((v, j) => (halfWorst = Math.max(halfWorst, Math.abs(v - got[j]!))));
});
result['halfGradMaxError'] = halfWorst;
result['halfDtype'] = half.collectParams().values().map((p) => p.data().dtype);
halfTrainer.update(2);
result['halfWeights'] = half.collectParams().values().flatMap((p) => Array.from(p.data().astype('float32').storage));
result['stats'] = trainer._distStats;
writeFileSync(join(out, `rank-${r}.json`), JSON.stringify(result));
