/**
 * Where a compiled addon of tsgluon can be, in the order it is tried, following the
 * node-gyp-build / prebuildify convention:
 *
 * 1. `build/Release/<name>.node` (then `build/Debug/`): compiled on this machine by
 *    scripts/build-native.mjs during install, or in a development checkout;
 * 2. `prebuilds/<platform>-<arch>/<name>.<tags>.node`: binaries that ship in the package. Tags are
 *    dot-separated: `napi` (Node-API, so one binary serves every Node version) is required, and
 *    `glibc` / `musl` restrict a Linux binary to that C library. The first dot-separated part is
 *    the addon's name, so one package can hold several addons (`tsgluon`, `tsgluon_mpi`); a tool
 *    that reads only tags, like node-gyp-build, ignores it.
 *
 * The package root is found from this file's location: src/backend/native/ and
 * dist/backend/native/ are both three levels below it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json, build/ and prebuilds/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The folder of prebuilt binaries for this platform, e.g. prebuilds/linux-x64. */
export function prebuildDir(root = PACKAGE_ROOT): string {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The C library this Node runs on, for Linux prebuilds tagged glibc or musl; null elsewhere. */
function currentLibc(): 'glibc' | 'musl' | null {
  if (process.platform !== 'linux') return null;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * The prebuilt binaries of addon `name` that fit this platform and C library, most specific first
 * (a libc-tagged binary before an untagged one). File names are `<name>.<tags>.node`.
 */
export function matchingPrebuilds(name: string, root = PACKAGE_ROOT): string[] {
  const dir = prebuildDir(root);
  if (!existsSync(dir)) return [];
  let libc: 'glibc' | 'musl' | null | undefined;
  const fits: { path: string; specificity: number }[] = [];
  for (const file of readdirSync(dir).sort()) {
    const parts = file.split('.');
    if (parts.length < 3 || parts.pop() !== 'node' || parts.shift() !== name || !parts.includes('napi')) continue;
    const tagged = parts.find((t) => t === 'glibc' || t === 'musl');
    if (tagged !== undefined) {
      libc ??= currentLibc();
      if (tagged !== libc) continue;
    }
    fits.push({ path: join(dir, file), specificity: tagged === undefined ? 1 : 2 });
  }
  return fits.sort((a, b) => b.specificity - a.specificity).map((f) => f.path);
}

/** Every existing file that may hold addon `name`, in the order to try them. */
export function addonCandidates(name: string, root = PACKAGE_ROOT): string[] {
  const built = ['Release', 'Debug'].map((config) => join(root, 'build', config, `${name}.node`)).filter((p) => existsSync(p));
  return [...built, ...matchingPrebuilds(name, root)];
}
