// Where node-gyp and local Node headers are, for the scripts that build native addons without
// downloading anything (build-native.mjs, build-mpi.mjs).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** node-gyp's entry script: the package's own dependency, else the one npm runs install scripts with. */
export function findNodeGyp(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const npmGyp = process.env.npm_config_node_gyp;
    return npmGyp && existsSync(npmGyp) ? npmGyp : null;
  }
}

/** A folder with include/node/node_api.h that node-gyp can use instead of downloading headers. */
export function findNodeDir() {
  const configured = process.env.npm_config_nodedir;
  const version = process.versions.node;
  const candidates = [
    configured,
    resolve(dirname(process.execPath), '..'),
    join(homedir(), '.cache', 'node-gyp', version),
    process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, 'node-gyp', version) : undefined,
  ];
  return candidates.find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h'))) ?? null;
}
