/**
 * The dist API in one process, without mpirun: what a machine without MPI is told, and the
 * checks made before anything reaches MPI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dist, gluon, nn, ValueError } from '../../src/index.js';
import { loadMpiAddon, missingMpiMessage } from '../../src/dist/addon.js';
import { ROOT, requireMpi, tempDir } from './mpi.js';

test('without the MPI addon, loading reports why and dist.init says what to install and how to launch', () => {
  const missing = loadMpiAddon(tempDir());
  assert.deepEqual(missing, { addon: null, error: 'tsgluon_mpi.node is not built (mpi.h was not found when tsgluon was installed)' });
  const root = tempDir();
  mkdirSync(join(root, 'build', 'Release'), { recursive: true });
  writeFileSync(join(root, 'build', 'Release', 'tsgluon_mpi.node'), 'not a shared library');
  const bad = loadMpiAddon(root);
  assert.equal(bad.addon, null);
  assert.match(bad.error!, /tsgluon_mpi\.node failed to load: .*(invalid ELF header|file too short)/);
  assert.equal(
    missingMpiMessage(missing.error!),
    "dist.init: distributed training needs Open MPI and tsgluon's MPI addon, which is unavailable: tsgluon_mpi.node is not built " +
      '(mpi.h was not found when tsgluon was installed). Install Open MPI (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin; ' +
      'Fedora: dnf install openmpi-devel), then build the addon with npm rebuild tsgluon (or node node_modules/tsgluon/scripts/build-mpi.mjs), ' +
      'and launch the script with mpirun -np N node script.js',
  );
});

test('importing tsgluon starts no MPI; bad options are refused before MPI starts', () => {
  assert.equal(dist.isInitialized(), false);
  assert.throws(() => dist.init({ timeout: -1 }), { name: 'ValueError', message: /dist\.init: options\.timeout must be a number of seconds >= 0 \(0 waits forever\), got -1/ });
  const net = new nn.Dense(2, { inUnits: 2 });
  net.initialize();
  const bogus = { kvstore: 'dist_async' } as unknown as gluon.TrainerOptions;
  assert.throws(() => new gluon.Trainer(net.collectParams(), 'sgd', {}, bogus), {
    name: 'ValueError',
    message: `Trainer: kvstore must be 'device', 'local', 'dist_sync' or a dist.Communicator, got "dist_async"`,
  });
  assert.throws(() => new gluon.Trainer(net.collectParams(), 'sgd', {}, { bucketBytes: 1024 }), ValueError);
  assert.equal(new gluon.Trainer(net.collectParams(), 'sgd', {}, { kvstore: 'device' }).kvstore, 'device');
  assert.equal(dist.isInitialized(), false);
});

test('launchedByMpi reads the launcher\'s environment', () => {
  const keys = ['OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'PMIX_RANK'] as const;
  const saved = keys.map((k) => process.env[k]);
  try {
    for (const k of keys) delete process.env[k];
    assert.equal(dist.launchedByMpi(), false);
    process.env['OMPI_COMM_WORLD_SIZE'] = '2';
    assert.equal(dist.launchedByMpi(), true);
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  }
});

/**
 * A child that lowers its own thread limit (RLIMIT_NPROC) to the threads it runs, then starts MPI:
 * the communication thread is refused. The limit does not bind root, so as root the child runs as
 * `nobody`, loading a copy of the addon from a folder anyone can read.
 */
const THREAD_REFUSED_CHILD = `
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const addon = require(process.argv[2]);
let mine = 0;
for (const pid of require('node:fs').readdirSync('/proc').filter((d) => /^\\d+$/.test(d))) {
  try {
    const s = readFileSync('/proc/' + pid + '/status', 'utf8');
    if (Number(/^Uid:\\s+(\\d+)/m.exec(s)[1]) === process.getuid()) mine += Number(/^Threads:\\s+(\\d+)/m.exec(s)[1]);
  } catch {}
}
execFileSync('prlimit', ['--pid', String(process.pid), '--nproc=' + mine + ':' + mine]);
try {
  addon.init(0);
  console.log('started');
} catch (e) {
  console.log(e.message);
}
`;

test('the OS refusing the MPI communication thread is a reason init reports, not an abort of the process', () => {
  requireMpi();
  const dir = tempDir();
  chmodSync(dir, 0o755);
  copyFileSync(join(ROOT, 'build', 'Release', 'tsgluon_mpi.node'), join(dir, 'tsgluon_mpi.node'));
  writeFileSync(join(dir, 'child.cjs'), THREAD_REFUSED_CHILD);
  chmodSync(join(dir, 'tsgluon_mpi.node'), 0o755);
  chmodSync(join(dir, 'child.cjs'), 0o644);
  const root = process.getuid?.() === 0;
  const cmd = [...(root ? ['runuser', '-u', 'nobody', '--'] : []), process.execPath, join(dir, 'child.cjs'), join(dir, 'tsgluon_mpi.node')];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir } });
  assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'tsgluon MPI addon: init: could not start the communication thread (Resource temporarily unavailable)');
});
