/**
 * The hostile suite's child process: runs a batch of cases one after another and logs each start
 * and outcome synchronously to a file, so that when the process dies (an abort, a V8 heap
 * exhaustion) or hangs, the parent knows which case did it. Arguments: the cases file (JSON), the
 * index to start from, the log file and the scratch folder.
 *
 * An outcome is `ok`, `typed` (a TsGluonError whose message starts with the name of the function
 * the user called), `misnamed` (a TsGluonError naming something else), or `untyped` (any other
 * throw). Errors raised while driving a constructed object (its forward, step or iteration) are
 * judged separately (`drive`), since the user called a method of the object there.
 */
import { readFileSync, writeSync, openSync } from 'node:fs';
import * as lib from '../../src/index.js';
import { discoverTargets, type Case, type Target } from './cases.js';
import { decode, type DecodeContext, type Spec } from './spec.js';

const [casesFile, startArg, logFile, scratch] = process.argv.slice(2) as [string, string, string, string];
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as Case[];
const targets = new Map(discoverTargets().map((t) => [t.id, t]));
const log = openSync(logFile, 'a');
const write = (line: string) => writeSync(log, `${line}\n`);
process.chdir(scratch);

let current = -1;
for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(ev, (e: unknown) => write(`A ${JSON.stringify({ i: current, cls: errorClass(e), msg: errorMessage(e) })}`));
}

function errorClass(e: unknown): string {
  return e instanceof Error ? e.constructor.name : typeof e;
}
function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 400);
}

function get(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const p of path) v = (v as Record<string, unknown>)[p];
  return v;
}

/** Uses a constructed object once, the way a user would right after creating it. */
async function driveObject(obj: unknown, drive: readonly unknown[]): Promise<void> {
  const [d0, d1, d2] = drive as [lib.nd.NDArray, lib.nd.NDArray, number];
  if (obj instanceof lib.gluon.loss.Loss) obj.forward(d0, d1);
  else if (obj instanceof lib.nn.Block) {
    obj.initialize();
    obj.forward(d0);
  } else if (obj instanceof lib.init.Initializer) {
    const p = new lib.gluon.Parameter('w', { shape: [2, 3] });
    p.initialize({ init: obj });
    p.data();
  } else if (obj instanceof lib.optimizer.Optimizer) {
    const net = new lib.nn.Dense(2, { inUnits: 3 });
    net.initialize();
    const trainer = new lib.gluon.Trainer(net.collectParams(), obj);
    const x = lib.nd.ones([4, 3]);
    lib.autograd.record(() => net.forward(x).sum()).backward();
    trainer.step(4);
  } else if (obj instanceof lib.gluon.Trainer) obj.step(d2);
  else if (obj instanceof lib.metric.EvalMetric) {
    obj.update(d0, d1);
    obj.get();
  } else if (obj instanceof lib.lrScheduler.LRScheduler) obj.getLr(d2);
  else if (obj instanceof lib.gluon.Parameter) {
    obj.initialize();
    obj.data();
  } else if (obj instanceof lib.gluon.data.Dataset) {
    if (obj.length > 0) obj.get(0);
  } else if (obj !== null && typeof obj === 'object' && Symbol.iterator in obj) {
    let k = 0;
    for (const _ of obj as Iterable<unknown>) if (++k >= 3) break;
  }
}

type Phase = 'call' | 'drive';

async function run(t: Target, args: unknown[]): Promise<{ phase: Phase; obj: unknown }> {
  if (t.kind === 'call') {
    const fn = get(lib, t.path) as (...a: unknown[]) => unknown;
    const result = await fn(...args);
    // A generator function does its work only when iterated (seqDataIterRandom...).
    if (result !== null && typeof result === 'object' && typeof (result as Iterator<unknown>).next === 'function' && Symbol.iterator in result) {
      let k = 0;
      for (const _ of result as Iterable<unknown>) if (++k >= 3) break;
    }
    return { phase: 'call', obj: null };
  }
  if (t.kind === 'method') {
    const [self, ...rest] = args;
    const m = (lib.nd.NDArray.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[t.path[0]!]!;
    await m.apply(self, rest);
    return { phase: 'call', obj: null };
  }
  const Cls = get(lib, t.path) as new (...a: unknown[]) => unknown;
  const obj = new Cls(...args);
  return { phase: 'drive', obj };
}

const ctx: DecodeContext = { lib, scratch, counter: 0 };
for (let i = Number(startArg); i < cases.length; i++) {
  const c = cases[i]!;
  const t = targets.get(c.target);
  current = i;
  write(`S ${i}`);
  const t0 = performance.now();
  let phase: Phase = 'call';
  let names: string[] = t === undefined ? [] : [...t.labels];
  let outcome: { status: string; cls?: string; msg?: string };
  let args: unknown[];
  try {
    if (t === undefined) throw new Error(`unknown target ${c.target}`);
    args = c.args.map((s: Spec) => decode(s, ctx));
  } catch (e) {
    // Not the library's fault: the suite could not build the arguments.
    write(`R ${JSON.stringify({ i, phase, ms: 0, status: 'invalid', cls: errorClass(e), msg: errorMessage(e) })}`);
    continue;
  }
  if (t.path[0] === 'idx') for (const a of args) if ((typeof a === 'string' && a !== '') || typeof a === 'number') names.push(String(a));
  // A parameter names itself (`Parameter dense0_weight: ...`) when its initializer fails.
  if (t.kind === 'construct') names.push('Parameter');
  try {
    const r = await run(t, args);
    if (r.phase === 'drive') {
      phase = 'drive';
      const o = r.obj as { name?: unknown; prefix?: unknown };
      for (const v of [o.name, o.prefix]) if (typeof v === 'string' && v !== '') names.push(v.replace(/_$/, ''));
      await driveObject(r.obj, c.drive.map((s) => decode(s, ctx)));
    }
    outcome = { status: 'ok' };
  } catch (e) {
    const msg = errorMessage(e);
    if (!(e instanceof lib.TsGluonError)) outcome = { status: 'untyped', cls: errorClass(e), msg };
    else {
      names = names.filter((s) => s !== '');
      // A block also names itself by its instance name (`dense12: ...`).
      const named = names.some((n) => msg.startsWith(`${n}:`) || msg.startsWith(`${n}.`) || msg.startsWith(`${n} `)) || (t!.kind === 'construct' && /^[a-z]+\d+: /.test(msg));
      outcome = { status: named ? 'typed' : 'misnamed', cls: errorClass(e), msg };
    }
  }
  write(`R ${JSON.stringify({ i, phase, ms: Math.round(performance.now() - t0), ...outcome })}`);
}
write('D');
process.exit(0);
