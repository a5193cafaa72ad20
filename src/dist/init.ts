/**
 * `dist.init()`: joins the MPI job this process was started in (by `mpirun -np N node script.js`;
 * a process started without mpirun is a job of one) and returns its `Communicator`.
 *
 * It also decides how the process ends, so that a job never hangs on a rank that is gone: a rank
 * that dies of an uncaught error prints it with its rank and host, then ends at once without
 * finalizing MPI; mpirun sees the failed rank and stops the others, which would otherwise wait
 * for it forever inside a collective. A rank that ends normally meets the others in a final
 * barrier and finalizes MPI. Waiting for any collective is bounded by `timeout`.
 */
import { DistributedError, PlatformError, ValueError, fmtValue } from '../core/errors.js';
import { env, isNode, nodeModule } from '../core/platform.js';
import { checkOptions } from '../core/public.js';
import { loadMpiAddon, missingMpiMessage, type MpiAddon, type MpiInfo } from './addon.js';
import { Communicator } from './communicator.js';

/** Options of `dist.init`. */
export interface InitOptions {
  /**
   * Seconds a rank waits for a collective before it decides another rank is gone, prints what it
   * was waiting for and ends the job (default: TSGLUON_DIST_TIMEOUT, else 1800; 0 waits forever).
   */
  timeout?: number;
}

const DEFAULT_TIMEOUT = 1800;

let world: Communicator | null = null;

/**
 * Initializes MPI (once; later calls return the same communicator). Throws a DistributedError
 * saying what to install when tsgluon's MPI addon is not built.
 * @example
 * const comm = dist.init();
 * if (comm.rank === 0) console.log(`training on ${comm.size} processes`);
 */
export function init(options: InitOptions = {}): Communicator {
  checkOptions('dist.init', options);
  if (world !== null) return world;
  if (!isNode()) throw new PlatformError('dist.init: distributed training runs in Node processes started by mpirun; this is not Node');
  const timeout = resolveTimeout(options.timeout);
  const { addon, error } = loadMpiAddon();
  if (addon === null) throw new DistributedError(missingMpiMessage(error));
  let info: MpiInfo;
  try {
    // Beyond 2^50 ms (35,000 years) a wait is unbounded in all but name.
    info = addon.init(Math.min(Math.round(timeout * 1000), 2 ** 50));
  } catch (e) {
    // MPI_Init failed, or the OS refused the communication thread: the addon's reason.
    throw new DistributedError(`dist.init: MPI could not start: ${(e as Error).message.replace(/^tsgluon MPI addon: init: /, '')}`);
  }
  world = new Communicator(addon, info);
  endWithTheJob(addon, world);
  return world;
}

/** True once `init()` has run in this process. */
export function isInitialized(): boolean {
  return world !== null;
}

/** True when this process was started by an MPI launcher (mpirun, mpiexec, srun with PMI). */
export function launchedByMpi(): boolean {
  return env('OMPI_COMM_WORLD_SIZE') !== undefined || env('PMI_SIZE') !== undefined || env('PMIX_RANK') !== undefined;
}

function resolveTimeout(given: number | undefined): number {
  const fromEnv = env('TSGLUON_DIST_TIMEOUT');
  const t = given ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? Number(fromEnv) : DEFAULT_TIMEOUT);
  if (!(Number.isFinite(t) && t >= 0)) {
    const where = given !== undefined ? 'options.timeout' : 'TSGLUON_DIST_TIMEOUT';
    throw new ValueError(`dist.init: ${where} must be a number of seconds >= 0 (0 waits forever), got ${fmtValue(given ?? fromEnv)}`);
  }
  return t;
}

function endWithTheJob(addon: MpiAddon, comm: Communicator): void {
  const { hostname } = nodeModule<typeof import('node:os')>('node:os', 'dist.init');
  // The monitor runs before Node's own report, which would come after the exit handlers (and so
  // never, once a failed rank ends at once): print the error here, then end the process.
  process.on('uncaughtExceptionMonitor', (err: unknown) => {
    if (process.listenerCount('uncaughtException') > 0) return;
    const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    process.stderr.write(
      `tsgluon dist: rank ${comm.rank} of ${comm.size} (host ${hostname()}, pid ${process.pid}) failed:\n${text}\n` +
        `tsgluon dist: ending rank ${comm.rank}; mpirun stops the other ranks\n`,
    );
    addon.abort(1);
  });
  process.on('exit', (code) => {
    if (code !== 0) addon.abort(code);
    addon.finalize();
  });
}
