/**
 * The op names are listed once in C++ (native/src/op-names.h, an X-macro feeding the enums and the
 * addon's name lists) and once in TypeScript (the kernel table, src/backend/kernels.ts). The
 * wrappers match them by name, so an op missing on one side would silently run on ref: this test
 * says which, for the native addon and for the WebAssembly build of the same C++.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from '../../src/backend/kernels.js';
import { loadNativeBackend } from '../../src/backend/native/index.js';
import { loadWasmBackendSync } from '../../src/backend/wasm/node.js';

const native = loadNativeBackend();
const wasm = loadWasmBackendSync();
const sorted = (xs: readonly string[]) => [...xs].sort();

for (const [name, addon, why] of [
  ['native addon', native.addon, native.error],
  ['wasm build', wasm.backend?.addon ?? null, wasm.error],
] as const) {
  test(`the ${name} implements exactly the kernel table's unary, binary and reduce ops`, { skip: addon === null ? `${name} not built: ${why}` : false }, () => {
    assert.deepEqual(sorted(addon!.unaryOps), sorted(UNARY_OPS));
    assert.deepEqual(sorted(addon!.binaryOps), sorted(BINARY_OPS));
    assert.deepEqual(sorted(addon!.reduceOps), sorted(REDUCE_OPS));
  });
}
