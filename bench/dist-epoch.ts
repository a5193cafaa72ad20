// Data-parallel speed-up over MPI: epoch throughput of the MLP and LeNet with 2 ranks of 1 thread
// each against 1 rank of 1 thread (kvstore 'dist_sync', Open MPI over shared memory on this
// machine), each rank taking batches of 256 from its shard of a synthetic MNIST-sized set
// (bench/dist-worker.ts). Runs alternate between 1 and 2 ranks and the best of --repeat is kept,
// so a machine that other jobs load affects both sides alike; on a loaded machine run it twice.
// The 2-rank rows come twice: gradients averaged through shared memory (the default when every
// rank runs on one host) and through MPI's allreduce on the communication thread
// (TSGLUON_DIST_SHM=0, as across hosts). A last row runs two independent 1-rank trainings at
// once: their combined samples per second is what this machine gives two processes without any
// communication, the ceiling of 2 ranks. Per step: the time the Trainer waited for the gradient
// average after backward, the time spent in the averaging collectives, and of that, the time a
// rank waited for the other to bring its gradients (load imbalance between the ranks; shared
// memory only, MPI's allreduce cannot tell it apart from the transfer).
//
// Run: npm run bench:dist [-- --models mlp,lenet --repeat 2 --epochs 2]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,lenet' },
    repeat: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '256' },
  },
});

interface Row {
  model: string;
  ranks: number;
  samplesPerSec: number;
  stepMs: number;
  waitMsPerStep: number;
  commMsPerStep: number;
  lateMsPerStep: number;
  cpuMsPerStep: number;
  bucketsPerStep: number;
}

/** The rows: 1 rank, 2 ranks over shared memory, 2 ranks over MPI, 2 independent 1-rank runs. */
const ROWS = [
  { label: '1', ranks: 1, env: {} },
  { label: '2 (shared memory)', ranks: 2, env: {} },
  { label: '2 (MPI allreduce)', ranks: 2, env: { TSGLUON_DIST_SHM: '0' } },
  { label: '2 x 1 (independent)', ranks: 0, env: {} },
] as const;

const SAMPLES: Record<string, number> = { mlp: 61440, lenet: 15360 };

/** One mpirun of the worker; resolves with rank 0's figures. */
function run(model: string, ranks: number, extraEnv: Record<string, string> = {}): Promise<Row> {
  const worker = ['--import', 'tsx', 'bench/dist-worker.ts'];
  const opts = ['--model', model, '--batch', args.batch, '--epochs', args.epochs, '--samples', String(SAMPLES[model] ?? 30720)];
  const child = spawn('mpirun', ['--allow-run-as-root', '--bind-to', 'none', '-np', String(ranks), process.execPath, ...worker, ...opts], {
    env: { ...process.env, TSGLUON_NUM_THREADS: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', ...extraEnv },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`mpirun not found (apt-get install libopenmpi-dev openmpi-bin): ${e.message}`)));
    child.on('close', (status) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (status !== 0 || line === undefined) reject(new Error(`${model} on ${ranks} rank(s) failed:\n${out}`));
      else resolve(JSON.parse(line) as Row);
    });
  });
}

/** Two 1-rank trainings at once, as one row: their samples per second added. */
async function independentPair(model: string): Promise<Row> {
  const [a, b] = await Promise.all([run(model, 1), run(model, 1)]);
  return { ...a, ranks: 0, samplesPerSec: a.samplesPerSec + b.samplesPerSec, stepMs: (a.stepMs + b.stepMs) / 2 };
}

const fmt = (v: number, d = 0): string => v.toFixed(d).padStart(9);
console.log(`data-parallel training, 1 thread per rank, batch ${args.batch} per rank (best of ${args.repeat})`);
console.log('model                ranks  samples/s  speed-up  step ms  CPU ms/step  wait ms/step  average ms/step  of it late rank  buckets/step');
for (const model of args.models.split(',')) {
  const best = new Map<string, Row>();
  for (let i = 0; i < Number(args.repeat); i++) {
    for (const r of ROWS) {
      const row = r.ranks === 0 ? await independentPair(model) : await run(model, r.ranks, r.env);
      if ((best.get(r.label)?.samplesPerSec ?? 0) < row.samplesPerSec) best.set(r.label, row);
    }
  }
  const base = best.get('1')!.samplesPerSec;
  for (const r of ROWS) {
    const b = best.get(r.label)!;
    console.log(
      `${model.padEnd(6)} ${r.label.padStart(19)} ${fmt(b.samplesPerSec)} ${fmt(b.samplesPerSec / base, 2)}x ${fmt(b.stepMs, 1)} ${fmt(b.cpuMsPerStep, 2).padStart(12)} ${fmt(b.waitMsPerStep, 2).padStart(13)} ${fmt(b.commMsPerStep, 2).padStart(16)} ${fmt(b.lateMsPerStep, 2).padStart(16)} ${fmt(b.bucketsPerStep, 1).padStart(13)}`,
    );
  }
}
