/**
 * Autograd's global switches: whether operations are being recorded for backward, and whether
 * layers run in training mode (dropout active, batch statistics) or prediction mode.
 *
 * `record(fn)` turns recording on for the synchronous extent of `fn`, as Gluon's
 * `with autograd.record():` does for its block.
 */
let recording = false;
let training = false;

/** True inside `record(fn)` (and not inside a nested `pause`): ops are taped for backward. */
export function isRecording(): boolean {
  return recording;
}

/** True when layers run in training mode (dropout active): inside `record` (unless `trainMode: false`) or `trainMode(fn)`. */
export function isTraining(): boolean {
  return training;
}

function scoped<T>(rec: boolean, train: boolean, fn: () => T): T {
  const prevRec = recording;
  const prevTrain = training;
  recording = rec;
  training = train;
  try {
    return fn();
  } finally {
    recording = prevRec;
    training = prevTrain;
  }
}

/**
 * Records the operations `fn` performs so that `y.backward()` can differentiate them.
 * Training mode is on inside unless `trainMode: false`.
 * @example
 * const y = autograd.record(() => x.mul(x).sum());
 * y.backward();
 */
export function record<T>(fn: () => T, options: { trainMode?: boolean } = {}): T {
  return scoped(true, options.trainMode ?? true, fn);
}

/** Runs `fn` without recording (and in prediction mode unless `trainMode: true`). */
export function pause<T>(fn: () => T, options: { trainMode?: boolean } = {}): T {
  return scoped(false, options.trainMode ?? false, fn);
}

/** Runs `fn` in training mode without changing whether operations are recorded. */
export function trainMode<T>(fn: () => T): T {
  return scoped(recording, true, fn);
}

/** Runs `fn` in prediction mode without changing whether operations are recorded. */
export function predictMode<T>(fn: () => T): T {
  return scoped(recording, false, fn);
}
