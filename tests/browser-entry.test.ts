/**
 * The browser entry (src/browser.ts, the package's `browser` condition): no module it reaches
 * imports a Node built-in or a Node-only package, statically or with a literal `import()` (type
 * imports are erased and do not count); it exports what the Node entry does, less `plot` and
 * `dist`; and the Node-only functions fail with a PlatformError that says what to do instead when
 * Node's modules are out of reach. The real proof is tests/browser/, which bundles the page with Vite and runs
 * it in Chromium.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import * as browser from '../src/browser.js';
import * as node from '../src/index.js';

const SRC = resolve(import.meta.dirname, '..', 'src');
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
/** Packages a browser bundle may pull in (the rest are Node-only or not runtime dependencies). */
const BROWSER_PACKAGES = new Set(['protobufjs']);

/** The runtime imports of a file: static imports and exports with a module, and literal import() calls. */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isExportDeclaration(n) && !n.isTypeOnly && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Every file reachable from `entry`, with the bare specifiers each imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const bare: string[] = [];
    seen.set(file, bare);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.push(spec);
    }
  }
  return seen;
}

test('no module reachable from the browser entry imports a Node built-in or a Node-only package', () => {
  const files = graph(resolve(SRC, 'browser.ts'));
  assert.ok(files.size > 100, `expected the library's modules, reached ${files.size}`);
  const bad: string[] = [];
  for (const [file, specs] of files) {
    for (const s of specs) {
      const pkg = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
      if (BUILTINS.has(s) || BUILTINS.has(pkg) || !BROWSER_PACKAGES.has(pkg)) bad.push(`${relative(SRC, file)}: '${s}'`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the browser entry exports what the Node entry does, less plot and dist', () => {
  assert.deepEqual(Object.keys(browser).sort(), Object.keys(node).filter((k) => k !== 'plot' && k !== 'dist').sort());
  assert.equal(browser.nd, node.nd);
  assert.equal(browser.gluon.data.vision.Digits, node.gluon.data.vision.Digits);
  assert.equal(typeof browser.backend.loadWasm, 'function');
});

test('without Node built-ins, file functions raise a PlatformError saying what to use instead', () => {
  // A child process that hides \`process\` from the library stands in for a browser.
  const code = `
    const log = console.log;
    Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
    const { nd, gluon, nn, PlatformError } = await import('./src/browser.ts');
    const out = [];
    const expect = (what, fn) => {
      try { fn(); out.push(what + ': no error'); } catch (e) { out.push(what + ': ' + (e instanceof PlatformError) + ' ' + e.message); }
    };
    expect('nd.save', () => nd.save('x.safetensors', { a: nd.ones([2]) }));
    const net = new nn.Dense(2, { inUnits: 2 });
    net.initialize();
    expect('loadParameters', () => net.loadParameters('m.safetensors'));
    expect('Digits', () => new gluon.data.vision.Digits());
    expect('text', () => gluon.data.text.readPrideAndPrejudice());
    const dist = await import('./src/dist/index.ts');
    expect('dist', () => dist.init());
    out.push('bytes: ' + nd.loadBytes(nd.saveBytes({ a: nd.ones([2]) })).a.shape.join());
    log(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: resolve(SRC, '..'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
  assert.match(lines[0]!, /^nd\.save: true (save: )?writing x\.safetensors needs Node's node:fs \(this is not Node\); in a browser, pass bytes instead: .*nd\.saveBytes/);
  assert.match(lines[1]!, /^loadParameters: true (loadParameters: )?reading m\.safetensors needs Node's node:fs \(this is not Node\).*loadParametersBytes/);
  assert.match(lines[2]!, /^Digits: true .*await gluon\.data\.vision\.Digits\.load/);
  assert.match(lines[3]!, /^text: true readPrideAndPrejudice needs Node's node:fs \(this is not Node\); in a browser, fetch the text/);
  assert.match(lines[4]!, /^dist: true dist\.init: distributed training runs in Node processes started by mpirun/);
  assert.equal(lines[5], 'bytes: 2');
});
