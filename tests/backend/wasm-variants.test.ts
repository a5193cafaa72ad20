/**
 * Each of the four WebAssembly builds (SIMD128 or relaxed SIMD, one thread or threads) against
 * the reference kernels, threaded ones also 1 against 3 threads bit for bit (checks in
 * wasm-variant-check.ts). Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd,
 * so those builds are checked in a child Node started with it. The builds come from
 * `npm run build:wasm` (CI builds them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { wasmBuilt } from '../../src/backend/wasm/node.js';
import { checkVariant } from './wasm-variant-check.js';

const skip = wasmBuilt() ? false : 'the wasm builds are missing: npm run build:wasm';

for (const threads of [false, true]) {
  test(`the SIMD128 build${threads ? ' with threads' : ''} matches ref`, { skip }, async () => {
    const r = await checkVariant({ relaxed: false, threads });
    assert.equal(r.isa, 'wasm-simd128');
    assert.deepEqual(r.problems, []);
  });
}

test('the relaxed-SIMD builds match ref, 1 and 3 threads bit for bit (a Node with relaxed SIMD)', { skip }, () => {
  const code = "import('./tests/backend/wasm-variant-check.ts').then((m) => m.main())";
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '-e', code], {
    cwd: resolve(import.meta.dirname, '..', '..'),
    env: { ...process.env, WASM_VARIANTS: 'relaxed,relaxed-threads' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { isa: string; problems: string[] }>;
  for (const name of ['relaxed', 'relaxed-threads']) {
    assert.equal(out[name]!.isa, 'wasm-relaxed-simd', name);
    assert.deepEqual(out[name]!.problems, [], name);
  }
});
