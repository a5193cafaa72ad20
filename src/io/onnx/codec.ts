/**
 * ONNX files: decoding a `.onnx` (a protobuf `onnx.ModelProto`) into checked, typed structures,
 * and encoding such structures back. The wire format is protobufjs's work, driven by the ONNX
 * schema in `onnx-schema.ts`; this file only validates and converts.
 *
 * Every file is treated as hostile. protobufjs refuses lengths that run past the buffer and bad
 * wire types; on top of that, nesting too deep to decode (a stack overflow) is a ModelFormatError,
 * integers must be exact, tensors' element counts must match their data exactly (so nothing is
 * allocated beyond what the file holds), names must be unique, and tensors with external data
 * are refused. Tensor data converts like safetensors' (float16 / bfloat16 to float32, small and
 * int64 integers to int32 when they fit, bool to uint8).
 */
import protobuf from 'protobufjs';
import { ValueError } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { ModelFormatError } from '../model-format-error.js';
import { SafetensorsError } from '../safetensors-error.js';
import { HOST_LITTLE_ENDIAN, SAFETENSORS_DTYPES, convertFromFile, swapBytes } from '../safetensors-dtypes.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values, as the safetensors dtype with the same bytes. */
const ELEM_TYPES: Readonly<Record<number, string>> = { 1: 'F32', 2: 'U8', 3: 'I8', 4: 'U16', 5: 'I16', 6: 'I32', 7: 'I64', 9: 'BOOL', 10: 'F16', 11: 'F64', 12: 'U32', 13: 'U64', 16: 'BF16' };
/** The ONNX element type of each tsgluon dtype. */
export const ONNX_TYPE_OF: Readonly<Record<DType, number>> = { float32: 1, float64: 11, int32: 6, uint8: 2, float16: 10, bfloat16: 16 };
/** ONNX element type 7 (int64), which shape tensors must use. */
export const ONNX_INT64 = 7;

/** A node attribute, by ONNX's AttributeType. */
export type OnnxAttr = { type: 'float'; value: number } | { type: 'int'; value: number } | { type: 'string'; value: string }
  | { type: 'tensor'; value: NDArray } | { type: 'floats'; value: number[] } | { type: 'ints'; value: number[] } | { type: 'strings'; value: string[] };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, OnnxAttr>;
}

/** A graph input or output: its name, element type and dims (a number, a symbolic name, or null). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly shape: readonly (number | string | null)[] | null;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, NDArray>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion: number;
  /** The opset of the default ('' / 'ai.onnx') domain. */
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly graph: OnnxGraph;
}

function fail(what: string, item?: string): ModelFormatError {
  return new ModelFormatError('onnx', what, item === undefined ? {} : { item });
}

type Obj = Record<string, unknown>;

