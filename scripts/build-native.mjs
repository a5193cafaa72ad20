// Builds the native addons from binding.gyp (build/Release/<name>.node). Two modes:
//
// `node scripts/build-native.mjs` (the package's install script) never fails the install and never
// downloads. In an installed package whose prebuilt binary (prebuilds/<platform>-<arch>/) loads
// here, it compiles nothing. Otherwise (a development checkout, another platform, a C library too
// old for the prebuilt binary, or `npm install --build-from-source`) it compiles, saying so first;
// without a C++ compiler, node-gyp or local Node headers it prints one line and exits 0, and
// tsgluon runs on its reference backend. Compiler output goes to build/native-build.log.
// TSGLUON_SKIP_NATIVE=1 skips everything.
//
// `node scripts/build-native.mjs --prebuild` (run by `npm pack` through scripts/prepack.mjs)
// compiles unless build/ already holds a build of the current sources, then copies every addon
// into prebuilds/<platform>-<arch>/<name>.napi[.glibc|.musl].node; any failure fails the pack.
//
// Optional addons: each entry of OPTIONAL names a target of binding.gyp that is built only when
// `available()` finds what it needs (for example a header). The build then passes
// `--<variable>=1`, which node-gyp hands to binding.gyp as a variable (declare it there with a
// default of 0 and put the target under a condition on it). If the build with optional targets
// fails, it is redone without them, so an optional addon never costs the kernels.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findNodeDir, findNodeGyp } from './node-gyp-env.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`tsgluon: ${msg}`);
const prebuild = process.argv.includes('--prebuild');

/** The addon every install wants: the kernels of the native backend. */
const CORE = 'tsgluon';
/** Optional addons: { name, variable, available(): boolean }. */
const OPTIONAL = [];

/** A hash of everything a build depends on, kept in build/native-build.json to reuse a fresh build. */
function sourceHash(optional) {
  const h = createHash('sha256');
  const src = join(root, 'native', 'src');
  // Every file under native/src, its subfolders (native/src/dist/, the MPI addon) included.
  const sources = readdirSync(src, { recursive: true }).map((f) => join(src, f)).filter((f) => statSync(f).isFile()).sort();
  const files = [join(root, 'binding.gyp'), ...sources];
  for (const f of files) h.update(relative(root, f)).update(readFileSync(f));
  const cxx = spawnSync(process.env.CXX || 'g++', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const napi = JSON.parse(readFileSync(createRequire(join(root, 'package.json')).resolve('node-addon-api/package.json'), 'utf8')).version;
  h.update(cxx).update(napi).update(process.platform).update(process.arch).update(optional.join(','));
  return h.digest('hex');
}

/** Runs node-gyp rebuild; returns the log text and whether it succeeded. */
function nodeGyp(gyp, nodedir, optional) {
  const flags = OPTIONAL.filter((t) => optional.includes(t.name)).map((t) => `--${t.variable}=1`);
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max', ...flags], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  const ok = r.status === 0 && existsSync(join(root, 'build', 'Release', `${CORE}.node`));
  return { ok, log: `$ node-gyp rebuild ${flags.join(' ')}\n${r.stdout ?? ''}\n${r.stderr ?? ''}\n` };
}

/** Compiles the addons; returns the names built, or a one-line reason it could not. */
function compile() {
  const cxx = process.env.CXX || 'g++';
  if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) return { error: `no C++ compiler (${cxx}) found` };
  const gyp = findNodeGyp(root);
  if (!gyp) return { error: 'node-gyp not found' };
  const nodedir = findNodeDir();
  if (!nodedir) return { error: 'no local Node headers (include/node/node_api.h)' };
  let optional = OPTIONAL.filter((t) => t.available()).map((t) => t.name);
  const stamp = join(root, 'build', 'native-build.json');
  const hash = sourceHash(optional);
  const built = (names) => names.every((n) => existsSync(join(root, 'build', 'Release', `${n}.node`)));
  if (prebuild && existsSync(stamp) && JSON.parse(readFileSync(stamp, 'utf8')).hash === hash && built([CORE, ...optional])) {
    say('reusing build/Release: it was built from the current sources');
    return { built: [CORE, ...optional] };
  }
  say(`compiling the native backend from source (about 30 s on two cores; log in build/native-build.log)`);
  const started = Date.now();
  let run = nodeGyp(gyp, nodedir, optional);
  let log = run.log;
  if (!run.ok && optional.length > 0) {
    say(`the optional addons (${optional.join(', ')}) did not build; building without them`);
    optional = [];
    run = nodeGyp(gyp, nodedir, optional);
    log += run.log;
  }
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(join(root, 'build', 'native-build.log'), log);
  if (!run.ok) return { error: 'the native addon build failed (see build/native-build.log)' };
  writeFileSync(stamp, JSON.stringify({ hash: sourceHash(optional) }));
  say(`native addon built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { built: [CORE, ...optional] };
}

/** In an installed package: whether a prebuilt binary of the kernels loads on this machine. */
async function prebuiltLoads() {
  if (process.env.npm_config_build_from_source === 'true') return false;
  const native = join(root, 'dist', 'backend', 'native');
  if (!existsSync(join(native, 'loader.js'))) return false;
  const { matchingPrebuilds } = await import(pathToFileURL(join(native, 'locate.js')).href);
  if (matchingPrebuilds(CORE).length === 0) return false;
  const { loadAddon } = await import(pathToFileURL(join(native, 'loader.js')).href);
  const { addon, error } = loadAddon(CORE);
  if (addon === null) say(`the prebuilt binary does not load here (${error.split('; ')[0]}); compiling instead`);
  return addon !== null;
}

/** Copies every built addon to prebuilds/<platform>-<arch>/<name>.napi[.<libc>].node. */
function copyPrebuilds(names) {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let libc = '';
  if (process.platform === 'linux') libc = process.report.getReport().header.glibcVersionRuntime ? '.glibc' : '.musl';
  for (const name of names) {
    const dest = join(dir, `${name}.napi${libc}.node`);
    copyFileSync(join(root, 'build', 'Release', `${name}.node`), dest);
    // Symbols are for debugging this build; the shipped copy does without them (about a fifth smaller).
    if (process.platform === 'linux') spawnSync('strip', ['--strip-unneeded', dest], { stdio: 'ignore' });
    say(`prebuilt ${relative(root, dest)}`);
  }
}

async function main() {
  if (prebuild) {
    const r = compile();
    if (r.error) throw new Error(`cannot build the prebuilt binaries: ${r.error}`);
    copyPrebuilds(r.built);
    return;
  }
  if (process.env.TSGLUON_SKIP_NATIVE === '1') return say('native addon skipped (TSGLUON_SKIP_NATIVE=1); using the reference backend');
  // A development checkout (src/ does not ship) always compiles its own sources.
  if (!existsSync(join(root, 'src')) && (await prebuiltLoads())) return;
  const r = compile();
  if (r.error) say(`${r.error}; native addon not built, using the reference backend`);
}

try {
  await main();
} catch (e) {
  if (prebuild) {
    console.error(`tsgluon: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  say(`native addon not built (${e instanceof Error ? e.message : String(e)}); using the reference backend`);
}
process.exit(0);
