/**
 * The WebAssembly module seen through the native addon's interface (`NativeAddon`), so the
 * native backend's kernel wrappers (`nativeKernels`) run on it unchanged. The module is
 * native/src/addon.cc itself, compiled against native/wasm's stand-in for node-addon-api: the
 * same entry points, argument checks and error messages.
 *
 * A call stages its typed arrays in a scratch area of linear memory (arrays that overlap in
 * JavaScript memory share one staged copy, so aliasing behaves as it does natively), fills the
 * module's argument slots, calls, and copies back the arrays the function writes. Arrays that
 * already live in the module's memory are passed in place. `CALLS` says, per function, which
 * arguments it writes and which of those it overwrites without reading (no copy in); a function
 * missing from it gets every array copied in and back, which is correct, only slower.
 */
import { BackendError } from '../../core/errors.js';
import type { NativeAddon } from '../native/loader.js';

/** The module's exports (native/wasm/napi-shim.cc and runtime.cc). */
export interface WasmExports {
  tsg_init(): number;
  tsg_args(): number;
  tsg_result(): number;
  tsg_call(index: number, nargs: number): void;
  tsg_alloc(bytes: number): number;
  tsg_free(ptr: number): void;
  tsg_worker?(index: number): void;
  tsg_pool_tasks?(index: number): number;
  __stack_pointer?: WebAssembly.Global;
  __tls_size?: WebAssembly.Global;
  __tls_align?: WebAssembly.Global;
  __wasm_init_tls?(ptr: number): void;
}

type Arg = unknown;
type ArrayArg = ArrayBufferView & { readonly length: number; readonly BYTES_PER_ELEMENT: number };

/** Argument positions a function writes, and those it overwrites without reading them first. */
interface CallSpec {
  writes: readonly number[];
  fresh(args: readonly Arg[]): readonly number[];
}
const none = (): readonly number[] => [];
const always = (i: number) => (): readonly number[] => [i];
const when = (i: number, test: (args: readonly Arg[]) => boolean) => (args: readonly Arg[]): readonly number[] => (test(args) ? [i] : []);

export const CALLS: Readonly<Record<string, CallSpec>> = {
  // plan[8]: 0 overwrites, 1 accumulates into the output, 2 starts it from the bias (argument 4).
  gemm: { writes: [0], fresh: when(0, (a) => (a[3] as Int32Array)[8] !== 1) },
  unary: { writes: [1], fresh: always(1) },
  binary: { writes: [1], fresh: always(1) },
  where: { writes: [0], fresh: always(0) },
  reduce: { writes: [1], fresh: always(1) },
  argReduce: { writes: [1], fresh: always(1) },
  softmax: { writes: [1], fresh: always(1) },
  cast: { writes: [0], fresh: always(0) },
  // Writes the elements of the destination view: fresh when that view is the whole array.
  copyStrided: { writes: [0], fresh: when(0, (a) => coversAll((a[0] as ArrayArg).length, a[2] as Int32Array)) },
  // take and pick overwrite; their gradients accumulate into a zeroed output.
  gather: { writes: [1], fresh: when(1, (a) => a[0] === 0 || a[0] === 2) },
  // The pooling forwards overwrite; im2col leaves the padding's zeros and the adjoints accumulate.
  window: { writes: [1], fresh: when(1, (a) => a[0] === 2 || a[0] === 4) },
  optimizer: { writes: [1, 3, 4, 5], fresh: none },
  conv: { writes: [1], fresh: always(1) },
  // convFused(y, x, w, bias, plan, inputs[], ...): overwrites y; the inputs follow the arguments.
  convFused: { writes: [0], fresh: always(0) },
  // rnn(kind, a0..a7, plan): the forward (kind 0) overwrites out and ws; the backward reads a2 (dout).
  rnn: { writes: [1, 2], fresh: (a) => (a[0] === 0 ? [1, 2] : []) },
  // fused(out, inputs[], ...): writes every element of out; the inputs follow the arguments.
  fused: { writes: [0], fresh: always(0) },
  // clipGlobalNorm(arrays[], maxNorm) scales its list's items in place: no spec, so every staged
  // array is copied in and back.
  fmaLoop: { writes: [], fresh: none },
  isa: { writes: [], fresh: none },
  setIsa: { writes: [], fresh: none },
  numThreads: { writes: [], fresh: none },
  setNumThreads: { writes: [], fresh: none },
};

