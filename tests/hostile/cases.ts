/**
 * What the hostile suite calls, and with what. Targets are discovered at run time, so an op or a
 * layer added later is covered without editing this file: every function of `nd` and
 * `nd.random`, every NDArray method, the IDX and safetensors readers, and every class of `nn`,
 * `gluon.loss`, `gluon.data`, `init`, `optimizer`, `lrScheduler`, `metric` and the Gluon core
 * (constructed, then driven once: a forward, a step, an iteration). Each argument is generated
 * from the parameter's name in the function's source (`shape`, `axis`, `options`...), mostly
 * near-valid so that calls reach deep code, sometimes plain junk.
 */
import fc from 'fast-check';
import * as lib from '../../src/index.js';
import { PATH_KINDS, type Fill, type NdFlag, type NumSpec, type Spec } from './spec.js';

/** How the child reaches and drives a target. */
export interface Target {
  /** Printable id, e.g. `nd.pad`, `x.pad()`, `new nn.Conv2D`. */
  readonly id: string;
  readonly kind: 'call' | 'method' | 'construct';
  /** Property path from the library's index (for a method: the method name). */
  readonly path: readonly string[];
  /** Parameter names, from the function's source ("...rest" marks a rest parameter). */
  readonly params: readonly string[];
  /** Names an error may start with: the function the user called (and, for classes, aliases). */
  readonly labels: readonly string[];
}

/** One generated call: the target's id, its arguments and the inputs of the drive step. */
export interface Case {
  readonly target: string;
  readonly args: Spec[];
  readonly drive: Spec[];
}

/** Any function or class, as far as reading its source goes. */
type AnyFn = (...args: never[]) => unknown;

/** Parameter names as the function's source spells them (the text before the body). */
export function paramNames(fn: AnyFn): string[] {
  // fn.toString(): a public op's wrapper shows the wrapped function's source.
  const src = String(fn);
  const m = /^(?:async\s+)?(?:function\s*\*?\s*[\w$]*\s*)?\(([^)]*)\)/.exec(src) ?? /^([\w$]+)\s*=>/.exec(src);
  return m === null ? [] : splitParams(m[1]!);
}

function splitParams(text: string): string[] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => (p.startsWith('...') ? `...${p.slice(3).split(/[=\s]/)[0]}` : p.split(/[=\s]/)[0]!));
}

/** The parameters of a class's constructor, looked up the prototype chain. */
function constructorParams(cls: AnyFn): string[] {
  for (let c: AnyFn | null = cls; c !== null && c !== Function.prototype; c = Object.getPrototypeOf(c) as AnyFn | null) {
    const m = /\bconstructor\s*\(([^)]*)\)/.exec(Function.prototype.toString.call(c));
    if (m !== null) return splitParams(m[1]!);
  }
  return [];
}

const isClass = (v: unknown): v is AnyFn => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));

