/**
 * Backend selection: native is the default when its addon loads, `TSGLUON_BACKEND` chooses at
 * start-up (an unknown name is reported once and ignored), `setBackend` and `withBackend` switch
 * at run time, and ops give the same answer on both. Start-up behaviour runs in child processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { backend, nd } from '../../src/index.js';
import { loadNativeBackend } from '../../src/backend/native/index.js';

const native = loadNativeBackend();
const skip = native.backend === null ? `native addon not built: ${native.error}` : false;

/** Starts a fresh process that imports tsgluon and prints the active backend's name. */
function startup(env: Record<string, string>): { name: string; stderr: string } {
  const code = "import('./src/index.ts').then(({ backend }) => console.log(backend.getBackend().name))";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return { name: r.stdout.trim(), stderr: r.stderr };
}

test('native is the default, TSGLUON_BACKEND picks ref, an unknown name is reported and ignored', { skip }, () => {
  assert.equal(startup({ TSGLUON_BACKEND: '' }).name, 'native');
  const ref = startup({ TSGLUON_BACKEND: 'ref' });
  assert.equal(ref.name, 'ref');
  assert.equal(ref.stderr, '');
  const bogus = startup({ TSGLUON_BACKEND: 'cuda' });
  assert.equal(bogus.name, 'native');
  assert.match(bogus.stderr, /TSGLUON_BACKEND=cuda is not available \(have: ref, native\)/);
  assert.equal(bogus.stderr.trim().split('\n').length, 1);
});

test('setBackend and withBackend switch kernels; both backends agree', { skip }, () => {
  const before = backend.getBackend().name;
  const a = nd.array([[1, 2, 3], [4, 5, 6]]);
  const b = nd.array([[1, 0], [0, 1], [1, 1]]);
  const viaRef = backend.withBackend('ref', () => {
    assert.equal(backend.getBackend().name, 'ref');
    return nd.dot(a, b).relu().sum(1);
  });
  assert.equal(backend.getBackend().name, before);
  backend.setBackend('native');
  try {
    assert.deepEqual(Array.from(nd.dot(a, b).relu().sum(1).storage), Array.from(viaRef.storage));
    assert.deepEqual(Array.from(viaRef.storage), [9, 21]);
  } finally {
    backend.setBackend(before);
  }
  assert.throws(() => backend.setBackend('cuda'), /no backend named 'cuda'/);
});