/** Whether copyStrided's destination view (plan: nd, dstOffset, srcOffset, shape, dstStrides, ...) is all of a contiguous array of `length`. */
function coversAll(length: number, plan: Int32Array): boolean {
  const nd = plan[0]!;
  if (plan[1] !== 0) return false;
  let step = 1;
  for (let d = nd - 1; d >= 0; d--) {
    const extent = plan[3 + d]!;
    if (extent !== 1 && plan[3 + nd + d] !== step) return false;
    step *= extent;
  }
  return step === length;
}

// Kinds of native/wasm/napi.h.
const K_UNDEFINED = 0, K_NULL = 1, K_BOOL = 2, K_NUMBER = 3, K_STRING = 4, K_TYPEDARRAY = 5, K_ARRAY = 7;
const SLOT = 24;

/** napi_typedarray_type codes, in node_api_types.h's order. */
function typeCode(a: ArrayBufferView): number {
  if (a instanceof Float32Array) return 7;
  if (a instanceof Float64Array) return 8;
  if (a instanceof Int32Array) return 5;
  if (a instanceof Uint8Array) return 1;
  if (a instanceof Int8Array) return 0;
  if (a instanceof Uint8ClampedArray) return 2;
  if (a instanceof Int16Array) return 3;
  if (a instanceof Uint16Array) return 4;
  if (a instanceof Uint32Array) return 6;
  return -1;
}

/** One staged block: the byte range [start, end) of a JavaScript buffer. */
interface Region {
  buffer: ArrayBufferLike;
  start: number;
  end: number;
  at: number;
  copyIn: boolean;
  copyBack: boolean;
}

/** The module's addon functions plus what the wasm backend needs besides them. */
export interface WasmAddon extends NativeAddon {
  /** Bytes of linear memory in use (the module's heap included). */
  memoryBytes(): number;
}

