// Builds the native addon (binding.gyp -> build/Release/tsgluon.node) during `npm install`/`npm ci`.
// It never fails the install and never downloads: without a C++ compiler, node-gyp or local Node
// headers it prints one line and exits 0, and tsgluon runs on its reference backend.
// The compiler output goes to build/native-build.log. Set TSGLUON_SKIP_NATIVE=1 to skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeDir, findNodeGyp } from './node-gyp-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`tsgluon: ${msg}`);

function main() {
  if (process.env.TSGLUON_SKIP_NATIVE === '1') return say('native addon skipped (TSGLUON_SKIP_NATIVE=1); using the reference backend');
  const cxx = process.env.CXX || 'g++';
  if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) {
    return say(`no C++ compiler (${cxx}) found; native addon not built, using the reference backend`);
  }
  const gyp = findNodeGyp(root);
  if (!gyp) return say('node-gyp not found; native addon not built, using the reference backend');
  const nodedir = findNodeDir();
  if (!nodedir) return say('no local Node headers (include/node/node_api.h); native addon not built, using the reference backend');
  const started = Date.now();
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  mkdirSync(join(root, 'build'), { recursive: true });
  const log = join(root, 'build', 'native-build.log');
  writeFileSync(log, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  const built = join(root, 'build', 'Release', 'tsgluon.node');
  if (r.status !== 0 || !existsSync(built)) {
    return say(`native addon build failed (see ${log}); using the reference backend`);
  }
  say(`native addon built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

try {
  main();
} catch (e) {
  say(`native addon not built (${e instanceof Error ? e.message : String(e)}); using the reference backend`);
}
process.exit(0);
