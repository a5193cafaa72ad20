/**
 * Hostile MXNet .params, symbol JSON and ONNX files: a generated corpus (truncations at every
 * offset, bit flips, lying counts and lengths, deep nesting, huge declared sizes) where every file
 * must fail with a typed error (ModelFormatError, or UnsupportedOperatorError for a well-formed
 * graph with an unknown op), quickly and without large allocations, leaving the target network
 * unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ModelFormatError, TsGluonError, gluon, nd, symbolJson } from '../../src/index.js';

const params = readFileSync('tests/fixtures/mxnet/convnet-0000.params');
const symbolText = readFileSync('tests/fixtures/mxnet/convnet-symbol.json', 'utf8');
const onnxBytes = readFileSync('tests/fixtures/onnx/convops.onnx');

function flips(bytes: Uint8Array, every: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let bit = 0; bit < bytes.length * 8; bit += every) {
    const f = Uint8Array.from(bytes);
    f[bit >> 3] ^= 1 << (bit & 7);
    out.push(f);
  }
  return out;
}

function truncations(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, n) => bytes.subarray(0, n));
}

/** Runs `fn` on each file; each must succeed or throw a typed error, in bounded time. */
function survey(files: Uint8Array[], fn: (b: Uint8Array) => unknown, mustFail: boolean): { refused: number; accepted: number } {
  let refused = 0;
  let accepted = 0;
  let slowest = 0;
  for (const f of files) {
    const t0 = performance.now();
    try {
      fn(f);
      accepted++;
      if (mustFail) assert.fail(`a corrupt file of ${f.length} bytes was accepted`);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(e instanceof TsGluonError, `untyped ${(e as Error).name}: ${(e as Error).message}`);
      refused++;
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  assert.ok(slowest < 2000, `slowest file took ${slowest.toFixed(0)} ms`);
  return { refused, accepted };
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

test('.params corpus: every truncation is a ModelFormatError; bit flips decode or fail typed; lying sizes allocate nothing', () => {
  assert.equal(survey(truncations(params), (b) => gluon.decodeParamFile(b), true).refused, params.length);
  const { refused } = survey(flips(params, 3), (b) => gluon.decodeParamFile(b), false);
  assert.ok(refused > 100);
  const lies = [
    Uint8Array.from([...u64(0x112n), ...u64(0n), ...u64(1n), 0xc9, 0xfa, 0x93, 0xf9, 0, 0, 0, 0, 2, 0, 0, 0, ...u64(2n ** 31n), ...u64(2n ** 31n), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    Uint8Array.from([...u64(0x112n), ...u64(0n), ...u64(0n), ...u64(1n), ...u64(2n ** 62n)]),
    Uint8Array.from([...u64(0x112n), ...u64(0n), ...u64(1n), 0xc9, 0xfa, 0x93, 0xf9, 0, 0, 0, 0, 0xff, 0xff, 0, 0]),
    Uint8Array.from([...u64(0x112n), ...u64(0n), ...u64(1n), 0xc9, 0xfa, 0x93, 0xf9, 0, 0, 0, 0, 1, 0, 0, 0, ...u64(2n ** 63n + 5n), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  ];
  survey(lies, (b) => gluon.decodeParamFile(b), true);
  assert.throws(() => gluon.decodeParamFile(lies[0]!), /needs more than 2\^50 bytes of data, but only 0 are left/);
});

test('symbol JSON corpus: truncations, mutations, deep nesting and huge arrays are ModelFormatErrors', () => {
  const enc = new TextEncoder();
  const text = enc.encode(symbolText);
  const cuts = truncations(text).filter((_, n) => n % 7 === 0);
  survey(cuts, (b) => symbolJson.parseSymbolJson(b), true);
  const g = JSON.parse(symbolText) as Record<string, unknown> & { nodes: Record<string, unknown>[] };
  const variants: string[] = [
    '[]', '{}', 'null', '{"nodes": []}', `${'['.repeat(100000)}`, `{"nodes": ${'['.repeat(50)}}`,
    symbolText.replace('"nodes"', '"nodes": [], "nodes"'),
    JSON.stringify({ ...g, extra: 1 }),
    JSON.stringify({ ...g, heads: [[999, 0, 0]] }),
    JSON.stringify({ ...g, arg_nodes: [3] }),
    JSON.stringify({ ...g, node_row_ptr: [0] }),
    JSON.stringify({ ...g, nodes: [{ op: 'null', name: 'x', inputs: [[0, 0, 0]] }] }),
    JSON.stringify({ ...g, nodes: [{ op: 'null', name: 'x', inputs: [], attrs: { a: 1 } }] }),
    JSON.stringify({ ...g, nodes: [{ op: 'null', name: 'x', inputs: [], code: 'rm -rf /' }] }),
    JSON.stringify({ ...g, nodes: [{ op: 7, name: 'x', inputs: [] }] }),
    JSON.stringify(g).replace(/"heads":\[\[[^\]]*\]\]/, '"heads":[[0,9007199254740993,0]]'),
    `{"nodes": [${'{"op":"null","name":"x","inputs":[]},'.repeat(10)}1], "arg_nodes": [], "heads": [[0,0]]}`,
    `{"nodes": [{"op":"null","name":"x","inputs":[]}], "arg_nodes": [${'0,'.repeat(5_000_000)}0], "heads": [[0,0]]}`,
  ];
  survey(variants.map((v) => enc.encode(v)), (b) => symbolJson.parseSymbolJson(b), true);
  survey([Uint8Array.from([0x7b, 0xff, 0x7d])], (b) => symbolJson.parseSymbolJson(b), true);
});

/** Nested ModelProto.graph -> node -> attribute.g -> node ... `levels` deep, built in linear time. */
function deepOnnx(levels: number): Uint8Array {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  // Innermost first: an empty GraphProto, wrapped alternately as AttributeProto.g (field 6),
  // NodeProto.attribute (5), GraphProto.node (1).
  const prefixes: number[][] = [];
  let len = 0;
  const fields = [0x32, 0x2a, 0x0a];
  for (let i = 0; i < levels * 3; i++) {
    const p = [fields[i % 3]!, ...varint(len)];
    prefixes.push(p);
    len += p.length;
  }
  const top = [0x3a, ...varint(len)];
  return Uint8Array.from([...top, ...prefixes.reverse().flat()]);
}

test('ONNX corpus: truncations, bit flips, lying lengths and 30k-deep nesting are typed errors', () => {
  const decode = (b: Uint8Array): unknown => gluon.SymbolBlock.fromOnnxBytes(b);
  const cut = survey(truncations(onnxBytes).filter((_, n) => n % 13 === 0), decode, false);
  assert.ok(cut.accepted <= 1, `${cut.accepted} truncations accepted`);
  survey(flips(onnxBytes, 37), decode, false);
  survey([deepOnnx(30_000), Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Uint8Array.from([0x3a, 0x05, 0x0a, 0x03, 0x0a, 0x7f])], decode, true);
  assert.throws(() => decode(deepOnnx(30_000)), ModelFormatError);
});

test('a failed parameter load leaves the network exactly as it was', () => {
  const net = gluon.SymbolBlock.imports('tests/fixtures/mxnet/convnet-symbol.json', ['data'], 'tests/fixtures/mxnet/convnet-0000.params');
  const before = net.collectParams().values().map((p) => [...p.data().storage]);
  const x = nd.ones([1, 3, 6, 6]);
  const y0 = [...net.forward(x).storage];
  const bad = [params.subarray(0, params.length - 3), Uint8Array.from([...params.subarray(0, 100)])];
  for (const b of bad) assert.throws(() => net.loadParamBytes(b), TsGluonError);
  const mismatched = new gluon.SymbolBlock(symbolJson.parseSymbolJson(symbolText), ['data']);
  mismatched.initialize();
  mismatched.inferShape([1, 3, 6, 6]);
  assert.throws(() => mismatched.loadParamBytes(readFileSync('tests/fixtures/mxnet/mlp-0000.params')), /do not match/);
  assert.deepEqual(net.collectParams().values().map((p) => [...p.data().storage]), before);
  assert.deepEqual([...net.forward(x).storage], y0);
});
