/**
 * A generated corpus of malformed safetensors files: truncations at every offset, bit flips in the
 * header length, lying headers, huge declared sizes, duplicate keys, wrong dtypes, overlapping and
 * gapped offsets, invalid UTF-8, non-object JSON, deep nesting and JSON syntax the reference parser
 * rejects. Every file here must be refused with a SafetensorsError.
 */
import { nd } from '../../src/index.js';
import { entry, rawFile, rawFileBytes } from './st-helpers.js';

export interface CorpusFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A small valid file with three dtypes and metadata; the corpus mutates it. */
export function baseFile(): Uint8Array {
  return nd.saveBytes({
    w: nd.array([[1, 2, 3], [4, 5, 6]]),
    b: nd.array([0.5, -0.5], { dtype: 'float64' }),
    i: nd.array([7, 8, 9], { dtype: 'uint8' }),
  });
}

const J = JSON.stringify;
const f32 = (shape: number[], b: number, e: number) => entry('F32', shape, b, e);

/** Headers that parse but lie, each with the data bytes it comes with. */
function lyingHeaders(): [string, string, number][] {
  return [
    ['shape larger than offsets', J({ a: f32([2, 2], 0, 8) }), 8],
    ['shape smaller than offsets', J({ a: f32([1], 0, 8) }), 8],
    ['offsets past the data', J({ a: f32([4], 0, 16) }), 8],
    ['offsets reversed', J({ a: f32([0], 8, 0) }), 8],
    ['first tensor not at 0', J({ a: f32([1], 4, 8) }), 8],
    ['gap between tensors', J({ a: f32([1], 0, 4), b: f32([1], 8, 12) }), 12],
    ['overlapping tensors', J({ a: f32([2], 0, 8), b: f32([2], 4, 12) }), 12],
    ['same range twice', J({ a: f32([1], 0, 4), b: f32([1], 0, 4) }), 4],
    ['trailing bytes after the last tensor', J({ a: f32([1], 0, 4) }), 9],
    ['data but no tensors', J({}), 4],
    ['huge shape, small offsets', J({ a: f32([4294967296, 4294967296], 0, 4) }), 4],
    ['2^50 elements, small offsets', J({ a: f32([1073741824, 1048576], 0, 4) }), 4],
    ['shape product overflows 2^53', J({ a: f32([134217728, 134217728, 134217728], 0, 4) }), 4],
    ['shape product overflows, zero last', J({ a: f32([2 ** 40, 2 ** 40, 0], 0, 0) }), 0],
    ['offset is 2^53 - 1', J({ a: f32([1], 0, Number.MAX_SAFE_INTEGER) }), 4],
    ['end offset 2^64 as text', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}`, 4],
    ['dim 2^64 as text', `{"a":{"dtype":"F32","shape":[18446744073709551617],"data_offsets":[0,4]}}`, 4],
    ['negative dim', J({ a: f32([-1], 0, 4) }), 4],
    ['fractional dim', `{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`, 4],
    ['exponent dim', `{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, 4],
    ['string dim', `{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, 4],
    ['null dim', `{"a":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}`, 4],
    ['negative offset', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4],
    ['three offsets', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4],
    ['one offset', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, 4],
    ['offsets an object', `{"a":{"dtype":"F32","shape":[1],"data_offsets":{"0":0,"1":4}}}`, 4],
    ['shape a number', `{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}`, 4],
    ['missing dtype', `{"a":{"shape":[1],"data_offsets":[0,4]}}`, 4],
    ['missing shape', `{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4],
    ['missing offsets', `{"a":{"dtype":"F32","shape":[1]}}`, 4],
    ['extra field', `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"code":"rm -rf /"}}`, 4],
    ['entry is a string', `{"a":"F32"}`, 0],
    ['entry is null', `{"a":null}`, 0],
    ['metadata is an array', `{"__metadata__":["a"]}`, 0],
    ['metadata value is a number', `{"__metadata__":{"v":1}}`, 0],
    ['metadata value is an object', `{"__metadata__":{"v":{"x":"y"}}}`, 0],
    ['lowercase dtype', J({ a: entry('f32', [1], 0, 4) }), 4],
    ['numpy dtype name', J({ a: entry('float32', [1], 0, 4) }), 4],
    ['unknown dtype', J({ a: entry('F31', [1], 0, 4) }), 4],
    ['empty dtype', J({ a: entry('', [1], 0, 4) }), 4],
    ['dtype is a number', `{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, 4],
    ['dtype is null', `{"a":{"dtype":null,"shape":[1],"data_offsets":[0,4]}}`, 4],
    ['dtype with prototype name', J({ a: entry('constructor', [1], 0, 4) }), 4],
    ['dtype __proto__', J({ a: entry('__proto__', [1], 0, 4) }), 4],
    ['F64 with F32 byte count', J({ a: entry('F64', [2], 0, 8) }), 8],
    ['sub-byte dtype not byte aligned', J({ a: entry('F4', [3], 0, 2) }), 2],
    ['unsupported but valid dtype', J({ a: entry('F8_E4M3', [2], 0, 2) }), 2],
    ['I64 value out of int32 range', J({ a: entry('I64', [1], 0, 8) }), -1],
  ];
}

/** JSON the reference (serde_json) parser rejects, or that is not an object. */
function badJson(): [string, string][] {
  return [
    ['empty header', ''],
    ['whitespace header', '        '],
    ['array header', '[]'],
    ['string header', '"abc"'],
    ['number header', '12345678'],
    ['null header', 'null'],
    ['true header', 'true'],
    ['duplicate tensor key', `{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[0],"data_offsets":[1,1]}}`],
    ['duplicate key via escape', `{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"\\u0061":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`],
    ['duplicate field in entry', `{"a":{"dtype":"U8","dtype":"F32","shape":[0],"data_offsets":[0,0]}}`],
    ['duplicate metadata key', `{"__metadata__":{"k":"1","k":"2"}}`],
    ['duplicate __metadata__', `{"__metadata__":{},"__metadata__":{}}`],
    ['trailing comma', `{"__metadata__":{},}`],
    ['single quotes', `{'a':1}`],
    ['comment', `{/* hi */}`],
    ['unquoted key', `{a:1}`],
    ['NaN literal', `{"a":{"dtype":"U8","shape":[NaN],"data_offsets":[0,0]}}`],
    ['hex number', `{"a":{"dtype":"U8","shape":[0x1],"data_offsets":[0,1]}}`],
    ['leading zero', `{"a":{"dtype":"U8","shape":[01],"data_offsets":[0,1]}}`],
    ['plus sign', `{"a":{"dtype":"U8","shape":[+1],"data_offsets":[0,1]}}`],
    ['trailing garbage', `{}xyz`],
    ['two objects', `{}{}`],
    ['NUL padding', '{}\u0000\u0000'],
    ['byte order mark', '\uFEFF{}'],
    ['unterminated object', `{"__metadata__":{}`],
    ['unterminated string', `{"abc`],
    ['raw control character in key', `{"a\u0001":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`],
    ['bad escape', `{"a\\x41":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`],
    ['short unicode escape', `{"a\\u12":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`],
    ['lone high surrogate escape', `{"\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`],
    ['lone low surrogate escape', `{"\\udc00":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`],
    ['deep nesting in metadata', `{"__metadata__":{"x":${'['.repeat(1000)}${']'.repeat(1000)}}}`],
    ['very deep nesting, unterminated', `{"__metadata__":${'['.repeat(200_000)}`],
    ['shape of 2000 dimensions', `{"a":{"dtype":"U8","shape":[${Array(2000).fill(1).join(',')}],"data_offsets":[0,1]}}`],
    ['a million-element shape', `{"a":{"dtype":"U8","shape":[${'0,'.repeat(1_000_000)}0],"data_offsets":[0,0]}}`],
    ['100k empty entries', `{${Array.from({ length: 100_000 }, (_, i) => `"t${i}":{}`).join(',')}}`],
    ['deep objects', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`],
  ];
}

function invalidUtf8(): [string, number[]][] {
  const pre = [...new TextEncoder().encode('{"__metadata__":{"k":"')];
  const post = [...new TextEncoder().encode('"}}')];
  return [
    ['0xff byte', [...pre, 0xff, ...post]],
    ['overlong slash', [...pre, 0xc0, 0xaf, ...post]],
    ['overlong 3-byte', [...pre, 0xe0, 0x80, 0xaf, ...post]],
    ['UTF-8 encoded surrogate', [...pre, 0xed, 0xa0, 0x80, ...post]],
    ['code point above U+10FFFF', [...pre, 0xf4, 0x90, 0x80, 0x80, ...post]],
    ['0xf5 lead byte', [...pre, 0xf5, 0x80, 0x80, 0x80, ...post]],
    ['lone continuation byte', [...pre, 0x80, ...post]],
    ['truncated sequence before quote', [...pre, 0xe2, 0x82, ...post]],
    ['truncated sequence at header end', [...pre, ...post, 0xe2]],
    ['Latin-1 key', [...new TextEncoder().encode('{"caf'), 0xe9, ...new TextEncoder().encode('":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}')]],
  ];
}

function withLength(file: Uint8Array, n: bigint): Uint8Array {
  const out = file.slice();
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
}

/** The whole corpus (several hundred files). */
export function hostileCorpus(): CorpusFile[] {
  const out: CorpusFile[] = [];
  const base = baseFile();
  // Every strict prefix of a valid file is invalid: lengths must match exactly.
  for (let cut = 0; cut < base.length; cut++) out.push({ name: `truncated at ${cut} of ${base.length}`, bytes: base.slice(0, cut) });
  out.push({ name: 'one extra byte appended', bytes: Uint8Array.from([...base, 0]) });
  // Every single-bit flip of the 8-byte header length.
  for (let bit = 0; bit < 64; bit++) {
    const f = base.slice();
    f[bit >> 3]! ^= 1 << (bit & 7);
    out.push({ name: `header length bit ${bit} flipped`, bytes: f });
  }
  for (const n of [2n ** 53n, 2n ** 64n - 1n, 2n ** 63n, 100_000_001n, 2n ** 32n, 2n ** 32n + 8n]) {
    out.push({ name: `header length ${n}`, bytes: withLength(base, n) });
  }
  out.push({ name: 'header length 0 on a real file', bytes: withLength(base, 0n) });
  for (const [name, header, dataLength] of lyingHeaders()) {
    const data = dataLength >= 0 ? dataLength : Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0]);
    out.push({ name, bytes: rawFile(header, data) });
  }
  for (const [name, header] of badJson()) out.push({ name, bytes: rawFile(header, 0) });
  for (const [name, bytes] of invalidUtf8()) out.push({ name, bytes: rawFileBytes(Uint8Array.from(bytes), 0) });
  return out;
}
