/**
 * Finding a compiled addon by name (src/backend/native/locate.ts, loader.ts): a local build first,
 * then the prebuilt binaries of the node-gyp-build / prebuildify convention,
 * prebuilds/<platform>-<arch>/<name>.<tags>.node, keeping only Node-API builds for this C library,
 * and the next candidate when one does not load.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addonCandidates, matchingPrebuilds, prebuildDir } from '../../src/backend/native/locate.js';
import { loadNativeBackend } from '../../src/backend/native/index.js';

const platform = `${process.platform}-${process.arch}`;
const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** A package root holding the given files (contents irrelevant unless given). */
function fakeRoot(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'tsgluon-locate-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

test('prebuilt binaries: by name, Node-API only, this platform and C library, libc-tagged first', () => {
  const root = fakeRoot({
    [`prebuilds/${platform}/tsgluon.napi.node`]: '',
    [`prebuilds/${platform}/tsgluon.napi.glibc.node`]: '',
    [`prebuilds/${platform}/tsgluon.napi.musl.node`]: '',
    [`prebuilds/${platform}/tsgluon.abi115.node`]: '',            // not Node-API: tied to one Node version
    [`prebuilds/${platform}/tsgluon_mpi.napi.glibc.node`]: '',     // another addon of the package
    [`prebuilds/${platform}/tsgluon.napi.glibc.node.txt`]: '',
    'prebuilds/other-arch/tsgluon.napi.node': '',
  });
  assert.equal(prebuildDir(root), join(root, 'prebuilds', platform));
  const dir = join(root, 'prebuilds', platform);
  const libc = process.platform !== 'linux' ? [] : [join(dir, glibc ? 'tsgluon.napi.glibc.node' : 'tsgluon.napi.musl.node')];
  assert.deepEqual(matchingPrebuilds('tsgluon', root), [...libc, join(dir, 'tsgluon.napi.node')]);
  assert.deepEqual(matchingPrebuilds('tsgluon_mpi', root), process.platform === 'linux' && glibc ? [join(dir, 'tsgluon_mpi.napi.glibc.node')] : []);
  assert.deepEqual(matchingPrebuilds('absent', root), []);
  assert.deepEqual(matchingPrebuilds('tsgluon', fakeRoot({})), [], 'no prebuilds folder at all');
});

test('a local build comes before the prebuilt binaries (Release, then Debug)', () => {
  const root = fakeRoot({
    'build/Debug/tsgluon.node': '',
    'build/Release/tsgluon.node': '',
    [`prebuilds/${platform}/tsgluon.napi.node`]: '',
  });
  assert.deepEqual(addonCandidates('tsgluon', root), [
    join(root, 'build', 'Release', 'tsgluon.node'),
    join(root, 'build', 'Debug', 'tsgluon.node'),
    join(root, 'prebuilds', platform, 'tsgluon.napi.node'),
  ]);
});

const native = loadNativeBackend();
const skip = native.backend === null ? `native addon not built: ${native.error}` : false;

test('loading: a candidate that does not load gives way to the next; nothing found says how to get it', { skip }, () => {
  const real = join(import.meta.dirname, '..', '..', 'build', 'Release', 'tsgluon.node');
  const root = fakeRoot({ 'build/Release/tsgluon.node': 'not a shared object' });
  mkdirSync(join(root, 'prebuilds', platform), { recursive: true });
  copyFileSync(real, join(root, 'prebuilds', platform, 'tsgluon.napi.node'));
  // In a child process: this one already holds the addon.
  const code = `
    import { loadAddon } from './src/backend/native/loader.ts';
    const ok = loadAddon('tsgluon', ${JSON.stringify(root)});
    const none = loadAddon('tsgluon', ${JSON.stringify(fakeRoot({}))});
    console.log(JSON.stringify({ isa: ok.addon?.isa(), none: none.error }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { isa: string; none: string };
  assert.match(out.isa, /^(avx512|avx2|generic)$/);
  assert.match(out.none, new RegExp(`^no tsgluon binary for ${platform}: none is prebuilt .*; npm rebuild tsgluon with a C\\+\\+ compiler installed builds one$`));
});
