/**
 * The hostile suite's value language. The parent process generates cases with fast-check as plain
 * JSON (so a case can be written to a file, replayed, and printed in a failure report); the child
 * process turns each `Spec` into the JavaScript value a careless or malicious caller would pass:
 * special numbers, bigints, symbols, holey and deeply nested lists, fake NDArrays, real NDArrays
 * (zero-element ones with enormous dimensions, shape-only ones, views, arrays attached to
 * autograd), typed arrays, parameter dictionaries, generators and file paths in a scratch folder.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type * as Lib from '../../src/index.js';

/** A number JSON cannot hold is spelled as a string. */
export type NumSpec = number | 'NaN' | 'Inf' | '-Inf' | '-0';

/** How an NDArray spec fills its values. */
export type Fill = 'zeros' | 'seq' | 'rand' | 'nan' | 'neg' | 'big';

/** Extra properties of an NDArray spec. */
export type NdFlag = 'shapeOnly' | 'grad' | 'view' | 'none';

/** Files and folders a path spec names, all inside the child's scratch folder except devices. */
export const PATH_KINDS = [
  'fresh', // a file that does not exist yet, in an existing folder
  'missingDir', // a file in a folder that does not exist
  'fileParent', // a "folder" that is a regular file
  'dir', // an existing folder
  'devZero', // /dev/zero: endless bytes (read only: saving never targets a device outside scratch)
  'fifo', // a named pipe in scratch: reading it would block forever
  'symlink', // a symlink in scratch pointing to a regular file in scratch
  'nul', // a path with a NUL byte
  'empty', // an empty regular file
  'garbage', // a regular file of random bytes
  'gzipBomb', // a 1 MiB gzipped IDX file that inflates to 1 GiB
  'safetensors', // a valid safetensors file
  'idx', // a valid (gzipped) IDX file
] as const;
export type PathKind = (typeof PATH_KINDS)[number];

export type Spec =
  | ['num', NumSpec]
  | ['str', string]
  | ['bool', boolean]
  | ['null']
  | ['undef']
  | ['big', string]
  | ['sym']
  | ['fn']
  | ['list', Spec[]]
  | ['holey', number, Spec]
  | ['deep', number]
  | ['obj', [string, Spec][]]
  | ['nd', number[], string, Fill, NdFlag]
  | ['typed', string, number]
  | ['fake']
  | ['fakeProto']
  | ['path', PathKind]
  | ['params', 'dense' | 'empty' | 'uninit']
  | ['gen']
  | ['initializer', string]
  | ['block']
  | ['dataset', number];

/** Everything decoding needs from the child: the library and a scratch folder. */
export interface DecodeContext {
  readonly lib: typeof Lib;
  readonly scratch: string;
  counter: number;
}

/** Creates the scratch folder with the fixed files the path specs name. */
export function makeScratch(lib: typeof Lib): string {
  const dir = mkdtempSync(join(process.env['TMPDIR'] ?? '/tmp', 'tsgluon-hostile-'));
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'plain-file'), 'not a folder');
  writeFileSync(join(dir, 'empty'), new Uint8Array(0));
  const garbage = new Uint8Array(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(dir, 'garbage'), garbage);
  writeFileSync(join(dir, 'target'), 'symlink target');
  // An IDX header declaring 16 bytes, then 1 GiB of zeros: 65 concatenated gzip members, 1 MiB.
  const zeros = gzipSync(new Uint8Array(16 * 2 ** 20));
  const members = [gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 16])), ...new Array<Uint8Array>(64).fill(zeros)];
  writeFileSync(join(dir, 'bomb.gz'), Buffer.concat(members));
  lib.nd.save(join(dir, 'valid.safetensors'), { w: lib.nd.ones([2, 3]) });
  writeFileSync(join(dir, 'valid-idx.gz'), lib.idx.encodeIdx(lib.nd.zeros([3, 2], { dtype: 'uint8' }), { gzip: true }));
  return dir;
}

function num(v: NumSpec): number {
  if (v === 'NaN') return NaN;
  if (v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === '-0') return -0;
  return v;
}

function pathOf(kind: PathKind, ctx: DecodeContext): string {
  const s = ctx.scratch;
  switch (kind) {
    case 'fresh':
      return join(s, `out-${process.pid}-${ctx.counter++}.bin`);
    case 'missingDir':
      return join(s, 'no-such-folder', `out-${process.pid}-${ctx.counter++}.bin`);
    case 'fileParent':
      return join(s, 'plain-file', 'out.bin');
    case 'dir':
      return join(s, 'folder');
    case 'devZero':
      return '/dev/zero';
    case 'fifo':
    case 'symlink': {
      // A fresh one per use: saving over it (which the original code did) must not change the
      // scratch folder other cases see.
      const p = join(s, `${kind}-${process.pid}-${ctx.counter++}`);
      if (kind === 'symlink') symlinkSync(join(s, 'target'), p);
      else execFileSync('mkfifo', [p]);
      return p;
    }
    case 'nul':
      return join(s, 'a\0b');
    case 'empty':
      return join(s, 'empty');
    case 'garbage':
      return join(s, 'garbage');
    case 'gzipBomb':
      return join(s, 'bomb.gz');
    case 'safetensors':
      return join(s, 'valid.safetensors');
    case 'idx':
      return join(s, 'valid-idx.gz');
  }
}

