/**
 * Runs hostile cases in child processes, where a crash is caught: a case that kills its process
 * (abort, V8 heap exhaustion, segfault) is a `crash`, one still running after `hangMs` a `hang`,
 * one whose process grows past `rssMb` a `memory` failure; the child is then replaced and the run
 * goes on from the next case. Children are batched (one per backend, replaced only after a
 * failure), so process start-up does not dominate.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Case } from './cases.js';
import { show } from './spec.js';

export type Status = 'ok' | 'typed' | 'misnamed' | 'untyped' | 'crash' | 'hang' | 'memory' | 'async' | 'invalid';

export interface Outcome {
  readonly i: number;
  readonly status: Status;
  readonly phase?: 'call' | 'drive';
  readonly cls?: string;
  readonly msg?: string;
  readonly ms?: number;
}

export interface RunOptions {
  readonly backend: 'ref' | 'native';
  readonly cases: readonly Case[];
  /** A case still running after this long is a hang. */
  readonly hangMs: number;
  /** A child whose resident memory passes this is killed as a memory failure. */
  readonly rssMb: number;
  /** Scratch folder made by `makeScratch`. */
  readonly scratch: string;
  /** Extra environment of the children. */
  readonly env?: Readonly<Record<string, string>>;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const CHILD = join(ROOT, 'tests', 'hostile', 'child.ts');

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/** Runs every case once on one backend and returns one outcome per case, in order. */
export async function runCases(opts: RunOptions): Promise<Outcome[]> {
  const tag = `${opts.backend}-${process.pid}`;
  const casesFile = join(opts.scratch, `cases-${tag}.json`);
  writeFileSync(casesFile, JSON.stringify(opts.cases));
  const outcomes = new Map<number, Outcome>();
  let start = 0;
  let spawnNo = 0;
  while (start < opts.cases.length) {
    const logFile = join(opts.scratch, `log-${tag}-${spawnNo++}.txt`);
    writeFileSync(logFile, '');
    const next = await runChild(opts, casesFile, start, logFile, outcomes);
    if (next <= start) throw new Error(`hostile harness: the child made no progress from case ${start}; see ${logFile}`);
    start = next;
  }
  return opts.cases.map((_, i) => outcomes.get(i) ?? { i, status: 'crash', msg: 'no outcome recorded' });
}

/** One child from case `start`; resolves with the index to continue from. */
function runChild(opts: RunOptions, casesFile: string, start: number, logFile: string, outcomes: Map<number, Outcome>): Promise<number> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=2048', '--import', 'tsx', '--conditions=development', CHILD, casesFile, String(start), logFile, opts.scratch],
      { cwd: ROOT, env: { ...process.env, ...opts.env, TSGLUON_BACKEND: opts.backend }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-3000);
    });
    let pos = 0;
    let current = -1;
    let since = 0;
    let finished = false;
    let killed: Status | null = null;
    const consume = () => {
      const fd = openSync(logFile, 'r');
      const buf = Buffer.alloc(1 << 20);
      let text = '';
      for (;;) {
        const k = readSync(fd, buf, 0, buf.length, pos);
        if (k <= 0) break;
        pos += k;
        text += buf.subarray(0, k).toString();
      }
      closeSync(fd);
      // A partial last line is read again next time.
      const cut = text.lastIndexOf('\n') + 1;
      pos -= Buffer.byteLength(text.slice(cut));
      for (const line of text.slice(0, cut).split('\n')) {
        if (line.startsWith('S ')) {
          current = Number(line.slice(2));
          since = Date.now();
        } else if (line.startsWith('R ')) {
          const r = JSON.parse(line.slice(2)) as Outcome;
          const prior = outcomes.get(r.i);
          outcomes.set(r.i, prior?.status === 'async' ? prior : r);
          current = -1;
        } else if (line.startsWith('A ')) {
          const a = JSON.parse(line.slice(2)) as { i: number; cls: string; msg: string };
          outcomes.set(a.i, { i: a.i, status: 'async', cls: a.cls, msg: a.msg });
        } else if (line === 'D') finished = true;
      }
    };
    const timer = setInterval(() => {
      consume();
      if (current < 0 || killed !== null) return;
      if (Date.now() - since > opts.hangMs) killed = 'hang';
      else if (rssMb(child.pid!) > opts.rssMb) killed = 'memory';
      if (killed !== null) child.kill('SIGKILL');
    }, 100);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      consume();
      if (finished) return done(opts.cases.length);
      if (current < 0) return done(start); // died between cases: no progress, reported by the caller
      const why = killed ?? 'crash';
      const detail = killed === 'hang' ? `still running after ${opts.hangMs} ms` : killed === 'memory' ? `resident memory above ${opts.rssMb} MB` : `exit code ${code}, signal ${signal}: ${stderr.trim().split('\n').slice(-6).join(' | ')}`;
      outcomes.set(current, { i: current, status: why, msg: detail });
      done(current + 1);
    });
  });
}

/** Counts per status. */
export function tally(outcomes: readonly Outcome[]): Record<Status, number> {
  const out: Record<Status, number> = { ok: 0, typed: 0, misnamed: 0, untyped: 0, crash: 0, hang: 0, memory: 0, async: 0, invalid: 0 };
  for (const o of outcomes) out[o.status]++;
  return out;
}

/** Failure lines: the target, the arguments and what happened, at most `limit` per status. */
export function describeFailures(cases: readonly Case[], outcomes: readonly Outcome[], statuses: readonly Status[], limit = 15): string[] {
  const lines: string[] = [];
  for (const s of statuses) {
    const bad = outcomes.filter((o) => o.status === s);
    for (const o of bad.slice(0, limit)) {
      const c = cases[o.i]!;
      lines.push(`${s}${o.phase === 'drive' ? ' (drive)' : ''}: ${c.target}(${c.args.map(show).join(', ')}) -> ${o.cls ?? ''} ${o.msg ?? ''}`);
    }
    if (bad.length > limit) lines.push(`${s}: ... and ${bad.length - limit} more`);
  }
  return lines;
}
