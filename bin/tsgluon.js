#!/usr/bin/env node
// The `tsgluon` command. In a development checkout (src/ and tsx present) it runs the TypeScript
// sources through tsx, so the command always matches the code; in an installed package it runs
// the compiled dist/cli/main.js.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');

function tsxLoader() {
  try {
    const pkgPath = createRequire(join(root, 'package.json')).resolve('tsx/package.json');
    const exp = JSON.parse(readFileSync(pkgPath, 'utf8')).exports['.'];
    const entry = typeof exp === 'string' ? exp : (exp.import?.default ?? exp.import ?? exp.default);
    return pathToFileURL(join(dirname(pkgPath), entry)).href;
  } catch {
    return null;
  }
}

const loader = existsSync(source) ? tsxLoader() : null;
if (loader !== null) {
  const run = spawnSync(process.execPath, ['--import', loader, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} else {
  const dist = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(dist)) {
    process.stderr.write('tsgluon: the command is not built: run `npm run build` in the tsgluon folder\n');
    process.exitCode = 1;
  } else {
    const { main } = await import(pathToFileURL(dist).href);
    process.exitCode = await main(process.argv.slice(2));
  }
}
