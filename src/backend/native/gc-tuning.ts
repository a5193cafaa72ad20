/**
 * How the native backend tunes V8's garbage collector for eager code, the counterpart of the
 * malloc tuning in native/src/runtime.cc. Every eager op returns a new typed array of up to
 * megabytes; V8 counts their backing stores as external memory, and any external memory that grew
 * since the last full collection is charged against the old generation's allocation limit. With
 * a small JavaScript heap that slack is only about 8 MB, so whenever more than that of op outputs
 * awaits the next scavenge, V8 starts incremental marking and soon finalizes it with a full
 * mark-compact. Scavenges do free those outputs, but by default a background task sweeps the dead
 * array buffers and lowers the external count only later: the check right after the scavenge
 * still sees the garbage and starts marking anyway. Sweeping them on the main thread, as part of
 * the scavenge, keeps the count current. On ResNet-50 batch-1 inference that took full
 * collections from about 3 per forward to under 1, and on 2 threads the concurrent marking they
 * bring no longer competes with the kernel pool for the second core.
 *
 * `--concurrent-array-buffer-sweeping` is read each time a sweep is requested, and its opposite
 * is the path V8 itself takes when it reduces memory, so turning it off at run time is safe.
 * Skipped when TSGLUON_GC_TUNING=0 or when the process was started with that V8 flag either way.
 *
 * Eager training still meets full collections, in runs that settle into them: the eager LeNet
 * step at batch 256 runs 0.01 a step in some runs and 0.2-0.8 in others of the same code. What
 * decides it (traced with --trace-gc --trace-incremental-marking): arrays alive at two scavenges
 * in a row are promoted, and their bytes count as external memory until the next full collection;
 * V8 scavenges whenever the young generation's array buffers pass 32 MB, wherever that falls in a
 * step, so whether the step's activations are promoted is a matter of phase. V8's growing factor
 * does not help, so this file leaves it alone: with `--heap-growing-percent=200` (read at run
 * time) the limit rose from 36 to 55 MB over a 13 MB heap and marking still started every few
 * steps, the promoted garbage outgrowing the slack. `--single-threaded-gc` set at run time
 * crashes V8 (a cppgc check) and is never set here.
 *
 * Backward now releases each tape node as soon as its rule has run (src/autograd/backward.ts),
 * so a scavenge in backward keeps only what is still needed. In a process that trains without a
 * pause, that took the eager LeNet step from 0.2-0.45 full collections a step to 0.0-0.2 (and
 * 2 threads from 1.2-1.4x to 1.8-2.0x faster than 1). After an idle pause of a few seconds (the
 * benchmark's PyTorch rounds; also a plain `await` of a 4 s timer) the same loop settles at 0.4-0.6
 * again, and each of those collections has about 10 ms of concurrent marking competing for the
 * cores. Not V8's memory reducer (`--no-memory-reducer` at startup changes nothing) nor the heap
 * growing factor (`--heap-growing-percent=100` neither); open.
 */
import { env, isNode, nodeModule } from '../../core/platform.js';

const FLAG = 'concurrent-array-buffer-sweeping';
let tuned = false;

/**
 * @internal The V8 flag to set, or null to leave V8 alone: when TSGLUON_GC_TUNING is '0', or when
 * the process's own options (`execArgv`, NODE_OPTIONS) already say how to sweep array buffers.
 */
export function gcTuningFlag(execArgv: readonly string[], nodeOptions: string, optOut: string | undefined): string | null {
  if (optOut === '0') return null;
  if (execArgv.some((a) => a.includes(FLAG)) || nodeOptions.includes(FLAG)) return null;
  return `--no-${FLAG}`;
}

/** Applies gcTuningFlag once per process (see above). */
export function tuneGc(): void {
  if (tuned || !isNode()) return;
  tuned = true;
  const proc = (globalThis as { process?: { execArgv?: readonly string[] } }).process;
  const flag = gcTuningFlag(proc?.execArgv ?? [], env('NODE_OPTIONS') ?? '', env('TSGLUON_GC_TUNING'));
  if (flag === null) return;
  try {
    nodeModule<typeof import('node:v8')>('node:v8', 'tuning the garbage collector').setFlagsFromString(flag);
  } catch {
    // A Node without the built-in (older than 20.16, not handed over): keep V8's defaults.
  }
}
