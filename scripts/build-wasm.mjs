// Builds the WebAssembly backend from the native kernels' C++ (native/src, with native/wasm's
// stand-in for node-addon-api and its runtime) into wasm/ (objects in build/wasm-obj/):
//
//   tsgluon-simd128.wasm           SIMD128, one thread, a plain memory
//   tsgluon-simd128-threads.wasm   SIMD128, a shared memory and a worker pool
//   tsgluon-relaxed.wasm           relaxed SIMD (fused multiply-add), one thread
//   tsgluon-relaxed-threads.wasm   relaxed SIMD, threads
//
// src/backend/wasm picks one at load time from what the engine validates and whether shared
// memory is available. Needs clang and wasm-ld 16 or newer (relaxed SIMD's final opcodes; clang
// 14 emits the prototype's) and wasi-libc: on Debian `apt-get install clang-19 lld-19 wasi-libc
// libc++-19-dev-wasm32 libclang-rt-19-dev-wasm32`. TSGLUON_WASM_CC / TSGLUON_WASM_LD override the
// tools. Exits non-zero on failure: the .wasm is a build product CI and `npm pack` require.
// When every .wasm is newer than every source (native/src, native/wasm, this script) it says so
// and does nothing, without looking for the tools; --force rebuilds anyway.
// For measuring other builds: TSGLUON_WASM_CFLAGS adds compiler flags (say -DTSG_WASM_SPINS=4096;
// everything is then rebuilt) and --out DIR (in the repository) writes the .wasm files and their
// objects there instead, for bench:browser's --wasm-base.
// Usage: node scripts/build-wasm.mjs [--jobs N] [--force] [--out DIR]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'wasm');
const objDir = outArg > 0 ? join(out, 'obj') : join(root, 'build', 'wasm-obj');
const VARIANTS = [
  { name: 'simd128', threads: false, relaxed: false },
  { name: 'simd128-threads', threads: true, relaxed: false },
  { name: 'relaxed', threads: false, relaxed: true },
  { name: 'relaxed-threads', threads: true, relaxed: true },
];
const targets = VARIANTS.map((v) => join(out, `tsgluon-${v.name}.wasm`));
const sources = [
  ...['native/src', 'native/wasm'].flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f))),
  fileURLToPath(import.meta.url),
];
const newestSource = Math.max(...sources.map((p) => statSync(p).mtimeMs));
const extraFlags = (process.env.TSGLUON_WASM_CFLAGS ?? '').split(' ').filter(Boolean);
const force = process.argv.includes('--force') || extraFlags.length > 0;
if (!force && targets.every((t) => existsSync(t) && statSync(t).mtimeMs > newestSource)) {
  console.log(`build-wasm: ${out} is up to date`);
  process.exit(0);
}

/** The first of the candidates that runs, or null. */
function tool(envName, candidates) {
  const fromEnv = process.env[envName];
  for (const c of fromEnv ? [fromEnv] : candidates) {
    if (spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0) return c;
  }
  return null;
}