function ndArray(shape: number[], dtype: string, fill: Fill, flag: NdFlag, lib: typeof Lib): Lib.nd.NDArray {
  const dt = dtype as Lib.DType;
  if (flag === 'shapeOnly') return lib.nd.NDArray.shapeOnly(shape, dt);
  const x = lib.nd.zeros(shape, { dtype: dt });
  const data = x.storage;
  for (let i = 0; i < data.length; i++) {
    if (fill === 'seq') data[i] = i;
    else if (fill === 'rand') data[i] = ((i * 2654435761) % 1000) / 100 - 5;
    else if (fill === 'nan') data[i] = i % 2 === 0 ? NaN : Infinity;
    else if (fill === 'neg') data[i] = -1 - i;
    else if (fill === 'big') data[i] = i % 2 === 0 ? 3e38 : 2 ** 31;
  }
  if (flag === 'grad' && (dt === 'float32' || dt === 'float64')) x.attachGrad();
  if (flag === 'view') return x.reshape([...shape]);
  return x;
}

/** The JavaScript value a spec stands for. */
export function decode(spec: Spec, ctx: DecodeContext): unknown {
  const { lib } = ctx;
  switch (spec[0]) {
    case 'num':
      return num(spec[1]);
    case 'str':
      return spec[1];
    case 'bool':
      return spec[1];
    case 'null':
      return null;
    case 'undef':
      return undefined;
    case 'big':
      return BigInt(spec[1]);
    case 'sym':
      return Symbol('hostile');
    case 'fn':
      return () => 1;
    case 'list':
      return spec[1].map((s) => decode(s, ctx));
    case 'holey': {
      const out: unknown[] = [];
      out.length = spec[1];
      if (spec[1] > 0) out[spec[1] - 1] = decode(spec[2], ctx);
      return out;
    }
    case 'deep': {
      let v: unknown = 1;
      for (let i = 0; i < spec[1]; i++) v = [v];
      return v;
    }
    case 'obj':
      return Object.fromEntries(spec[1].map(([k, s]) => [k, decode(s, ctx)]));
    case 'nd':
      return ndArray(spec[1], spec[2], spec[3], spec[4], lib);
    case 'typed': {
      const ctors: Record<string, new (n: number) => unknown> = {
        Float32Array, Float64Array, Int32Array, Uint8Array, Int16Array, Uint8ClampedArray, BigInt64Array, Int8Array,
      };
      return new (ctors[spec[1]] ?? Uint8Array)(spec[2]);
    }
    case 'fake':
      return { shape: [2], dtype: 'float32', size: 2, ndim: 1, storage: new Float32Array(2), isShapeOnly: false };
    case 'fakeProto':
      return Object.create(lib.nd.NDArray.prototype);
    case 'path':
      return pathOf(spec[1], ctx);
    case 'params': {
      if (spec[1] === 'empty') return new lib.gluon.ParameterDict();
      const net = new lib.nn.Dense(2, { inUnits: 3 });
      if (spec[1] === 'dense') net.initialize();
      return net.collectParams();
    }
    case 'gen':
      return new lib.Generator(7);
    case 'initializer':
      return lib.init.create(spec[1] as Lib.init.InitName);
    case 'block':
      return new lib.nn.Dense(2);
    case 'dataset':
      return new lib.gluon.data.ArrayDataset(lib.nd.zeros([spec[1], 2]), lib.nd.zeros([spec[1]]));
  }
}

/** A short printable form of a spec for failure reports. */
export function show(spec: Spec): string {
  switch (spec[0]) {
    case 'num':
      return String(spec[1]);
    case 'str':
      return JSON.stringify(spec[1]);
    case 'bool':
      return String(spec[1]);
    case 'null':
    case 'undef':
    case 'sym':
    case 'fn':
    case 'gen':
    case 'block':
    case 'fake':
    case 'fakeProto':
      return spec[0] === 'undef' ? 'undefined' : `<${spec[0]}>`;
    case 'big':
      return `${spec[1]}n`;
    case 'list':
      return `[${spec[1].map(show).join(', ')}]`;
    case 'holey':
      return `<holey ${spec[1]}: ${show(spec[2])}>`;
    case 'deep':
      return `<nested ${spec[1]} deep>`;
    case 'obj':
      return `{${spec[1].map(([k, s]) => `${k}: ${show(s)}`).join(', ')}}`;
    case 'nd':
      return `nd(${JSON.stringify(spec[1])} ${spec[2]} ${spec[3]}${spec[4] === 'none' ? '' : ` ${spec[4]}`})`;
    case 'typed':
      return `new ${spec[1]}(${spec[2]})`;
    case 'path':
      return `<path ${spec[1]}>`;
    case 'params':
      return `<params ${spec[1]}>`;
    case 'initializer':
      return `<init ${spec[1]}>`;
    case 'dataset':
      return `<dataset ${spec[1]}>`;
  }
}
