// Data-parallel speed-up over MPI: epoch throughput of the MLP and LeNet with 2 ranks of 1 thread
// each against 1 rank of 1 thread (kvstore 'dist_sync', Open MPI over shared memory on this
// machine), each rank taking batches of 256 from its shard of a synthetic MNIST-sized set
// (bench/dist-worker.ts). Runs alternate between 1 and 2 ranks and the best of --repeat is kept,
// so a machine that other jobs load affects both sides alike; on a loaded machine run it twice.
// A third row runs two independent 1-rank trainings at once: their combined samples per second
// is what this machine gives two processes without any communication, the ceiling of 2 ranks.
// The closing note gives the communication cost per step: the time the Trainer waited for
// gradient allreduces after backward, and the time the communication thread spent in them (most
// of it overlaps backward).
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
  bucketsPerStep: number;
}

const SAMPLES: Record<string, number> = { mlp: 61440, lenet: 15360 };

/** One mpirun of the worker; resolves with rank 0's figures. */
function run(model: string, ranks: number): Promise<Row> {
  const worker = ['--import', 'tsx', 'bench/dist-worker.ts'];
  const opts = ['--model', model, '--batch', args.batch, '--epochs', args.epochs, '--samples', String(SAMPLES[model] ?? 30720)];
  const child = spawn('mpirun', ['--allow-run-as-root', '--bind-to', 'none', '-np', String(ranks), process.execPath, ...worker, ...opts], {
    env: { ...process.env, TSGLUON_NUM_THREADS: '1', OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' },
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
console.log('model                ranks  samples/s  speed-up  step ms  wait ms/step  allreduce ms/step  buckets/step');
const label = (ranks: number): string => (ranks === 0 ? '2 x 1 (independent)' : String(ranks));
for (const model of args.models.split(',')) {
  const best = new Map<number, Row>();
  for (let i = 0; i < Number(args.repeat); i++) {
    for (const ranks of [1, 2, 0]) {
      const row = ranks === 0 ? await independentPair(model) : await run(model, ranks);
      if ((best.get(ranks)?.samplesPerSec ?? 0) < row.samplesPerSec) best.set(ranks, row);
    }
  }
  const base = best.get(1)!.samplesPerSec;
  for (const ranks of [1, 2, 0]) {
    const b = best.get(ranks)!;
    console.log(
      `${model.padEnd(6)} ${label(ranks).padStart(19)} ${fmt(b.samplesPerSec)} ${fmt(b.samplesPerSec / base, 2)}x ${fmt(b.stepMs, 1)} ${fmt(b.waitMsPerStep, 2).padStart(13)} ${fmt(b.commMsPerStep, 2).padStart(18)} ${fmt(b.bucketsPerStep, 1).padStart(13)}`,
    );
  }
}