/** Every target, in a stable order. */
export function discoverTargets(): Target[] {
  const out: Target[] = [];
  // A namespace may be missing when the suite runs against an older checkout (npm run soak -- --only).
  const fns = (prefix: string[], labelPrefix: string, ns: Record<string, unknown> | undefined, extra: string[] = []) => {
    for (const [name, v] of Object.entries(ns ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (typeof v !== 'function' || isClass(v)) continue;
      out.push({ id: `${prefix.join('.')}.${name}`, kind: 'call', path: [...prefix, name], params: paramNames(v as AnyFn), labels: [`${labelPrefix}${name}`, ...extra] });
    }
  };
  fns(['nd'], '', lib.nd as unknown as Record<string, unknown>);
  fns(['nd', 'random'], 'random.', lib.nd.random as unknown as Record<string, unknown>);
  // File-format readers name the file (the path or source the caller gave, added by the child)
  // or the format, as their errors always have.
  fns(['idx'], '', lib.idx as unknown as Record<string, unknown>, ['IDX data']);
  fns(['safetensors'], '', lib.safetensors as unknown as Record<string, unknown>, ['safetensors']);
  fns(['mxnetParams'], '', lib.mxnetParams as unknown as Record<string, unknown>, ['MXNet .params']);
  fns(['symbolJson'], '', lib.symbolJson as unknown as Record<string, unknown>, ['MXNet symbol JSON']);
  fns(['gluon', 'data', 'text'], '', lib.gluon.data.text as unknown as Record<string, unknown>);
  const proto = lib.nd.NDArray.prototype as unknown as Record<string, unknown>;
  const ndFns = lib.nd as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto).sort()) {
    const d = Object.getOwnPropertyDescriptor(proto, name)!;
    if (name === 'constructor' || typeof d.value !== 'function') continue;
    const twin = ndFns[name];
    const params = typeof twin === 'function' ? paramNames(twin as AnyFn).slice(1) : paramNames(d.value as AnyFn);
    out.push({ id: `x.${name}()`, kind: 'method', path: [name], params, labels: [name] });
  }
  const classes = (prefix: string[], ns: Record<string, unknown> | undefined) => {
    for (const [name, v] of Object.entries(ns ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (!isClass(v) || v.prototype instanceof Error || v === Error) continue;
      out.push({ id: `new ${[...prefix, name].join('.')}`, kind: 'construct', path: [...prefix, name], params: constructorParams(v), labels: [...new Set([name, v.name])] });
    }
  };
  classes(['nn'], lib.nn as unknown as Record<string, unknown>);
  classes(['gluon', 'loss'], lib.gluon.loss as unknown as Record<string, unknown>);
  classes(['gluon', 'data'], lib.gluon.data as unknown as Record<string, unknown>);
  classes(['gluon', 'data', 'vision'], lib.gluon.data.vision as unknown as Record<string, unknown>);
  classes(['gluon', 'data', 'text'], lib.gluon.data.text as unknown as Record<string, unknown>);
  classes(['gluon', 'rnn'], lib.gluon.rnn as unknown as Record<string, unknown>);
  classes(['init'], lib.init as unknown as Record<string, unknown>);
  classes(['optimizer'], lib.optimizer as unknown as Record<string, unknown>);
  classes(['lrScheduler'], lib.lrScheduler as unknown as Record<string, unknown>);
  classes(['metric'], lib.metric as unknown as Record<string, unknown>);
  const core = lib.gluon as unknown as Record<string, unknown>;
  classes(['gluon'], { Parameter: core['Parameter'], ParameterDict: core['ParameterDict'], Constant: core['Constant'], Trainer: core['Trainer'] });
  return out;
}

// ---- values ----------------------------------------------------------------------------------

const BIG_INTS = [2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 33, 2 ** 40, 1e8, 3e8, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 1e4];
const SPECIAL: NumSpec[] = ['NaN', 'Inf', '-Inf', '-0', 0.5, -0.5, 1e-300, 1e308, -1, 1.5];

const n = (v: number): Spec => ['num', v];
const smallInt = fc.integer({ min: -2, max: 6 }).map(n);
const bigInt = fc.constantFrom(...BIG_INTS).map(n);
const special = fc.constantFrom(...SPECIAL).map((v): Spec => ['num', v]);

/** Numbers: mostly small integers, then huge ones, then NaN, infinities, fractions. */
export const numArb: fc.Arbitrary<Spec> = fc.oneof({ arbitrary: smallInt, weight: 6 }, { arbitrary: bigInt, weight: 2 }, { arbitrary: special, weight: 2 });

const SAFE_CHARS = 'abcdefgxyzAB019_- $';
const strArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.constantFrom('', 'float32', 'int32', 'edge', 'reflect', 'max', 'avg', 'relu', 'NCHW', 'keep', 'rollover', 'discard', '__proto__', 'constructor', 'toString', 'str', 'xavier', 'adam', '0', '-1', 'NaN'),
  fc.string({ unit: fc.constantFrom(...SAFE_CHARS), maxLength: 8 }),
).map((s): Spec => ['str', s]);

/** Values nobody should pass anywhere. */
export const junkArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.constant<Spec>(['null']),
  fc.constant<Spec>(['undef']),
  strArb,
  fc.boolean().map((b): Spec => ['bool', b]),
  fc.constantFrom('5', '-1', '9007199254740993').map((b): Spec => ['big', b]),
  fc.constant<Spec>(['sym']),
  fc.constant<Spec>(['fn']),
  fc.constant<Spec>(['fake']),
  fc.constant<Spec>(['fakeProto']),
  fc.constantFrom(1, 2, 3).map((k): Spec => ['holey', k + 1, n(1)]),
  fc.constantFrom(100, 10_000).map((d): Spec => ['deep', d]),
  fc.constant<Spec>(['obj', [['length', n(3)]]]),
  fc.constantFrom('Float32Array', 'Int16Array', 'BigInt64Array', 'Uint8ClampedArray').map((t): Spec => ['typed', t, 4]),
  numArb,
);

