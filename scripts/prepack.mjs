// `npm pack` / `npm publish` run this first (package.json "prepack"): it builds everything the
// tarball needs and checks that every file the package.json names exists.
//   1. dist/ from scratch (a deleted source file must not leave a stale module behind): JavaScript
//      and declarations, ESM plus the CommonJS entry dist/index.cjs;
//   2. the prebuilt native binaries for this platform, prebuilds/<platform>-<arch>/ (see
//      scripts/build-native.mjs; "postpack" removes them again, so a development checkout keeps
//      loading its own build/Release);
//   3. the package.json's exports targets, main, types and bin all exist.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`tsgluon prepack: \`node ${args.join(' ')}\` failed`);
    process.exit(1);
  }
}

/** Every string leaf of an exports map (its targets). */
function targets(exp) {
  if (typeof exp === 'string') return [exp];
  return Object.values(exp ?? {}).flatMap(targets);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
run([createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
run([join(root, 'scripts', 'build-native.mjs'), '--prebuild']);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const named = [...targets(pkg.exports), pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
const missing = named.filter((p) => !existsSync(join(root, p)));
if (missing.length > 0) {
  console.error(`tsgluon prepack: package.json names files that were not built: ${missing.join(', ')}`);
  process.exit(1);
}
