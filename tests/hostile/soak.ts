/**
 * The long hostile run, on demand: `npm run soak -- --runs 200 --seed 1`. Generates `runs` cases
 * per target (random seed unless given; `--filter` keeps targets whose id contains a string,
 * `--only` those listed in a JSON file), runs them on both backends in parallel child processes,
 * prints the tally and every failure, writes the full report as JSON (`--out`), and exits non-zero
 * when any case crashed, hung, exhausted memory or threw an untyped or misnamed error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { discoverTargets, generateCases } from './cases.js';
import { describeFailures, runCases, tally, type Status } from './harness.js';
import { makeScratch } from './spec.js';
import * as lib from '../../src/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    backend: { type: 'string', default: 'both' },
    hang: { type: 'string', default: '30000' },
    rss: { type: 'string', default: '2500' },
    filter: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const runs = Number(values.runs);
// --only FILE: a JSON list of target ids (e.g. those of another checkout's run, to compare like with like).
const only = values.only === undefined ? null : new Set(JSON.parse(readFileSync(values.only, 'utf8')) as string[]);
const targets = discoverTargets().filter((t) => (values.filter === undefined || t.id.includes(values.filter)) && (only === null || only.has(t.id)));
const cases = generateCases(targets, runs, seed);
const backends = values.backend === 'both' ? (['native', 'ref'] as const) : [values.backend as 'native' | 'ref'];
const scratch = makeScratch(lib);
console.log(`hostile soak: ${targets.length} targets x ${runs} runs = ${cases.length} cases per backend, seed ${seed}, scratch ${scratch}`);
const t0 = Date.now();
const results = await Promise.all(
  backends.map((backend) => runCases({ backend, cases, hangMs: Number(values.hang), rssMb: Number(values.rss), scratch, env: { TSGLUON_MAX_ALLOCATION: '64M', TSGLUON_OFFLINE: '1', TSGLUON_DATASETS: scratch } })),
);
const FAIL: Status[] = ['crash', 'hang', 'memory', 'async', 'untyped', 'misnamed'];
let failed = 0;
backends.forEach((backend, b) => {
  const counts = tally(results[b]!);
  const drive = results[b]!.filter((o) => o.phase === 'drive' && FAIL.includes(o.status)).length;
  console.log(`\n${backend}: ${JSON.stringify(counts)} (of the failures, ${drive} while driving a constructed object)`);
  for (const line of describeFailures(cases, results[b]!, FAIL, 40)) console.log(`  ${line}`);
  failed += FAIL.reduce((n, s) => n + counts[s], 0);
});
console.log(`\n${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (values.out !== undefined) writeFileSync(values.out, JSON.stringify({ seed, runs, targets: targets.length, backends, cases, results }, null, 1));
process.exit(failed === 0 ? 0 : 1);