const DTYPES = ['float32', 'float64', 'int32', 'uint8'];
const dtypeArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: fc.constantFrom(...DTYPES).map((d): Spec => ['str', d]), weight: 8 },
  { arbitrary: fc.constantFrom('float16', 'bool', 'int8', '').map((d): Spec => ['str', d]), weight: 1 },
  { arbitrary: junkArb, weight: 1 },
);

/** Zero-element shapes whose other dimensions are huge: they must cost O(1). */
const HUGE_EMPTY: number[][] = [[2 ** 40, 0], [0, 2 ** 31], [2 ** 31, 0], [2 ** 20, 0, 2 ** 20], [2 ** 40, 2, 0], [0, 2 ** 33, 3], [1, 2 ** 40, 0, 2]];

const ndSpec = (shape: number[], dtype: string, fill: Fill, flag: NdFlag): Spec => ['nd', shape, dtype, fill, flag];
const fillArb = fc.constantFrom<Fill>('zeros', 'seq', 'rand', 'rand', 'nan', 'neg', 'big');
const flagArb = fc.oneof({ arbitrary: fc.constant<NdFlag>('none'), weight: 7 }, { arbitrary: fc.constantFrom<NdFlag>('shapeOnly', 'grad', 'view'), weight: 3 });
const dtArb = fc.oneof({ arbitrary: fc.constant('float32'), weight: 5 }, { arbitrary: fc.constantFrom('float64', 'int32', 'uint8'), weight: 3 });
const smallShape = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });
const convShape = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 })).map(([b, c, s]) => [b, c, ...s]);

/** Real NDArrays: small ones of every dtype, zero-element ones with huge dimensions, huge shape-only ones. */
export const ndArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: fc.tuple(smallShape, dtArb, fillArb, flagArb).map(([s, d, f, g]) => ndSpec(s, d, f, g)), weight: 6 },
  { arbitrary: fc.tuple(convShape, dtArb, fillArb, flagArb).map(([s, d, f, g]) => ndSpec(s, d, f, g)), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(...HUGE_EMPTY), dtArb).map(([s, d]) => ndSpec([...s], d, 'zeros', 'none')), weight: 2 },
  { arbitrary: fc.constantFrom([2 ** 40, 3], [2 ** 31, 2 ** 31], [3, 2 ** 33]).map((s) => ndSpec([...s], 'float32', 'zeros', 'shapeOnly')), weight: 1 },
);

const dimArb = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 5 }).map(n), weight: 8 }, { arbitrary: bigInt, weight: 2 }, { arbitrary: special, weight: 1 });
/** Shapes: short lists of (mostly small) dimensions, a few huge or invalid ones, 0-d and 40-d. */
export const shapeArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: fc.array(dimArb, { minLength: 0, maxLength: 5 }).map((d): Spec => ['list', d]), weight: 8 },
  { arbitrary: fc.constantFrom(...HUGE_EMPTY).map((s): Spec => ['list', s.map(n)]), weight: 2 },
  { arbitrary: fc.constant<Spec>(['list', new Array<Spec>(40).fill(n(1))]), weight: 1 },
  { arbitrary: dimArb, weight: 2 },
  { arbitrary: junkArb, weight: 1 },
);

const axisArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: fc.integer({ min: -4, max: 4 }).map(n), weight: 6 },
  { arbitrary: fc.array(fc.integer({ min: -4, max: 4 }).map(n), { maxLength: 4 }).map((l): Spec => ['list', l]), weight: 3 },
  { arbitrary: fc.constant<Spec>(['null']), weight: 1 },
  { arbitrary: fc.constant<Spec>(['holey', 2, n(1)]), weight: 1 },
  { arbitrary: fc.oneof(bigInt, special, junkArb), weight: 1 },
);

/** Counts: one integer, a list, or a list of pairs (pad widths). */
const countsArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: numArb, weight: 4 },
  { arbitrary: fc.array(numArb, { maxLength: 6 }).map((l): Spec => ['list', l]), weight: 4 },
  { arbitrary: fc.array(fc.tuple(numArb, numArb).map(([a, b]): Spec => ['list', [a, b]]), { maxLength: 4 }).map((l): Spec => ['list', l]), weight: 2 },
);

const spatialArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: numArb, weight: 3 },
  { arbitrary: fc.array(numArb, { minLength: 1, maxLength: 3 }).map((l): Spec => ['list', l]), weight: 3 },
);

const boolArb: fc.Arbitrary<Spec> = fc.oneof({ arbitrary: fc.boolean().map((b): Spec => ['bool', b]), weight: 8 }, { arbitrary: junkArb, weight: 1 });
const pathArb: fc.Arbitrary<Spec> = fc.constantFrom(...PATH_KINDS).map((k): Spec => ['path', k]);
const arrayListArb: fc.Arbitrary<Spec> = fc.array(ndArb, { minLength: 0, maxLength: 3 }).map((l): Spec => ['list', l]);
const initArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.constantFrom('zeros', 'ones', 'xavier', 'normal', 'uniform', 'msraprelu', 'orthogonal').map((s): Spec => ['initializer', s]),
  fc.constantFrom('zeros', 'xavier', 'nope').map((s): Spec => ['str', s]),
  junkArb,
);

const STRINGS: Record<string, string[]> = {
  mode: ['constant', 'edge', 'reflect', 'symmetric', 'clip', 'wrap', 'raise', 'instance', 'channel', 'nope'],
  poolType: ['max', 'avg', 'sum', 'lp', 'nope'],
  activation: ['relu', 'sigmoid', 'tanh', 'softrelu', 'softsign', 'nope'],
  layout: ['NCW', 'NCHW', 'NCDHW', 'NHWC', 'nope'],
  lastBatch: ['keep', 'discard', 'rollover', 'nope'],
  approximation: ['erf', 'tanh', 'nope'],
  gradReq: ['write', 'add', 'null', 'nope'],
  warmupMode: ['linear', 'constant', 'nope'],
  poolingConvention: ['valid', 'full', 'same', 'nope'],
  rndType: ['uniform', 'gaussian', 'nope'],
  factorType: ['avg', 'in', 'out', 'nope'],
  optimizer: ['sgd', 'adam', 'nag', 'rmsprop', 'adagrad', 'nope'],
};
const BOOL_KEYS = new Set([
  'keepdims', 'squeezeAxis', 'endpoint', 'transposeA', 'transposeB', 'flatten', 'globalPool', 'countIncludePad', 'ceilMode', 'useBias',
  'center', 'scale', 'shuffle', 'centered', 'nesterov', 'fromLogits', 'sparseLabel', 'train', 'download', 'differentiable',
  'allowDeferredInit', 'sparseGrad', 'gzip', 'forceReinit', 'useGlobalStats', 'noBias', 'ignoreStale', 'strict', 'allowMissing', 'ignoreExtra',
]);
const SPATIAL_KEYS = new Set(['kernel', 'stride', 'pad', 'dilation', 'adj', 'strides', 'padding', 'outputPadding', 'poolSize', 'outputSize', 'targetShape', 'step']);
const ARRAY_KEYS = new Set(['weight', 'bias', 'like', 'sampleWeight', 'value']);

/** An options object: up to four keys the ops and layers read, each with a value of its kind. */
function optionsArb(keys: readonly string[]): fc.Arbitrary<Spec> {
  const valueFor = (k: string): fc.Arbitrary<Spec> => {
    if (k in STRINGS) return fc.oneof({ arbitrary: fc.constantFrom(...STRINGS[k]!).map((s): Spec => ['str', s]), weight: 8 }, { arbitrary: junkArb, weight: 1 });
    if (BOOL_KEYS.has(k)) return boolArb;
    if (SPATIAL_KEYS.has(k)) return spatialArb;
    if (ARRAY_KEYS.has(k)) return fc.oneof(ndArb, numArb);
    if (k === 'axis' || k === 'axes') return axisArb;
    if (k === 'dtype') return dtypeArb;
    if (k === 'shape' || k === 'inputShape') return shapeArb;
    if (k === 'generator') return fc.oneof(fc.constant<Spec>(['gen']), junkArb);
    if (k === 'root') return pathArb;
    if (k === 'weightInitializer' || k === 'biasInitializer' || k === 'init' || k === 'gammaInitializer' || k === 'betaInitializer') return initArb;
    if (k === 'metadata') return fc.oneof(fc.constant<Spec>(['obj', [['a', ['str', 'b']]]]), fc.constant<Spec>(['obj', [['a', n(1)]]]), junkArb);
    if (k === 'sampler' || k === 'batchSampler' || k === 'batchify' || k === 'transform' || k === 'lrScheduler') return junkArb;
    if (k === 'params') return fc.oneof(fc.constantFrom<Spec>(['params', 'dense'], ['params', 'empty']), junkArb);
    return numArb;
  };
  const obj = fc
    .uniqueArray(fc.constantFrom(...keys), { maxLength: 4 })
    .chain((ks) => fc.tuple(...ks.map((k) => valueFor(k).map((v): [string, Spec] => [k, v]))))
    .map((entries): Spec => ['obj', entries]);
  return fc.oneof({ arbitrary: obj, weight: 9 }, { arbitrary: junkArb, weight: 1 });
}

