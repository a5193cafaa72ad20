/**
 * The one-way import rule of docs/ARCHITECTURE.md, checked on every file under src/:
 * core -> backend -> ndarray -> ops and autograd -> graph -> init, optim, io, dist -> gluon -> plot, cli, and the
 * root files (index.ts, nd.ts) that only re-export. A file may import from its own layer or an
 * earlier one; core imports nothing but core. Import statements are read with TypeScript's own
 * pre-processor, so comments, strings and `export ... from` are handled as the compiler does, and
 * dynamic `import()` counts too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** Rank of each top-level folder of src/; a file may import ranks up to its own. */
const LAYERS: Readonly<Record<string, number>> = {
  core: 0,
  backend: 1,
  ndarray: 2,
  ops: 3,
  autograd: 3,
  graph: 3.5,
  init: 4,
  optim: 4,
  io: 4,
  dist: 4,
  gluon: 5,
  plot: 6,
  cli: 7,
  '(root)': 8,
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The top-level folder of src/ a path lies in, or '(root)' for src/index.ts and src/nd.ts. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '(root)' : parts[0]!;
}

interface Violation {
  file: string;
  specifier: string;
  why: string;
}

/** Every import of `file` that breaks the rule. */
export function violationsOf(file: string, text: string): Violation[] {
  const from = layerOf(file);
  const rank = LAYERS[from];
  const rel = relative(SRC, file);
  if (rank === undefined) return [{ file: rel, specifier: '', why: `folder src/${from} has no layer; add it to LAYERS` }];
  const out: Violation[] = [];
  for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
    if (!specifier.startsWith('.')) {
      if (from === 'core') out.push({ file: rel, specifier, why: 'core imports nothing outside src/core' });
      else if (specifier === 'tsgluon' || specifier.startsWith('tsgluon/')) out.push({ file: rel, specifier, why: 'src/ imports itself relatively, never through the package name' });
      continue;
    }
    const target = resolve(dirname(file), specifier);
    if (!target.startsWith(SRC + sep)) {
      out.push({ file: rel, specifier, why: 'imports a file outside src/' });
      continue;
    }
    const to = layerOf(target);
    const toRank = LAYERS[to];
    if (toRank === undefined || toRank > rank) out.push({ file: rel, specifier, why: `layer ${from} (${rank}) imports the later layer ${to} (${toRank ?? '?'})` });
  }
  return out;
}

test('every file under src/ imports only from its own layer or an earlier one', () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 50, `expected the whole source tree, found ${files.length} files`);
  const bad = files.flatMap((f) => violationsOf(f, readFileSync(f, 'utf8')));
  assert.deepEqual(bad, [], bad.map((v) => `${v.file}: '${v.specifier}': ${v.why}`).join('\n'));
});

test('the checker itself flags a later-layer import, a core import of a package, and a self import', () => {
  const at = (p: string) => join(SRC, ...p.split('/'));
  assert.deepEqual(violationsOf(at('ops/x.ts'), "import { Block } from '../gluon/block.js';").map((v) => v.why), ['layer ops (3) imports the later layer gluon (5)']);
  assert.equal(violationsOf(at('core/x.ts'), "import { inspect } from 'node:util';").length, 1);
  assert.equal(violationsOf(at('core/x.ts'), "export * from '../ndarray/ndarray.js';").length, 1);
  assert.equal(violationsOf(at('init/x.ts'), "const m = await import('../gluon/index.js');").length, 1);
  assert.equal(violationsOf(at('backend/x.ts'), "import { nd } from 'tsgluon';").length, 1);
  // Comments and earlier layers are fine.
  assert.deepEqual(violationsOf(at('gluon/x.ts'), "// import '../cli/main.js'\nimport { nd } from '../nd.js';\nimport '../ops/unary.js';"), [
    { file: 'gluon/x.ts', specifier: '../nd.js', why: 'layer gluon (5) imports the later layer (root) (8)' },
  ]);
  assert.deepEqual(violationsOf(at('autograd/x.ts'), "import { apply } from '../ops/define.js';"), []);
});
