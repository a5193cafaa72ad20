// Builds tsgluon's optional MPI addon (build/Release/tsgluon_mpi.node, the tsgluon_mpi target of
// binding.gyp) for distributed training (src/dist/). It runs after the main addon during
// `npm install`, or alone (`node scripts/build-mpi.mjs`, e.g. after installing Open MPI). Like
// build-native.mjs it never fails the install and never downloads: without mpi.h it prints one line
// saying how to get it. The addon links the system's MPI library, so it is always compiled on the
// machine that runs it, never prebuilt. Output goes to build/mpi-build.log; TSGLUON_SKIP_MPI=1
// skips it.
//
// binding.gyp also calls it: `--cflags` and `--libs` print the compiler and linker flags of the MPI
// found (from the `mpicc` wrapper, or pkg-config), nothing when there is none.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeDir, findNodeGyp } from './node-gyp-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`tsgluon: ${msg}`);
const HOW = 'install Open MPI (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin), then run npm rebuild tsgluon';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Compiler and linker flags of the system MPI, or null when no mpi.h can be found. */
function mpiFlags() {
  const mpicc = process.env.MPICC || 'mpicc';
  let cflags = run(mpicc, ['--showme:compile']);
  let libs = run(mpicc, ['--showme:link']);
  if (cflags === null || libs === null) {
    cflags = run('pkg-config', ['--cflags', 'ompi']);
    libs = run('pkg-config', ['--libs', 'ompi']);
  }
  if (cflags === null || libs === null) return null;
  const words = (s) => s.split(/\s+/).filter(Boolean);
  const includes = words(cflags).filter((w) => w.startsWith('-I')).map((w) => w.slice(2));
  if (![...includes, '/usr/include', '/usr/local/include'].some((d) => existsSync(join(d, 'mpi.h')))) return null;
  // The library folder goes into the addon's run path too, so it loads without LD_LIBRARY_PATH.
  const rpaths = words(libs).filter((w) => w.startsWith('-L')).map((w) => `-Wl,-rpath,${w.slice(2)}`);
  return { cflags: words(cflags), libs: [...words(libs), ...rpaths] };
}

function build() {
  if (process.env.TSGLUON_SKIP_MPI === '1') return say('MPI addon skipped (TSGLUON_SKIP_MPI=1)');
  if (mpiFlags() === null) return say(`mpi.h not found, so the MPI addon for distributed training (dist) is not built; everything else works. To train over several processes, ${HOW}`);
  const gyp = findNodeGyp(root);
  const nodedir = findNodeDir();
  if (!gyp || !nodedir) return say('node-gyp or local Node headers not found; the MPI addon for distributed training (dist) is not built');
  const started = Date.now();
  const env = { ...process.env, npm_config_nodedir: nodedir };
  const steps = [
    ['configure', `--nodedir=${nodedir}`, '--', '-Dtsgluon_mpi=1'],
    ['build', 'tsgluon_mpi', `--nodedir=${nodedir}`, '--jobs=max'],
  ];
  let log = '';
  for (const args of steps) {
    const r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, encoding: 'utf8', env });
    log += `$ node-gyp ${args.join(' ')}\n${r.stdout ?? ''}\n${r.stderr ?? ''}\n`;
    if (r.status !== 0) break;
  }
  mkdirSync(join(root, 'build'), { recursive: true });
  const logFile = join(root, 'build', 'mpi-build.log');
  writeFileSync(logFile, log);
  if (!existsSync(join(root, 'build', 'Release', 'tsgluon_mpi.node'))) return say(`MPI addon build failed (see ${logFile}); distributed training (dist) is unavailable`);
  say(`MPI addon built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const mode = process.argv[2];
if (mode === '--cflags' || mode === '--libs') {
  const flags = mpiFlags();
  if (flags !== null) console.log((mode === '--cflags' ? flags.cflags : flags.libs).join(' '));
} else {
  try {
    build();
  } catch (e) {
    say(`MPI addon not built (${e instanceof Error ? e.message : String(e)})`);
  }
  process.exit(0);
}