const OP_KEYS = [
  'axis', 'keepdims', 'dtype', 'mode', 'constantValue', 'kernel', 'stride', 'pad', 'dilation', 'numGroup', 'numFilter', 'depth', 'onValue',
  'offValue', 'squeezeAxis', 'endpoint', 'shape', 'low', 'high', 'loc', 'scale', 'generator', 'ord', 'temperature', 'transposeA',
  'transposeB', 'flatten', 'poolType', 'globalPool', 'countIncludePad', 'poolingConvention', 'adj', 'targetShape', 'metadata', 'gzip', 'step',
  'ceilMode',
];
const LAYER_KEYS = [
  'units', 'inUnits', 'activation', 'useBias', 'flatten', 'dtype', 'weightInitializer', 'biasInitializer', 'prefix', 'params', 'strides',
  'padding', 'dilation', 'groups', 'layout', 'inChannels', 'outputPadding', 'poolSize', 'ceilMode', 'countIncludePad', 'momentum', 'epsilon',
  'center', 'scale', 'axis', 'numGroups', 'inputDim', 'outputDim', 'alpha', 'beta', 'approximation', 'rate', 'axes', 'batchSize', 'shuffle',
  'sampler', 'batchSampler', 'lastBatch', 'batchify', 'learningRate', 'wd', 'beta1', 'beta2', 'clipGradient', 'rescaleGrad', 'lrScheduler',
  'gamma1', 'gamma2', 'centered', 'clipWeights', 'nesterov', 'sparseLabel', 'fromLogits', 'weight', 'batchAxis', 'rho', 'margin', 'step',
  'factor', 'stopFactorLr', 'baseLr', 'warmupSteps', 'warmupBeginLr', 'warmupMode', 'maxUpdate', 'finalLr', 'pwr', 'topK', 'name', 'root',
  'train', 'transform', 'download', 'init', 'shape', 'gradReq', 'allowDeferredInit', 'differentiable', 'magnitude', 'rndType', 'factorType',
  'sigma', 'slope', 'lrMult', 'wdMult', 'gain', 'useGlobalStats', 'runningMeanInitializer', 'gammaInitializer', 'betaInitializer', 'optimizer',
  'hiddenSize', 'numLayers', 'bidirectional', 'inputSize', 'dropout', 'projectionSize', 'i2hWeightInitializer', 'h2hWeightInitializer',
  'minFreq', 'maxSize', 'reservedTokens', 'numSteps', 'maxTokens', 'useRandomIter', 'token', 'lowercase',
];
const opOptions = optionsArb(OP_KEYS);
const layerOptions = optionsArb(LAYER_KEYS);

const ARRAY_PARAMS = new Set(['x', 'a', 'b', 'weight', 'bias', 'like', 'indices', 'index', 'condition', 'y', 'data', 'label', 'pred', 'input', 'images', 'labels', 'g']);
const NUMBER_PARAMS = new Set([
  'start', 'stop', 'step', 'num', 'n', 'm', 'k', 'depth', 'min', 'max', 'units', 'channels', 'rate', 'alpha', 'beta', 'inputDim', 'outputDim',
  'batchSize', 'length', 'sigma', 'scale', 'numUpdate', 'transposed', 'axis1', 'axis2', 'dim', 'hiddenSize', 'numLayers', 'numSteps', 'length',
]);