/** Builds the addon interface over an instantiated module; `beforeCall` runs before each call. */
export function wasmAddon(exports: WasmExports, memory: WebAssembly.Memory, beforeCall: () => void = () => {}): WasmAddon {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let heap = new Uint8Array(memory.buffer);
  let heapF64 = new Float64Array(memory.buffer);
  let heapI32 = new Int32Array(memory.buffer);
  const view = () => {
    if (heap.byteLength !== memory.buffer.byteLength) {
      heap = new Uint8Array(memory.buffer);
      heapF64 = new Float64Array(memory.buffer);
      heapI32 = new Int32Array(memory.buffer);
    }
  };
  const text = (ptr: number, len: number) => decoder.decode(heap.slice(ptr, ptr + len));
  const descPtr = exports.tsg_init();
  view();
  let descEnd = descPtr;
  while (heap[descEnd] !== 0) descEnd++;
  const description = JSON.parse(text(descPtr, descEnd - descPtr)) as { functions: string[]; values: Record<string, string[]> };
  const argsPtr = exports.tsg_args();
  const resultPtr = exports.tsg_result();

  let arena = 0;
  let arenaBytes = 0;
  function ensureArena(bytes: number): void {
    if (bytes <= arenaBytes) return;
    if (arena !== 0) exports.tsg_free(arena);
    const want = Math.max(bytes, 2 * arenaBytes, 1 << 20);
    arena = exports.tsg_alloc(want) >>> 0;
    arenaBytes = arena === 0 ? 0 : want;
    if (arena === 0) throw new BackendError(`wasm backend: out of memory staging ${bytes} bytes for a kernel (the module's 4 GiB address space is full)`);
  }

  const regions: Region[] = [];
  const argRegion: (Region | null)[] = [];

  function call(index: number, name: string, given: readonly Arg[]): unknown {
    beforeCall();
    // An array argument's items take the slots after the arguments (napi-shim.cc's tsg_call).
    const args: Arg[] = [...given];
    const lists = new Map<number, number>();
    given.forEach((a, i) => {
      if (!Array.isArray(a)) return;
      lists.set(i, args.length);
      args.push(...(a as Arg[]));
    });
    const spec = CALLS[name];
    const fresh = spec ? spec.fresh(args) : [];
    view();
    const wasmBuffer = memory.buffer;
    regions.length = 0;
    argRegion.length = 0;
    // Strings first, then the staged arrays, each on a cache line of its own.
    let bytes = 0;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      argRegion.push(null);
      if (!ArrayBuffer.isView(a) || a instanceof DataView) {
        if (typeof a === 'string') bytes += (encoder.encode(a).length + 63) & ~63;
        continue;
      }
      if (a.buffer === wasmBuffer) continue;
      const start = a.byteOffset, end = a.byteOffset + a.byteLength;
      const written = spec ? spec.writes.includes(i) : true;
      const read = !(written && fresh.includes(i));
      let r = regions.find((q) => q.buffer === a.buffer && start < q.end && q.start < end);
      if (r === undefined) {
        r = { buffer: a.buffer, start, end, at: 0, copyIn: read, copyBack: written };
        regions.push(r);
      } else {
        r.start = Math.min(r.start, start);
        r.end = Math.max(r.end, end);
        r.copyIn ||= read;
        r.copyBack ||= written;
      }
      argRegion[i] = r;
    }
    // A region grown by a merge may now overlap another: fold such pairs until none is left.
    for (let merged = regions.length > 1; merged; ) {
      merged = false;
      for (let i = 0; i < regions.length && !merged; i++) {
        for (let j = i + 1; j < regions.length && !merged; j++) {
          const p = regions[i]!, q = regions[j]!;
          if (p.buffer !== q.buffer || !(p.start < q.end && q.start < p.end)) continue;
          p.start = Math.min(p.start, q.start);
          p.end = Math.max(p.end, q.end);
          p.copyIn ||= q.copyIn;
          p.copyBack ||= q.copyBack;
          for (let k = 0; k < argRegion.length; k++) if (argRegion[k] === q) argRegion[k] = p;
          regions.splice(j, 1);
          merged = true;
        }
      }
    }
    for (const r of regions) {
      r.at = bytes;
      bytes += (r.end - r.start + 63) & ~63;
    }
    if (bytes > 0) {
      ensureArena(bytes);
      view();
    }
    for (const r of regions) {
      r.at += arena;
      if (r.copyIn) heap.set(new Uint8Array(r.buffer, r.start, r.end - r.start), r.at);
    }
    let strings = arena;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const s = argsPtr + i * SLOT;
      const i32 = s >> 2;
      heapI32[i32 + 1] = 0;
      heapI32[i32 + 2] = 0;
      heapI32[i32 + 3] = 0;
      heapF64[(s + 16) >> 3] = 0;
      if (lists.has(i)) {
        heapI32[i32] = K_ARRAY;
        heapI32[i32 + 2] = lists.get(i)!;
        heapI32[i32 + 3] = (a as Arg[]).length;
      } else if (a === undefined) heapI32[i32] = K_UNDEFINED;
      else if (a === null) heapI32[i32] = K_NULL;
      else if (typeof a === 'boolean') {
        heapI32[i32] = K_BOOL;
        heapF64[(s + 16) >> 3] = a ? 1 : 0;
      } else if (typeof a === 'number') {
        heapI32[i32] = K_NUMBER;
        heapF64[(s + 16) >> 3] = a;
      } else if (typeof a === 'string') {
        const enc = encoder.encode(a);
        heap.set(enc, strings);
        heapI32[i32] = K_STRING;
        heapI32[i32 + 2] = strings;
        heapI32[i32 + 3] = enc.length;
        strings += enc.length;
      } else if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
        const r = argRegion[i];
        heapI32[i32] = K_TYPEDARRAY;
        heapI32[i32 + 1] = typeCode(a);
        heapI32[i32 + 2] = r ? r.at + (a.byteOffset - r.start) : a.byteOffset;
        heapI32[i32 + 3] = (a as ArrayArg).length;
      } else {
        throw new TypeError(`tsgluon wasm: ${name}: argument ${i} has an unsupported type (${typeof a})`);
      }
    }
    exports.tsg_call(index, given.length);
    view();
    const kind = heapI32[resultPtr >> 2]!;
    const ptr = heapI32[(resultPtr >> 2) + 2]! >>> 0, len = heapI32[(resultPtr >> 2) + 3]! >>> 0;
    if (kind === -1) throw new TypeError(text(ptr, len));
    const num = heapF64[(resultPtr + 16) >> 3]!;
    const result = kind === K_BOOL ? num !== 0 : kind === K_NUMBER ? num : kind === K_STRING ? text(ptr, len) : undefined;
    if (result !== false) {
      for (const r of regions) if (r.copyBack) new Uint8Array(r.buffer, r.start, r.end - r.start).set(heap.subarray(r.at, r.at + r.end - r.start));
    }
    return result;
  }

  const addon: Record<string, unknown> = {};
  description.functions.forEach((name, index) => {
    addon[name] = (...args: Arg[]) => call(index, name, args);
  });
  for (const [name, value] of Object.entries(description.values)) addon[name] = value;
  addon['memoryBytes'] = () => memory.buffer.byteLength;
  return addon as unknown as WasmAddon;
}
