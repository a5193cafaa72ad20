// What V8's garbage collector costs eager steps, with the native backend's GC tuning
// (src/backend/native/gc-tuning.ts) on and off: each round runs the workload in a fresh process
// per setting, alternating, and every process reports its median step (wall clock), its CPU time
// per step (user + system, all threads) and the collections per step by kind (scavenges, full
// mark-compacts, and their pause time). The networks are bench/cnn-nets.ts's; the full
// collections per step are the figure to watch: a run that falls into one every step or two is
// slow for that reason alone, on 2 threads doubly so (concurrent marking takes the second core).
//
// Run: npx tsx bench/gc-steps.ts [--nets resnet50-infer,lenet-relu] [--threads 1,2] [--steps 12] [--rounds 3]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { backend } from 'tsgluon';
import { NETS, makeStep, median, type NetName } from './cnn-nets.js';

const { values: args } = parseArgs({
  options: {
    nets: { type: 'string', default: 'resnet50-infer,lenet-relu' },
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'boolean', default: false },
  },
});

if (args.child) {
  const gcs = { minor: 0, major: 0, pause: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
      gcs.pause += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
  const n = Number(args.steps);
  for (const net of args.nets.split(',') as NetName[]) {
    for (const t of args.threads.split(',').map(Number)) {
      backend.getBackend().setNumThreads?.(t);
      const step = makeStep(net);
      for (let i = 0; i < 3; i++) step();
      await tick();
      Object.assign(gcs, { minor: 0, major: 0, pause: 0 });
      const times: number[] = [];
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        step();
        times.push(performance.now() - t0);
      }
      const c = process.cpuUsage(c0);
      await tick();
      const perStep = (v: number): string => (v / n).toFixed(2);
      console.log(
        `| ${net} | ${t} | ${process.env['TSGLUON_GC_TUNING'] === '0' ? 'off' : 'on'} | ${median(times).toFixed(1)} | ` +
          `${((c.user + c.system) / 1000 / n).toFixed(1)} | ${perStep(gcs.minor)} | ${perStep(gcs.major)} | ${perStep(gcs.pause)} |`,
      );
    }
  }
  process.exit(0);
}

for (const net of args.nets.split(',')) if (!(NETS as readonly string[]).includes(net)) throw new Error(`unknown net ${net}; one of ${NETS.join(', ')}`);
console.log(`Eager steps, ${args.steps} per process after 3 warm-up steps; GC tuning on and off in alternating processes`);
console.log('| workload | threads | GC tuning | median ms | CPU ms/step | scavenges/step | full GCs/step | GC pause ms/step |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|');
const self = fileURLToPath(import.meta.url);
for (let r = 0; r < Number(args.rounds); r++) {
  for (const tuning of ['1', '0']) {
    const out = spawnSync(process.execPath, [...process.execArgv, self, '--child', '--nets', args.nets, '--threads', args.threads, '--steps', args.steps], {
      encoding: 'utf8',
      env: { ...process.env, TSGLUON_GC_TUNING: tuning },
    });
    process.stdout.write(out.status === 0 ? out.stdout : `child failed: ${out.stderr}\n`);
  }
}