/** The arbitrary of one parameter, chosen by its name. */
function paramArb(name: string, target: Target): fc.Arbitrary<Spec> {
  const bare = name.replace(/^\.\.\./, '');
  const layer = target.kind === 'construct';
  let main: fc.Arbitrary<Spec>;
  if (bare === 'options' || bare === 'optimizerParams') main = layer ? layerOptions : opOptions;
  else if (bare === 'arrays') main = target.path.at(-1) === 'save' || target.path.at(-1) === 'saveBytes' ? fc.oneof(arrayListArb, ndArb.map((x): Spec => ['obj', [['w', x]]])) : arrayListArb;
  else if (ARRAY_PARAMS.has(bare)) main = layer && (bare === 'weight' || bare === 'label') ? numArb : ndArb;
  else if (bare === 'value') main = fc.oneof(ndArb, numArb);
  else if (bare === 'shape' || bare === 'shapeOrDim' || bare === 'outputSize' || bare === 'rest') main = shapeArb;
  else if (bare === 'axis' || bare === 'axes' || bare === 'axisOrOptions') main = fc.oneof(axisArb, opOptions);
  else if (bare === 'dtype') main = dtypeArb;
  else if (bare === 'sections' || bare === 'repeats' || bare === 'reps' || bare === 'padWidth' || bare === 'begin' || bare === 'end') main = countsArb;
  else if (bare === 'kernelSize' || bare === 'poolSize') main = spatialArb;
  else if (bare === 'path' || bare === 'root') main = pathArb;
  else if (bare === 'bytes') main = fc.oneof(fc.constantFrom(0, 8, 64).map((k): Spec => ['typed', 'Uint8Array', k]), junkArb);
  else if (bare === 'source' || bare === 'name' || bare === 'prefix' || bare === 'activation' || bare === 'poolType' || bare === 'lastBatch') {
    main = fc.oneof(strArb, fc.constantFrom(...(STRINGS[bare] ?? ['relu', 'max', 'keep'])).map((s): Spec => ['str', s]));
  } else if (bare === 'params') main = fc.constantFrom<Spec>(['params', 'dense'], ['params', 'empty'], ['params', 'uninit']);
  else if (bare === 'optimizer') main = fc.oneof(fc.constantFrom(...STRINGS['optimizer']!).map((s): Spec => ['str', s]), junkArb);
  else if (bare === 'sampler') main = fc.oneof(fc.constant<Spec>(['list', [n(0), n(1), n(2)]]), junkArb);
  else if (bare === 'dataset') main = fc.oneof(fc.constantFrom(0, 1, 5).map((k): Spec => ['dataset', k]), arrayListArb);
  else if (bare === 'items' || bare === 'metrics' || bare === 'patterns' || bare === 'initializers') main = fc.oneof(arrayListArb, fc.array(strArb, { maxLength: 3 }).map((l): Spec => ['list', l]));
  else if (bare === 'fn' || bare === 'transform') main = fc.oneof(fc.constant<Spec>(['fn']), fc.constantFrom('relu', 'exp', 'nope', 'reshape').map((s): Spec => ['str', s]));
  else if (bare === 'generator' || bare === 'g') main = fc.constant<Spec>(['gen']);
  else if (NUMBER_PARAMS.has(bare)) main = numArb;
  else main = fc.oneof(ndArb, numArb, shapeArb, opOptions);
  return fc.oneof({ arbitrary: main, weight: 9 }, { arbitrary: junkArb, weight: 1 });
}

/** Arguments for a target: one per parameter (rest parameters get 0 to 3), sometimes one short. */
export function caseArb(target: Target): fc.Arbitrary<Case> {
  const parts = target.params.map((p) =>
    p.startsWith('...') ? fc.array(paramArb(p, target), { maxLength: 3 }) : paramArb(p, target).map((s) => [s]),
  );
  const args = fc.tuple(...parts).map((lists) => lists.flat());
  const trimmed = fc.tuple(args, fc.integer({ min: 0, max: 9 })).map(([a, r]) => (r === 0 && a.length > 0 ? a.slice(0, -1) : a));
  const self = target.kind === 'method' ? ndArb.map((s) => [s]) : fc.constant<Spec[]>([]);
  const drive = fc.tuple(ndArb, ndArb, numArb);
  return fc.tuple(self, trimmed, drive).map(([s, a, d]) => ({ target: target.id, args: [...s, ...a], drive: d }));
}

/** `runs` cases per target, reproducible from `seed`. */
export function generateCases(targets: readonly Target[], runs: number, seed: number): Case[] {
  const out: Case[] = [];
  targets.forEach((t, i) => out.push(...fc.sample(caseArb(t), { numRuns: runs, seed: seed + i * 7919 })));
  return out;
}
