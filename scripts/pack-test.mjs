// The package as a user gets it: `npm pack` (which runs scripts/prepack.mjs), then, in a fresh
// temporary project, `npm install <tarball>` twice, once with --ignore-scripts and once without.
// In each project it checks that
//   - the kernels were not compiled (on linux-x64 the prebuilt binary serves) and the native
//     backend loads; where Open MPI is installed, the scripted install compiled the MPI addon;
//   - `import 'tsgluon'` (ESM) and `require('tsgluon')` (CommonJS) work and give the same module;
//   - a small app type-checks under strict, exactOptionalPropertyTypes and skipLibCheck: false
//     (ESM and CommonJS), with the repository's TypeScript and @types/node;
//   - `npx tsgluon demo --quick` trains and writes its parameters (charts are skipped: vega is an
//     optional dependency the project did not install);
//   - without a prebuilt binary for the platform (simulated by deleting it), tsgluon runs on the
//     reference backend with a one-line notice, and `npm rebuild tsgluon` compiles from source.
// It prints the tarball size and, per install, the time, package count and installed size.
// Run it from a checkout after `npm ci`: `node scripts/pack-test.mjs [--keep]` (CI runs it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'tsgluon-pack-'));
const prebuiltHere = process.platform === 'linux' && process.arch === 'x64';
const mpiHere = spawnSync('mpicc', ['--showme:compile'], { stdio: 'ignore' }).status === 0;
const failures = [];

function sh(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n${detail.trim().split('\n').slice(-25).join('\n')}`}`);
  if (!ok) failures.push(what);
}

function duBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Installed packages: every folder under node_modules (scoped ones included) with a package.json. */
function countPackages(nm) {
  let n = 0;
  for (const e of readdirSync(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const p = join(nm, e.name);
    if (e.name.startsWith('@')) n += countPackages(p);
    else if (existsSync(join(p, 'package.json'))) n += 1 + (existsSync(join(p, 'node_modules')) ? countPackages(join(p, 'node_modules')) : 0);
  }
  return n;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

// 1. Pack.
const pack = sh('npm', ['pack', '--json', '--pack-destination', work], repo);
if (pack.status !== 0) {
  console.error(pack.out);
  throw new Error('npm pack failed');
}
const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')))[0];
const tarball = join(work, packed.filename);
const shipped = packed.files.map((f) => f.path);
console.log(`tarball ${packed.filename}: ${mb(packed.size)} (unpacked ${mb(packed.unpackedSize)}, ${shipped.length} files)`);
check('the tarball holds dist/, the CommonJS entry, declarations, LICENSE and the digits with their notice', [
  'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'LICENSE', 'data/digits/LICENSE', 'data/digits/digits-images-idx3-ubyte.gz',
].every((f) => shipped.includes(f)));
if (prebuiltHere) check('the tarball holds the linux-x64 prebuilt binary', shipped.includes('prebuilds/linux-x64/tsgluon.napi.glibc.node'));
check('no TypeScript sources or tests ship', !shipped.some((f) => f.startsWith('src/') || f.startsWith('tests/')));

// 2. Install twice into fresh projects.
const app = `import { autograd, backend, gluon, nd, nn, plot, type DType } from 'tsgluon';

const net = new nn.Sequential().add(new nn.Dense(8, { activation: 'relu' }), new nn.Dense(3));
net.initialize({ inputShape: [2, 4] });
const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
const x: nd.NDArray = nd.random.uniform({ shape: [2, 4] });
const l = autograd.record(() => loss.forward(net.forward(x), nd.array([0, 2], { dtype: 'int32' })));
l.backward();
trainer.step(2);
const dtype: DType = net.get<nn.Dense>(0).weight.dtype;
const spec: plot.VegaLiteSpec = plot.trainingCurvesSpec({ trainLoss: [1, 0.5] });
console.log(backend.getBackend().name, dtype, Object.keys(spec).length > 0);
`;
const cjsApp = `import tsgluon = require('tsgluon');
const y: tsgluon.nd.NDArray = tsgluon.nd.ones([2]).mul(3);
console.log(y.sum().item());
`;
const tsconfig = {
  compilerOptions: {
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    types: ['node'],
    typeRoots: [join(repo, 'node_modules', '@types')],
  },
  files: ['app.ts', 'app-cjs.cts'],
};
const esm = `import { backend, nd } from 'tsgluon';
import { createRequire } from 'node:module';
const required = createRequire(import.meta.url)('tsgluon');
console.log(JSON.stringify({ backend: backend.getBackend().name, sum: nd.arange(4).sum().item(), same: required.nd === nd }));
`;
const cjs = `const tsgluon = require('tsgluon');
console.log(JSON.stringify({ backend: tsgluon.backend.getBackend().name, sum: tsgluon.nd.arange(4).sum().item() }));
`;

const figures = [];
for (const ignoreScripts of [true, false]) {
  const label = ignoreScripts ? 'npm install --ignore-scripts' : 'npm install';
  const dir = join(work, ignoreScripts ? 'app-ignore-scripts' : 'app-scripts');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tsgluon-user', version: '1.0.0', private: true }, null, 2));
  const t0 = performance.now();
  const inst = sh('npm', ['install', tarball, '--no-audit', '--no-fund', ...(ignoreScripts ? ['--ignore-scripts'] : [])], dir);
  const seconds = (performance.now() - t0) / 1000;
  check(`${label}: installs`, inst.status === 0, inst.out);
  if (inst.status !== 0) continue;
  const nm = join(dir, 'node_modules');
  figures.push({ label, seconds, packages: countPackages(nm), bytes: duBytes(nm) });
  const built = (name) => existsSync(join(nm, 'tsgluon', 'build', 'Release', `${name}.node`));
  if (prebuiltHere) check(`${label}: the kernels were not compiled (no node_modules/tsgluon/build/Release/tsgluon.node)`, !built('tsgluon'));
  // The MPI addon links the system's MPI, so it is never prebuilt: the install script compiles it
  // where Open MPI is installed (CI installs it for the distributed tests).
  if (mpiHere) check(`${label}: ${ignoreScripts ? 'no MPI addon without install scripts' : 'the MPI addon was compiled (Open MPI is here)'}`, built('tsgluon_mpi') !== ignoreScripts);
  check(`${label}: vega and vega-lite were not installed (optional)`, !existsSync(join(nm, 'vega')) && !existsSync(join(nm, 'vega-lite')));

  writeFileSync(join(dir, 'esm.mjs'), esm);
  writeFileSync(join(dir, 'cjs.cjs'), cjs);
  for (const [file, kind] of [['esm.mjs', 'ESM import'], ['cjs.cjs', 'CommonJS require']]) {
    const r = sh(process.execPath, [file], dir);
    let got = null;
    try {
      got = JSON.parse(r.stdout);
    } catch {
      // reported below with the output
    }
    check(`${label}: ${kind} works${kind === 'ESM import' ? ' and require gives the same module' : ''}`, r.status === 0 && got?.sum === 6 && got?.same !== false, r.out);
    check(`${label}: ${kind} runs the native backend, silently`, got?.backend === 'native' && !/native backend unavailable|Warning/.test(r.out), r.out);
  }

  writeFileSync(join(dir, 'app.ts'), app);
  writeFileSync(join(dir, 'app-cjs.cts'), cjsApp);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const tsc = sh(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], dir);
  check(`${label}: a strict app type-checks (exactOptionalPropertyTypes, skipLibCheck: false; import and require)`, tsc.status === 0, tsc.out);

  const demo = sh('npx', ['--no-install', 'tsgluon', 'demo', '--quick'], dir);
  check(
    `${label}: npx tsgluon demo --quick trains and writes out/demo-mlp.safetensors`,
    demo.status === 0 && /test accuracy: \d/.test(demo.out) && existsSync(join(dir, 'out', 'demo-mlp.safetensors')),
    demo.out,
  );
  check(`${label}: the demo says the chart needs vega and vega-lite`, /curves: not drawn .*npm install vega vega-lite/.test(demo.out), demo.out);

  if (!ignoreScripts) {
    // Elsewhere (a platform without a prebuilt binary), simulated by removing it: the reference
    // backend with one notice, then `npm rebuild` compiles from source with the compiler here.
    rmSync(join(nm, 'tsgluon', 'prebuilds'), { recursive: true, force: true });
    const ref = sh(process.execPath, ['esm.mjs'], dir);
    const notice = ref.out.split('\n').filter((l) => l.startsWith('tsgluon:'));
    check(
      'without a prebuilt binary: the reference backend, and one line saying why and how to get the native one',
      ref.status === 0 && JSON.parse(ref.stdout || '{}').backend === 'ref' && notice.length === 1 &&
        /^tsgluon: native backend unavailable, using the reference backend: no tsgluon binary .*npm rebuild tsgluon/.test(notice[0]),
      ref.out,
    );
    const rebuild = sh('npm', ['rebuild', 'tsgluon', '--foreground-scripts'], dir);
    const native = sh(process.execPath, ['esm.mjs'], dir);
    check(
      'without a prebuilt binary: npm rebuild compiles from source, saying so, and the native backend loads',
      rebuild.status === 0 && /compiling the native backend from source/.test(rebuild.out) && JSON.parse(native.stdout || '{}').backend === 'native',
      `${rebuild.out}\n${native.out}`,
    );
  }
}

console.log('\n| install | time | packages | installed size |\n|---|---|---|---|');
for (const f of figures) console.log(`| ${f.label} | ${f.seconds.toFixed(1)} s | ${f.packages} | ${mb(f.bytes)} |`);
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
if (failures.length > 0) {
  console.error(`\n${failures.length} check(s) failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('\nthe packed tarball works as a dependency');
