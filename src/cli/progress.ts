/**
 * Progress reporting for the command line: a cli-progress bar per epoch (loss, accuracy,
 * samples/s) when the output is a terminal, and one plain line per epoch otherwise (logs, CI),
 * so redirected output stays readable.
 */
import cliProgress from 'cli-progress';

/** What an epoch reports while it runs and when it ends. */
export interface EpochStats {
  loss: number;
  acc: number;
  samplesPerSec: number;
  testAcc?: number;
}

function fmt(stats: Partial<EpochStats>): Record<string, string> {
  return {
    loss: stats.loss === undefined ? '-' : stats.loss.toFixed(4),
    acc: stats.acc === undefined ? '-' : stats.acc.toFixed(4),
    speed: stats.samplesPerSec === undefined ? '-' : Math.round(stats.samplesPerSec).toString(),
    test: stats.testAcc === undefined ? '-' : stats.testAcc.toFixed(4),
  };
}

/**
 * One epoch's progress: `start()`, `tick(stats)` after each batch, `finish(stats)` at the end.
 * @example
 * const p = new EpochProgress(1, 10, loader.length); p.start();
 * for (...) p.tick({ loss, acc, samplesPerSec });
 * p.finish({ loss, acc, samplesPerSec, testAcc });
 */
export class EpochProgress {
  readonly #bar: cliProgress.SingleBar | null;
  readonly #label: string;
  readonly #stream: NodeJS.WriteStream;
  readonly #total: number;
  readonly #quiet: boolean;

  constructor(epoch: number, epochs: number, batches: number, options: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}) {
    this.#stream = options.stream ?? process.stdout;
    this.#label = `epoch ${epoch}/${epochs}`;
    this.#quiet = options.quiet ?? false;
    const tty = Boolean(this.#stream.isTTY) && !this.#quiet;
    this.#bar = tty
      ? new cliProgress.SingleBar(
          {
            format: `${this.#label} [{bar}] {percentage}% | loss {loss} | acc {acc} | {speed} samples/s | test acc {test}`,
            stream: this.#stream,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.#total = batches;
  }

  start(): void {
    this.#bar?.start(this.#total, 0, fmt({}));
  }

  /** Pauses the bar so other lines can be printed, then resumes where it was. */
  interrupt(print: () => void): void {
    if (this.#bar === null) {
      print();
      return;
    }
    const value = this.#bar.getProgress() * this.#total;
    this.#bar.stop();
    print();
    this.#bar.start(this.#total, Math.round(value), fmt({}));
  }

  tick(stats: Partial<EpochStats>): void {
    this.#bar?.increment(fmt(stats));
  }

  finish(stats: EpochStats): void {
    if (this.#bar) {
      this.#bar.update(this.#total, fmt(stats));
      this.#bar.stop();
      return;
    }
    if (this.#quiet) return;
    const f = fmt(stats);
    this.#stream.write(`${this.#label} | loss ${f['loss']} | acc ${f['acc']} | ${f['speed']} samples/s | test acc ${f['test']}\n`);
  }
}
