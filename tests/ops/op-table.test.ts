/**
 * Runs every row of the op table (tests/ops/cases/*.ts): forward values, finite-difference
 * gradient checks in float64, error cases, and parity of every backend against the reference.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, dirname } from 'node:path';
import { nd, autograd, backend } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import type { CaseFile, OpCase } from './op-table.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'cases');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();

function toFloat32(xs: nd.NDArray[]): nd.NDArray[] {
  return xs.map((x) => (x.dtype === 'float64' ? x.astype('float32') : x));
}

function runForward(c: OpCase): void {
  const out = c.fn(...c.inputs());
  if (c.shape) assert.deepEqual(out.shape, c.shape, 'shape');
  if (c.dtype) assert.equal(out.dtype, c.dtype, 'dtype');
  const tol = { rtol: c.rtol ?? 1e-6, atol: c.atol ?? 1e-7 };
  if (c.expected !== undefined) assertClose(out, c.expected, { ...tol, msg: 'expected' });
  if (c.oracle) assertClose(out, c.oracle(...c.inputs()), { ...tol, msg: 'oracle' });
}

function runGrad(c: OpCase): void {
  const inputs = c.inputs();
  const wrt = c.grad === true ? undefined : (c.grad as readonly number[]);
  const r = autograd.checkGradient(c.fn, inputs, { rtol: 1e-4, atol: 1e-6, ...(wrt ? { wrt } : {}) });
  assert.ok(r.worst !== null, `${c.name}: the gradient check compared no element; the case needs a non-empty float input to check`);
  assert.ok(r.ok, `gradient mismatch: ${JSON.stringify(r.worst)}`);
}

function runParity(c: OpCase, name: string): void {
  const inputs = toFloat32(c.inputs());
  const ref = backend.withBackend('ref', () => c.fn(...inputs));
  const other = backend.withBackend(name, () => c.fn(...inputs));
  assert.deepEqual(other.shape, ref.shape);
  assert.equal(other.dtype, ref.dtype);
  assertClose(other, ref, { rtol: 1e-4, atol: 1e-5, msg: `${name} vs ref` });
}

for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as CaseFile;
  describe(`op table: ${file.replace(/\.ts$/, '')}`, () => {
    test('every row checks something: values, an oracle, a shape or a gradient', () => {
      const unchecked = mod.cases.filter((c) => c.expected === undefined && c.oracle === undefined && c.shape === undefined && !c.grad);
      assert.deepEqual(unchecked.map((c) => c.name), []);
    });
    for (const c of mod.cases) {
      // A gradient-only row has nothing to compare its forward with; its gradient test runs it.
      const checksForward = c.expected !== undefined || c.oracle !== undefined || c.shape !== undefined || c.dtype !== undefined;
      if (checksForward) test(`${c.name}: forward`, () => runForward(c));
      if (c.grad) test(`${c.name}: gradient`, () => runGrad(c));
      for (const name of backend.listBackends()) {
        if (name !== 'ref' && !c.noParity) test(`${c.name}: ${name} matches ref`, () => runParity(c, name));
      }
    }
    for (const e of mod.errors ?? []) {
      test(`${e.name}: error`, () => {
        assert.throws(e.fn, (err: unknown) => {
          assert.ok(err instanceof e.error, `expected ${e.error.name}, got ${String(err)}`);
          assert.match((err as Error).message, e.message);
          return true;
        });
      });
    }
  });
}

