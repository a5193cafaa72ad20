/**
 * Helpers for the io tests: building raw safetensors files byte by byte (so tests can write files
 * that the encoder would never produce) and comparing arrays bit for bit.
 */
import assert from 'node:assert/strict';
import { gluon, nd } from '../../src/index.js';

/** A file with the given header text (padded as written) and data bytes; `n` overrides the length field. */
export function rawFile(header: string, data: Uint8Array | number = 0, n?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

/** A file whose header bytes are given directly (for invalid UTF-8). */
export function rawFileBytes(header: Uint8Array, data: Uint8Array | number = 0): Uint8Array {
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + header.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(d, 8 + header.length);
  return out;
}

/** A header JSON for one tensor. */
export function entry(dtype: string, shape: number[], begin: number, end: number): { dtype: string; shape: number[]; data_offsets: number[] } {
  return { dtype, shape, data_offsets: [begin, end] };
}

/** The bytes of an array's storage, for bitwise comparison. */
export function bitsOf(x: nd.NDArray): Uint8Array {
  const s = x.storage;
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
}

export function assertBitwiseEqual(actual: nd.NDArray, expected: nd.NDArray, msg = ''): void {
  assert.equal(actual.dtype, expected.dtype, `${msg} dtype`);
  assert.deepEqual(actual.shape, expected.shape, `${msg} shape`);
  assert.deepEqual(bitsOf(actual), bitsOf(expected), `${msg} bits`);
}

/** Everything observable about a network's parameters, to prove a failed load changed nothing. */
export function snapshot(net: gluon.Block): unknown[] {
  return net.collectParams().entries().map(([path, p]) => ({
    path,
    state: p.state,
    shape: [...p.shape],
    dtype: p.dtype,
    bits: p.state === 'initialized' ? Array.from(new Uint8Array(p.data().storage.slice().buffer)) : null,
  }));
}