/** An int64 protobufjs gave as a decimal string (longs: String), as an exact number. */
function int(v: unknown, what: string, item?: string): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  if (!Number.isSafeInteger(n)) throw fail(`${what} is ${String(v)}, not an integer within 2^53`, item);
  return n;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function leBytes(data: TypedArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/** Decodes a TensorProto into an NDArray, checking that its data holds exactly its elements. */
function tensor(t: Obj, where: string): NDArray {
  const name = str(t['name']) || where;
  if (int(t['data_location'] ?? 0, 'data_location', name) !== 0) throw fail('the tensor keeps its data in an external file, which is not supported; save the model with its data inside', name);
  const dims = list(t['dims']).map((d, i) => {
    const n = int(d, `dims[${i}]`, name);
    if (n < 0) throw fail(`dims[${i}] is ${n}; tensor dims must be non-negative`, name);
    return n;
  });
  if (dims.length > 32) throw fail(`the tensor has ${dims.length} dims, more than 32`, name);
  const elemType = int(t['data_type'] ?? 0, 'data_type', name);
  const st = ELEM_TYPES[elemType];
  if (st === undefined) throw fail(`data_type ${elemType} is not supported (strings, complex and 8-bit floats cannot be represented)`, name);
  let count = 1;
  for (const d of dims) count *= d;
  const info = SAFETENSORS_DTYPES[st]!;
  const raw = t['raw_data'];
  let data: TypedArray;
  try {
    if (raw instanceof Uint8Array && raw.length > 0) {
      if (raw.length !== count * (info.bits / 8)) throw fail(`raw_data holds ${raw.length} bytes, but dims (${dims.join(', ')}) of ${st} need ${count * (info.bits / 8)}`, name);
      data = convertFromFile(name, st, raw, count, 0);
    } else {
      const field = st === 'F32' ? 'float_data' : st === 'F64' ? 'double_data' : st === 'I64' ? 'int64_data' : st === 'U32' || st === 'U64' ? 'uint64_data' : 'int32_data';
      const values = list(t[field]);
      if (values.length !== count) throw fail(`${field} holds ${values.length} values, but dims (${dims.join(', ')}) need ${count}`, name);
      data = typedValues(values, st, name);
    }
  } catch (e) {
    if (e instanceof SafetensorsError) throw fail(e.detail, name);
    throw e;
  }
  return new NDArray(data, dims, info.target!);
}

function typedValues(values: unknown[], st: string, name: string): TypedArray {
  if (st === 'F32') return Float32Array.from(values as number[]);
  if (st === 'F64') return Float64Array.from(values as number[]);
  if (st === 'F16' || st === 'BF16') {
    const bytes = new Uint8Array(values.length * 2);
    values.forEach((v, i) => {
      bytes[2 * i] = (v as number) & 0xff;
      bytes[2 * i + 1] = ((v as number) >> 8) & 0xff;
    });
    return convertFromFile(name, st, bytes, values.length, 0);
  }
  const out = new Int32Array(values.length);
  values.forEach((v, i) => {
    const n = int(v, `element ${i}`, name);
    if (n < -(2 ** 31) || n >= 2 ** 31) throw fail(`element ${i} is ${n}, outside the int32 range tsgluon stores integers in`, name);
    out[i] = n;
  });
  return st === 'U8' || st === 'BOOL' ? Uint8Array.from(out) : out;
}

const ATTR_TYPES = ['undefined', 'float', 'int', 'string', 'tensor', 'graph', 'floats', 'ints', 'strings', 'tensors', 'graphs', 'sparse_tensor', 'sparse_tensors', 'type_proto', 'type_protos'];

function attribute(a: Obj, node: string): [string, OnnxAttr] {
  const name = str(a['name']);
  const type = ATTR_TYPES[int(a['type'] ?? 0, 'attribute type', node)] ?? 'unknown';
  const value = ((): OnnxAttr => {
    switch (type) {
      case 'float': return { type, value: Number(a['f'] ?? 0) };
      case 'int': return { type, value: int(a['i'] ?? 0, `attribute ${name}`, node) };
      case 'string': return { type, value: new TextDecoder().decode((a['s'] as Uint8Array | undefined) ?? new Uint8Array()) };
      case 'tensor': return { type, value: tensor((a['t'] ?? {}) as Obj, `${node}.${name}`) };
      case 'floats': return { type, value: list(a['floats']).map(Number) };
      case 'ints': return { type, value: list(a['ints']).map((v) => int(v, `attribute ${name}`, node)) };
      case 'strings': return { type, value: list(a['strings']).map((s) => new TextDecoder().decode(s as Uint8Array)) };
      default: throw fail(`attribute ${JSON.stringify(name)} has type ${type}, which tsgluon does not support (subgraphs and sparse tensors)`, node);
    }
  })();
  return [name, value];
}

function valueInfo(v: Obj): OnnxValueInfo {
  const name = str(v['name']);
  const tt = ((v['type'] as Obj | undefined)?.['tensor_type'] ?? {}) as Obj;
  const shape = tt['shape'] === undefined ? null : list((tt['shape'] as Obj)['dim']).map((d) => {
    const dim = d as Obj;
    if (dim['dim_value'] !== undefined) return int(dim['dim_value'], 'a dim', name);
    return typeof dim['dim_param'] === 'string' ? dim['dim_param'] : null;
  });
  return { name, elemType: int(tt['elem_type'] ?? 0, 'elem_type', name), shape };
}

/**
 * Decodes and checks an ONNX model. Throws a ModelFormatError on any defect.
 * @example const model = decodeOnnx(readFileSync('model.onnx'))
 */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  let msg: protobuf.Message;
  try {
    msg = ModelProto.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw fail('the protobuf nests messages too deeply to decode; the file is corrupt or hostile');
    throw fail(`the file is not a valid ONNX protobuf: ${(e as Error).message}`);
  }
  const m = ModelProto.toObject(msg, { longs: String, enums: Number }) as Obj;
  const g = m['graph'] as Obj | undefined;
  if (g === undefined) throw fail('the model has no graph');
  const opset = list(m['opset_import']).find((o) => str((o as Obj)['domain']) === '' || str((o as Obj)['domain']) === 'ai.onnx') as Obj | undefined;
  if (opset === undefined) throw fail('the model imports no opset of the default ONNX domain');
  const initializers = new Map<string, NDArray>();
  for (const [i, t] of list(g['initializer']).entries()) {
    const name = str((t as Obj)['name']);
    if (name === '') throw fail(`initializer ${i} has no name`);
    if (initializers.has(name)) throw fail('two initializers have this name', name);
    initializers.set(name, tensor(t as Obj, name));
  }
  const nodes = list(g['node']).map((n, i): OnnxNode => {
    const o = n as Obj;
    const name = str(o['name']) || `${str(o['op_type'])}_${i}`;
    const attrs = new Map<string, OnnxAttr>();
    for (const a of list(o['attribute'])) {
      const [k, v] = attribute(a as Obj, name);
      if (attrs.has(k)) throw fail(`attribute ${JSON.stringify(k)} appears twice`, name);
      attrs.set(k, v);
    }
    return { opType: str(o['op_type']), name, domain: str(o['domain']), inputs: list(o['input']).map(str), outputs: list(o['output']).map(str), attrs };
  });
  return {
    irVersion: int(m['ir_version'] ?? 0, 'ir_version'),
    opsetVersion: int(opset['version'] ?? 0, 'opset version'),
    producerName: str(m['producer_name']),
    graph: { name: str(g['name']), nodes, initializers, inputs: list(g['input']).map((v) => valueInfo(v as Obj)), outputs: list(g['output']).map((v) => valueInfo(v as Obj)) },
  };
}

/** A TensorProto object for protobufjs, data little-endian in raw_data. */
export function tensorProto(name: string, arr: NDArray): Obj {
  if (arr.isShapeOnly) throw new ValueError(`ONNX: tensor ${JSON.stringify(name)} is a shape-only array with no data`);
  return { name, dims: [...arr.shape], data_type: ONNX_TYPE_OF[arr.dtype], raw_data: leBytes(arr._raw) };
}

/** An int64 TensorProto (shapes, axes) from plain integers. */
export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): Obj {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dims: [...dims], data_type: ONNX_INT64, raw_data: raw };
}

/** Encodes a ModelProto given as a plain object in the schema's field names (snake_case). */
export function encodeOnnx(model: Obj): Uint8Array {
  const problem = ModelProto.verify(model);
  if (problem !== null) throw new ValueError(`ONNX: the model to write is malformed: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