const cc = tool('TSGLUON_WASM_CC', ['clang-19', 'clang-18', 'clang-17', 'clang-16', 'clang']);
const ld = tool('TSGLUON_WASM_LD', ['wasm-ld-19', 'wasm-ld-18', 'wasm-ld-17', 'wasm-ld-16', 'wasm-ld']);
if (cc === null || ld === null) {
  console.error('build-wasm: clang and wasm-ld (16 or newer) are needed; on Debian: apt-get install clang-19 lld-19 wasi-libc libc++-19-dev-wasm32 libclang-rt-19-dev-wasm32');
  process.exit(1);
}
const version = Number(/version (\d+)/.exec(spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 0);
if (version < 16) {
  console.error(`build-wasm: ${cc} is clang ${version}; relaxed SIMD needs clang 16 or newer (set TSGLUON_WASM_CC)`);
  process.exit(1);
}

/** The folder holding a wasm32-wasi library, from clang's own search (libc++ lives beside clang). */
function libPath(name) {
  const p = spawnSync(cc, ['--target=wasm32-wasi', `-print-file-name=${name}`], { encoding: 'utf8' }).stdout.trim();
  if (p !== name && existsSync(p)) return p;
  const guesses = [`/usr/lib/llvm-${version}/lib/wasm32-wasi/${name}`, `/usr/lib/wasm32-wasi/${name}`];
  return guesses.find((g) => existsSync(g)) ?? null;
}
const libs = ['libc.a'].map((n) => [n, libPath(n)]);
const builtins = spawnSync(cc, ['--target=wasm32-wasi', '-print-libgcc-file-name'], { encoding: 'utf8' }).stdout.trim();
const missing = libs.filter(([, p]) => p === null).map(([n]) => n);
if (missing.length > 0 || !existsSync(builtins)) {
  console.error(`build-wasm: missing wasm32-wasi libraries: ${[...missing, existsSync(builtins) ? '' : builtins].filter(Boolean).join(', ')} (apt-get install wasi-libc libc++-${version}-dev-wasm32 libclang-rt-${version}-dev-wasm32)`);
  process.exit(1);
}

const COMMON = [
  '--target=wasm32-wasi', '-O3', '-std=gnu++17', '-fno-exceptions', '-fno-rtti', '-ffp-contract=off',
  '-fno-math-errno', '-fno-trapping-math', '-msimd128', '-DNAPI_DISABLE_CPP_EXCEPTIONS', '-Wall',
  '-Wno-unused-function', `-I${join(root, 'native', 'wasm')}`, `-I${join(root, 'native', 'src')}`, ...extraFlags,
];
const THREADS = ['-matomics', '-mbulk-memory', '-DTSG_WASM_THREADS=1'];
const RELAXED = ['-mrelaxed-simd', '-DTSG_WASM_RELAXED=1'];
// Kernels that do not depend on relaxed SIMD are compiled once per memory flavour.
const SHARED_SOURCES = ['native/src/addon.cc', 'native/src/clip.cc', 'native/src/movement.cc', 'native/src/window.cc', 'native/wasm/napi-shim.cc', 'native/wasm/runtime.cc'];
const jobsArg = process.argv.indexOf('--jobs');
const jobs = jobsArg > 0 ? Number(process.argv[jobsArg + 1]) : Math.max(1, Math.min(4, availableParallelism()));

function run(cmd, args) {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

/** Runs the thunks with at most `jobs` at a time. */
async function pool(thunks) {
  let next = 0;
  const lane = async () => {
    while (next < thunks.length) await thunks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, thunks.length) }, lane));
}

const newest = (paths) => Math.max(...paths.map((p) => statSync(join(root, p)).mtimeMs));
const headerTime = newest(['native/src', 'native/wasm'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.h') || !f.includes('.')).map((f) => join(d, f))));

/** An object file, rebuilt when its source or any header is newer. */
function object(src, flavour, flags) {
  const obj = join(objDir, `${src.replace(/[/.]/g, '_')}.${flavour}.o`);
  const fresh = !force && existsSync(obj) && statSync(obj).mtimeMs > Math.max(headerTime, newest([src]));
  return { obj, build: fresh ? async () => {} : () => run(cc, [...COMMON, ...flags, '-c', join(root, src), '-o', obj]) };
}

async function main() {
  mkdirSync(objDir, { recursive: true });
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const compile = [];
  const links = [];
  for (const v of VARIANTS) {
    const memFlags = v.threads ? THREADS : [];
    const objs = SHARED_SOURCES.map((s) => object(s, v.threads ? 'mt' : 'st', memFlags));
    objs.push(object('native/wasm/isa-wasm.cc', v.name, [...memFlags, ...(v.relaxed ? RELAXED : [])]));
    for (const o of objs) if (!compile.some((c) => c.obj === o.obj)) compile.push(o);
    const target = join(out, `tsgluon-${v.name}.wasm`);
    const ldFlags = [
      '--no-entry', '--import-memory', '-z', 'stack-size=1048576', '--initial-memory=4194304', '--gc-sections', '--strip-debug',
      ...(v.threads ? ['--shared-memory', '--max-memory=4294967296', '--export=__stack_pointer', '--export=__tls_size', '--export=__tls_align', '--export=__wasm_init_tls'] : []),
    ];
    links.push(() => run(ld, [...ldFlags, ...objs.map((o) => o.obj), ...libs.map(([, p]) => p), builtins, '-o', target]));
  }
  await pool(compile.map((c) => c.build));
  await pool(links);
  console.log(`build-wasm: ${VARIANTS.map((v) => `tsgluon-${v.name}.wasm`).join(', ')} in ${out} (${((Date.now() - started) / 1000).toFixed(0)} s, ${cc})`);
}

main().catch((e) => {
  console.error(`build-wasm: ${e.message}`);
  process.exit(1);
});
