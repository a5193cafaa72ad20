/// <reference types="vite/client" />
// The op table's parity rows (tests/ops/cases/*.ts, the rows tests/ops/op-table.test.ts runs in
// Node) in the browser: each row's computation on float32 inputs, on the WebAssembly backend and
// on the reference backend, compared as op-table.test.ts compares them (same shape and dtype,
// values within rtol 1e-4, atol 1e-5). tests/browser/page.test.ts reads `window.opTable`.
import { backend } from 'tsgluon';
import type { CaseFile, OpCase } from '../ops/op-table.js';

interface OpTableResult {
  done: boolean;
  variant: string;
  threads: number;
  rows: number;
  failures: string[];
}
declare global {
  interface Window {
    opTable: OpTableResult;
  }
}

const result: OpTableResult = { done: false, variant: '', threads: 0, rows: 0, failures: [] };
window.opTable = result;

function compare(c: OpCase, file: string): void {
  const inputs = c.inputs().map((x) => (x.dtype === 'float64' ? x.astype('float32') : x));
  const want = backend.withBackend('ref', () => c.fn(...inputs));
  const got = backend.withBackend('wasm', () => c.fn(...inputs));
  const where = `${file}: ${c.name}`;
  if (got.shape.join() !== want.shape.join()) throw new Error(`${where}: shape (${got.shape}) vs ref (${want.shape})`);
  if (got.dtype !== want.dtype) throw new Error(`${where}: dtype ${got.dtype} vs ref ${want.dtype}`);
  const a = got.storage, b = want.storage;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!, y = b[i]!;
    const same = Number.isNaN(y) ? Number.isNaN(x) : !Number.isFinite(y) ? x === y : Math.abs(x - y) <= 1e-5 + 1e-4 * Math.abs(y);
    if (!same) throw new Error(`${where}: element ${i}: wasm ${x}, ref ${y}`);
  }
}

async function main(): Promise<void> {
  const wasm = await backend.loadWasm({ activate: false });
  result.variant = `${wasm.variant.relaxed ? 'relaxed SIMD' : 'SIMD128'}${wasm.variant.threads ? ', shared memory' : ''}`;
  result.threads = wasm.numThreads();
  const files = import.meta.glob<CaseFile>('../ops/cases/*.ts');
  for (const [path, load] of Object.entries(files).sort()) {
    const file = path.split('/').pop()!.replace(/\.ts$/, '');
    for (const c of (await load()).cases) {
      if (c.noParity) continue;
      result.rows++;
      try {
        compare(c, file);
      } catch (e) {
        result.failures.push(e instanceof Error ? e.message : String(e));
      }
    }
  }
  document.getElementById('out')!.textContent = `${result.rows} rows, ${result.failures.length} failures\n${result.failures.join('\n')}`;
  result.done = true;
}

main().catch((e: unknown) => {
  result.failures.push(`the page failed: ${e instanceof Error ? e.message : String(e)}`);
  result.done = true;
  console.error(e);
});
