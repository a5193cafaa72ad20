// The layer table: for every conv / pooling / normalization / embedding / advanced activation /
// recurrent layer (and attention's positional encoding), output shapes for several inputs
// (data-free, through inferShape on shape-only arrays and checked against a real forward),
// parameter names and shapes after inference, a hand-computed small forward, a float64
// finite-difference check of the gradients with respect to the input and every trainable
// parameter, the same forward and gradients hybridized (bit for bit), and the error for a wrong
// channel count after inference. Multi-input blocks (attention, cells with states) are checked
// the same way in hybridize-rnn.test.ts.
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, autograd, gluon, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';

type Nested = number | Nested[];

interface LayerRow {
  readonly name: string;
  readonly make: () => gluon.Block;
  /** [input shape, expected output shape] pairs; the first one is used for inference. */
  readonly shapes: readonly (readonly [readonly number[], readonly number[]])[];
  /** Expected parameters after inference: structural key -> [display name, shape]. */
  readonly params: Readonly<Record<string, readonly [string, readonly number[]]>>;
  /** A small forward: input, parameter values to set (by key), expected output. */
  readonly forward: { x: Nested; set?: Record<string, Nested>; expected: Nested; train?: boolean; intInput?: boolean };
  /** Input shape for the gradient check (default: the first shape); false to skip (integer input). */
  readonly gradShape?: readonly number[] | false;
  /** Gradients in training mode (batch statistics). */
  readonly gradTrain?: boolean;
  /** A valid input shape and one with a wrong channel count, for the mismatch error. */
  readonly mismatch?: readonly [readonly number[], readonly number[]];
}

const f64 = (v: Nested) => nd.array(v, { dtype: 'float64' });

const E = Math.E;
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const SELU_A = 1.6732632423543772;
const SELU_S = 1.0507009873554805;

const rows: LayerRow[] = [
  {
    name: 'Conv2D(1, 2) deferred inChannels',
    make: () => new nn.Conv2D(1, 2, { dtype: 'float64' }),
    shapes: [[[1, 1, 3, 3], [1, 1, 2, 2]], [[4, 1, 5, 7], [4, 1, 4, 6]]],
    params: { weight: ['conv0_weight', [1, 1, 2, 2]], bias: ['conv0_bias', [1]] },
    forward: { x: [[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]]], set: { weight: [[[[1, 0], [0, 1]]]], bias: [1] }, expected: [[[[5, 7], [11, 13]]]] },
    mismatch: [[1, 1, 3, 3], [1, 2, 3, 3]],
  },
  {
    name: 'Conv2D(4, 3) strides 2, padding 1, dilation, groups 2, relu',
    make: () => new nn.Conv2D(4, 3, { strides: 2, padding: 1, groups: 2, activation: 'relu', dtype: 'float64' }),
    shapes: [[[2, 6, 5, 5], [2, 4, 3, 3]], [[1, 6, 8, 9], [1, 4, 4, 5]], [[3, 6, 1, 1], [3, 4, 1, 1]]],
    params: { weight: ['conv0_weight', [4, 3, 3, 3]], bias: ['conv0_bias', [4]] },
    forward: {
      x: [[[[1]], [[2]], [[3]], [[-4]], [[5]], [[6]]]],
      set: { weight: nd.ones([4, 3, 3, 3]).toArray() as Nested, bias: [0, 0, 0, -20] },
      // 1x1 input with padding 1: only the kernel's centre tap sees it; groups sum channels 0-2 and 3-5.
      expected: [[[[6]], [[6]], [[7]], [[0]]]],
    },
    gradShape: [1, 6, 4, 4],
    mismatch: [[2, 6, 5, 5], [2, 4, 5, 5]],
  },
  {
    name: 'Conv1D(1, 3)',
    make: () => new nn.Conv1D(1, 3, { dtype: 'float64' }),
    shapes: [[[1, 1, 5], [1, 1, 3]], [[2, 1, 10], [2, 1, 8]]],
    params: { weight: ['conv0_weight', [1, 1, 3]], bias: ['conv0_bias', [1]] },
    forward: { x: [[[1, 2, 3, 4, 5]]], set: { weight: [[[1, 0, -1]]], bias: [0] }, expected: [[[-2, -2, -2]]] },
    mismatch: [[1, 1, 5], [1, 3, 5]],
  },
  {
    name: 'Conv3D(2, 1) without bias',
    make: () => new nn.Conv3D(2, 1, { useBias: false, dtype: 'float64' }),
    shapes: [[[1, 1, 2, 2, 2], [1, 2, 2, 2, 2]], [[2, 1, 3, 1, 4], [2, 2, 3, 1, 4]]],
    params: { weight: ['conv0_weight', [2, 1, 1, 1, 1]] },
    forward: { x: [[[[[1, 2]], [[3, 4]]]]], set: { weight: [[[[[2]]]], [[[[-1]]]]] }, expected: [[[[[2, 4]], [[6, 8]]], [[[-1, -2]], [[-3, -4]]]]] },
    gradShape: [1, 1, 2, 2, 2],
    mismatch: [[1, 1, 2, 2, 2], [1, 2, 2, 2, 2]],
  },
  {
    name: 'Conv2DTranspose(1, 2) strides 2',
    make: () => new nn.Conv2DTranspose(1, 2, { strides: 2, dtype: 'float64' }),
    shapes: [[[1, 1, 2, 2], [1, 1, 4, 4]], [[2, 1, 3, 5], [2, 1, 6, 10]]],
    params: { weight: ['conv0_weight', [1, 1, 2, 2]], bias: ['conv0_bias', [1]] },
    forward: {
      x: [[[[1, 2], [3, 4]]]],
      set: { weight: [[[[1, 1], [1, 1]]]], bias: [0] },
      expected: [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]],
    },
    mismatch: [[1, 1, 2, 2], [1, 3, 2, 2]],
  },
  {
    name: 'Conv2DTranspose(4, 3) strides 2, padding 1, outputPadding 1 doubles H and W',
    make: () => new nn.Conv2DTranspose(4, 3, { strides: 2, padding: 1, outputPadding: 1, dtype: 'float64' }),
    shapes: [[[1, 3, 4, 4], [1, 4, 8, 8]], [[2, 3, 7, 5], [2, 4, 14, 10]]],
    params: { weight: ['conv0_weight', [3, 4, 3, 3]], bias: ['conv0_bias', [4]] },
    forward: {
      x: [[[[2]], [[0]], [[0]]]],
      set: { weight: nd.ones([3, 4, 3, 3]).toArray() as Nested, bias: [0, 1, 2, 3] },
      // One input cell at position 0: the kernel's taps (0..2) - padding 1 land on outputs -1..1.
      expected: [[0, 1, 2, 3].map((b) => [[2 + b, 2 + b], [2 + b, 2 + b]])],
    },
    gradShape: [1, 3, 2, 2],
    mismatch: [[1, 3, 4, 4], [1, 2, 4, 4]],
  },
  {
    name: 'Conv1DTranspose(1, 3) strides 2',
    make: () => new nn.Conv1DTranspose(1, 3, { strides: 2, dtype: 'float64' }),
    shapes: [[[1, 1, 2], [1, 1, 5]], [[3, 1, 4], [3, 1, 9]]],
    params: { weight: ['conv0_weight', [1, 1, 3]], bias: ['conv0_bias', [1]] },
    forward: { x: [[[1, 2]]], set: { weight: [[[1, 1, 1]]], bias: [0.5] }, expected: [[[1.5, 1.5, 3.5, 2.5, 2.5]]] },
    mismatch: [[1, 1, 2], [1, 2, 2]],
  },
  {
    name: 'Conv2D(1, 2) channels last (NHWC): weight (O, kH, kW, I)',
    make: () => new nn.Conv2D(1, 2, { layout: 'NHWC', dtype: 'float64' }),
    shapes: [[[1, 3, 3, 1], [1, 2, 2, 1]], [[4, 5, 7, 3], [4, 4, 6, 1]]],
    params: { weight: ['conv0_weight', [1, 2, 2, 1]], bias: ['conv0_bias', [1]] },
    forward: { x: [[[[0], [1], [2]], [[3], [4], [5]], [[6], [7], [8]]]], set: { weight: [[[[1], [0]], [[0], [1]]]], bias: [1] }, expected: [[[[5], [7]], [[11], [13]]]] },
    gradShape: [2, 3, 4, 3],
    mismatch: [[1, 3, 3, 2], [1, 3, 3, 3]],
  },
  {
    name: 'MaxPool2D() channels last (NHWC)',
    make: () => new nn.MaxPool2D(2, { layout: 'NHWC' }),
    shapes: [[[1, 4, 4, 1], [1, 2, 2, 1]], [[2, 5, 7, 3], [2, 2, 3, 3]]],
    params: {},
    forward: { x: nd.arange(0, 16).reshape([1, 4, 4, 1]).toArray() as Nested, expected: [[[[5], [7]], [[13], [15]]]] },
  },
  {
    name: 'ReflectionPad2D(1) mirrors without repeating the border',
    make: () => new nn.ReflectionPad2D(1),
    shapes: [[[1, 1, 2, 3], [1, 1, 4, 5]], [[2, 3, 5, 5], [2, 3, 7, 7]]],
    params: {},
    forward: { x: [[[[1, 2, 3], [4, 5, 6]]]], expected: [[[[5, 4, 5, 6, 5], [2, 1, 2, 3, 2], [5, 4, 5, 6, 5], [2, 1, 2, 3, 2]]]] },
  },
  {
    name: 'ReflectionPad2D([top, bottom, left, right]) = [0, 1, 2, 0]',
    make: () => new nn.ReflectionPad2D([0, 1, 2, 0]),
    shapes: [[[1, 1, 2, 3], [1, 1, 3, 5]]],
    params: {},
    forward: { x: [[[[1, 2, 3], [4, 5, 6]]]], expected: [[[[3, 2, 1, 2, 3], [6, 5, 4, 5, 6], [3, 2, 1, 2, 3]]]] },
  },
  {
    name: 'MaxPool2D() default 2x2, strides = pool size',
    make: () => new nn.MaxPool2D(),
    shapes: [[[1, 1, 4, 4], [1, 1, 2, 2]], [[2, 3, 5, 7], [2, 3, 2, 3]]],
    params: {},
    forward: { x: nd.arange(0, 16).reshape([1, 1, 4, 4]).toArray() as Nested, expected: [[[[5, 7], [13, 15]]]] },
  },
  {
    name: 'MaxPool2D(3) strides 2 padding 1 ceilMode',
    make: () => new nn.MaxPool2D(3, { strides: 2, padding: 1, ceilMode: true }),
    shapes: [[[1, 1, 4, 4], [1, 1, 3, 3]], [[1, 2, 112, 112], [1, 2, 57, 57]], [[1, 1, 5, 5], [1, 1, 3, 3]]],
    params: {},
    forward: {
      x: nd.arange(0, 16).reshape([1, 1, 4, 4]).toArray() as Nested,
      // Windows rows/cols [-1..1], [1..3], [3..5] clipped to the 4x4 input.
      expected: [[[[5, 7, 7], [13, 15, 15], [13, 15, 15]]]],
    },
  },
  {
    name: 'MaxPool1D(2)',
    make: () => new nn.MaxPool1D(2),
    shapes: [[[1, 1, 6], [1, 1, 3]], [[2, 4, 7], [2, 4, 3]]],
    params: {},
    forward: { x: [[[3, 1, 4, 1, 5, 9]]], expected: [[[3, 4, 9]]] },
  },
  {
    name: 'AvgPool2D(2)',
    make: () => new nn.AvgPool2D(2),
    shapes: [[[1, 1, 4, 4], [1, 1, 2, 2]], [[2, 3, 6, 9], [2, 3, 3, 4]]],
    params: {},
    forward: { x: nd.arange(0, 16).reshape([1, 1, 4, 4]).toArray() as Nested, expected: [[[[2.5, 4.5], [10.5, 12.5]]]] },
  },
  {
    name: 'AvgPool2D(2) ceilMode clips the last window',
    make: () => new nn.AvgPool2D(2, { ceilMode: true }),
    shapes: [[[1, 1, 3, 3], [1, 1, 2, 2]], [[1, 1, 5, 4], [1, 1, 3, 2]]],
    params: {},
    forward: { x: [[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]]], expected: [[[[2, 3.5], [6.5, 8]]]] },
  },
  {
    name: 'AvgPool1D(3) strides 1 padding 1 countIncludePad false',
    make: () => new nn.AvgPool1D(3, { strides: 1, padding: 1, countIncludePad: false }),
    shapes: [[[1, 1, 3], [1, 1, 3]], [[2, 2, 8], [2, 2, 8]]],
    params: {},
    forward: { x: [[[1, 2, 3]]], expected: [[[1.5, 2, 2.5]]] },
  },
  {
    name: 'AvgPool1D(3) strides 1 padding 1 countIncludePad (default)',
    make: () => new nn.AvgPool1D(3, { strides: 1, padding: 1 }),
    shapes: [[[1, 1, 3], [1, 1, 3]]],
    params: {},
    forward: { x: [[[1, 2, 3]]], expected: [[[1, 2, 5 / 3]]] },
  },
  {
    name: 'GlobalMaxPool2D',
    make: () => new nn.GlobalMaxPool2D(),
    shapes: [[[1, 2, 2, 2], [1, 2, 1, 1]], [[3, 5, 7, 1], [3, 5, 1, 1]]],
    params: {},
    forward: { x: [[[[1, 2], [3, 4]], [[-1, -2], [-3, -6]]]], expected: [[[[4]], [[-1]]]] },
  },
  {
    name: 'GlobalAvgPool2D',
    make: () => new nn.GlobalAvgPool2D(),
    shapes: [[[1, 2, 2, 2], [1, 2, 1, 1]], [[3, 5, 7, 1], [3, 5, 1, 1]]],
    params: {},
    forward: { x: [[[[1, 2], [3, 4]], [[-1, -2], [-3, -6]]]], expected: [[[[2.5]], [[-3]]]] },
  },
  {
    name: 'BatchNorm() training mode: batch statistics',
    make: () => new nn.BatchNorm({ epsilon: 0, dtype: 'float64' }),
    shapes: [[[2, 2], [2, 2]], [[4, 2, 3, 3], [4, 2, 3, 3]]],
    params: {
      gamma: ['batchnorm0_gamma', [2]],
      beta: ['batchnorm0_beta', [2]],
      running_mean: ['batchnorm0_running_mean', [2]],
      running_var: ['batchnorm0_running_var', [2]],
    },
    forward: { x: [[1, 2], [3, 6]], set: { gamma: [1, 2], beta: [0, 10] }, expected: [[-1, 8], [1, 12]], train: true },
    gradShape: [3, 2, 2],
    gradTrain: true,
    mismatch: [[2, 2], [2, 3]],
  },
  {
    name: 'BatchNorm({ layout: \'NHWC\' }) training mode: channels last',
    make: () => new nn.BatchNorm({ layout: 'NHWC', epsilon: 0, dtype: 'float64' }),
    shapes: [[[2, 1, 1, 2], [2, 1, 1, 2]], [[4, 3, 3, 2], [4, 3, 3, 2]]],
    params: {
      gamma: ['batchnorm0_gamma', [2]],
      beta: ['batchnorm0_beta', [2]],
      running_mean: ['batchnorm0_running_mean', [2]],
      running_var: ['batchnorm0_running_var', [2]],
    },
    forward: { x: [[[[1, 2]]], [[[3, 6]]]], set: { gamma: [1, 2], beta: [0, 10] }, expected: [[[[-1, 8]]], [[[1, 12]]]], train: true },
    gradShape: [3, 2, 2, 2],
    gradTrain: true,
    mismatch: [[2, 1, 1, 2], [2, 1, 1, 3]],
  },
  {
    name: 'BatchNorm() prediction mode: running statistics',
    make: () => new nn.BatchNorm({ epsilon: 0, dtype: 'float64' }),
    shapes: [[[2, 3, 4, 4], [2, 3, 4, 4]]],
    params: {
      gamma: ['batchnorm0_gamma', [3]],
      beta: ['batchnorm0_beta', [3]],
      running_mean: ['batchnorm0_running_mean', [3]],
      running_var: ['batchnorm0_running_var', [3]],
    },
    forward: {
      x: [[[[1]], [[2]], [[3]]]],
      set: { running_mean: [1, 0, -1], running_var: [4, 1, 16], gamma: [1, 1, 2], beta: [0, 1, 0] },
      expected: [[[[0]], [[3]], [[2]]]],
    },
    gradShape: [2, 3, 2, 2],
    mismatch: [[2, 3, 4, 4], [2, 5, 4, 4]],
  },
  {
    name: 'LayerNorm() over the last axis',
    make: () => new nn.LayerNorm({ epsilon: 0, dtype: 'float64' }),
    shapes: [[[1, 3], [1, 3]], [[2, 5, 3], [2, 5, 3]]],
    params: { gamma: ['layernorm0_gamma', [3]], beta: ['layernorm0_beta', [3]] },
    forward: { x: [[1, 2, 3]], expected: [[-Math.sqrt(1.5), 0, Math.sqrt(1.5)]] },
    mismatch: [[1, 3], [1, 4]],
  },
  {
    name: 'InstanceNorm({ scale: true })',
    make: () => new nn.InstanceNorm({ epsilon: 0, scale: true, dtype: 'float64' }),
    shapes: [[[1, 1, 2, 2], [1, 1, 2, 2]], [[2, 1, 3, 5], [2, 1, 3, 5]]],
    params: { gamma: ['instancenorm0_gamma', [1]], beta: ['instancenorm0_beta', [1]] },
    forward: { x: [[[[1, 2], [3, 4]]]], set: { gamma: [2], beta: [1] }, expected: [[[[-1.5, -0.5], [0.5, 1.5]].map((r) => r.map((v) => (2 * v) / Math.sqrt(1.25) + 1))]] },
    gradShape: [2, 1, 2, 3],
    mismatch: [[1, 1, 2, 2], [1, 2, 2, 2]],
  },
  {
    name: 'GroupNorm({ numGroups: 2 })',
    make: () => new nn.GroupNorm({ numGroups: 2, epsilon: 0, dtype: 'float64' }),
    shapes: [[[1, 4, 1, 1], [1, 4, 1, 1]], [[2, 4, 3, 3], [2, 4, 3, 3]]],
    params: { gamma: ['groupnorm0_gamma', [4]], beta: ['groupnorm0_beta', [4]] },
    forward: { x: [[[[1]], [[3]], [[10]], [[20]]]], set: { gamma: [1, 1, 1, 3], beta: [0, 0, 5, 0] }, expected: [[[[-1]], [[1]], [[4]], [[3]]]] },
    gradShape: [2, 4, 1, 2],
    mismatch: [[1, 4, 1, 1], [1, 6, 1, 1]],
  },
  {
    name: 'Embedding(3, 2)',
    make: () => new nn.Embedding(3, 2, { dtype: 'float64' }),
    shapes: [[[2], [2, 2]], [[4, 5], [4, 5, 2]]],
    params: { weight: ['embedding0_weight', [3, 2]] },
    forward: { x: [[2, 0]], set: { weight: [[0, 1], [2, 3], [4, 5]] }, expected: [[[4, 5], [0, 1]]], intInput: true },
    gradShape: false,
  },
  {
    name: 'LeakyReLU(0.1)',
    make: () => new nn.LeakyReLU(0.1),
    shapes: [[[2], [2]], [[2, 3, 4], [2, 3, 4]]],
    params: {},
    forward: { x: [-2, 3], expected: [-0.2, 3] },
  },
  {
    name: 'PReLU() one shared slope (0.25)',
    make: () => new nn.PReLU({ dtype: 'float64' }),
    shapes: [[[2], [2]], [[2, 3, 4], [2, 3, 4]]],
    params: { alpha: ['prelu0_alpha', [1]] },
    forward: { x: [-4, 2], expected: [-1, 2] },
  },
  {
    name: 'PReLU({ inChannels: 2 }) per-channel slopes',
    make: () => new nn.PReLU({ inChannels: 2, dtype: 'float64' }),
    shapes: [[[1, 2, 2], [1, 2, 2]], [[3, 2], [3, 2]]],
    params: { alpha: ['prelu0_alpha', [2]] },
    forward: { x: [[[-4, 2], [-4, 2]]], set: { alpha: [0.5, 0.1] }, expected: [[[-2, 2], [-0.4, 2]]] },
    mismatch: [[1, 2, 2], [1, 3, 2]],
  },
  {
    name: 'ELU()',
    make: () => new nn.ELU(),
    shapes: [[[2], [2]], [[2, 3], [2, 3]]],
    params: {},
    forward: { x: [-1, 1, -1000], expected: [1 / E - 1, 1, -1] },
  },
  {
    name: 'SELU()',
    make: () => new nn.SELU(),
    shapes: [[[2], [2]]],
    params: {},
    forward: { x: [-1, 1], expected: [SELU_S * SELU_A * (1 / E - 1), SELU_S] },
  },
  {
    name: 'GELU()',
    make: () => new nn.GELU(),
    shapes: [[[3], [3]]],
    params: {},
    forward: { x: [0, 1, -1], expected: [0, 0.8413447460685429, -0.15865525393145707] },
  },
  {
    name: "GELU({ approximation: 'tanh' })",
    make: () => new nn.GELU({ approximation: 'tanh' }),
    shapes: [[[3], [3]]],
    params: {},
    forward: { x: [0, 1, -1], expected: [0, 0.8411919906082768, -0.15880800939172324] },
  },
  {
    name: 'Swish()',
    make: () => new nn.Swish(),
    shapes: [[[2], [2]]],
    params: {},
    forward: { x: [0, 2, -3], expected: [0, 2 * sig(2), -3 * sig(-3)] },
  },
  {
    name: 'rnn.RNN(1) tanh: two steps by hand, input size inferred',
    make: () => new gluon.rnn.RNN(1, { activation: 'tanh', dtype: 'float64' }),
    shapes: [[[2, 1, 1], [2, 1, 1]], [[5, 3, 4], [5, 3, 1]]],
    params: { l0_i2h_weight: ['rnn0_l0_i2h_weight', [1, 1]], l0_h2h_weight: ['rnn0_l0_h2h_weight', [1, 1]], l0_i2h_bias: ['rnn0_l0_i2h_bias', [1]], l0_h2h_bias: ['rnn0_l0_h2h_bias', [1]] },
    // h1 = tanh(0.5 * 1), h2 = tanh(0.5 * 2 + 1 * h1).
    forward: { x: [[[1]], [[2]]], set: { l0_i2h_weight: [[0.5]], l0_h2h_weight: [[1]] }, expected: [[[Math.tanh(0.5)]], [[Math.tanh(1 + Math.tanh(0.5))]]] },
    gradShape: [3, 2, 2],
    mismatch: [[2, 1, 3], [2, 1, 4]],
  },
  {
    name: 'rnn.LSTM(1): one step by hand (gates i, f, g, o), bidirectional shapes',
    make: () => new gluon.rnn.LSTM(1, { dtype: 'float64' }),
    shapes: [[[1, 1, 1], [1, 1, 1]], [[4, 2, 3], [4, 2, 1]]],
    params: { l0_i2h_weight: ['lstm0_l0_i2h_weight', [4, 1]], l0_h2h_weight: ['lstm0_l0_h2h_weight', [4, 1]], l0_i2h_bias: ['lstm0_l0_i2h_bias', [4]], l0_h2h_bias: ['lstm0_l0_h2h_bias', [4]] },
    // Every gate sees 1: c = sig(1) tanh(1) (c0 = 0), h = sig(1) tanh(c).
    forward: { x: [[[1]]], set: { l0_i2h_weight: [[1], [1], [1], [1]], l0_h2h_weight: [[0], [0], [0], [0]] }, expected: [[[sig(1) * Math.tanh(sig(1) * Math.tanh(1))]]] },
    gradShape: [3, 2, 2],
    mismatch: [[2, 1, 3], [2, 1, 4]],
  },
  {
    name: 'rnn.GRU(1) NTC: one step by hand (gates r, z, n)',
    make: () => new gluon.rnn.GRU(1, { layout: 'NTC', dtype: 'float64' }),
    shapes: [[[1, 1, 1], [1, 1, 1]], [[2, 5, 3], [2, 5, 1]]],
    params: { l0_i2h_weight: ['gru0_l0_i2h_weight', [3, 1]], l0_h2h_weight: ['gru0_l0_h2h_weight', [3, 1]], l0_i2h_bias: ['gru0_l0_i2h_bias', [3]], l0_h2h_bias: ['gru0_l0_h2h_bias', [3]] },
    // r = z = sig(1), n = tanh(1 + r * 0), h = (1 - z) n + z * 0.
    forward: { x: [[[1]]], set: { l0_i2h_weight: [[1], [1], [1]], l0_h2h_weight: [[0], [0], [0]] }, expected: [[[(1 - sig(1)) * Math.tanh(1)]]] },
    gradShape: [2, 3, 2],
    mismatch: [[2, 1, 3], [2, 1, 4]],
  },
  {
    name: 'PositionalEncoding(2): sines and cosines added at each position',
    make: () => new nn.PositionalEncoding(2, { dropout: 0, maxLen: 4 }),
    shapes: [[[1, 2, 2], [1, 2, 2]], [[3, 4, 2], [3, 4, 2]]],
    params: {},
    forward: { x: [[[0, 0], [1, 1]]], expected: [[[0, 1], [1 + Math.fround(Math.sin(1)), 1 + Math.fround(Math.cos(1))]]] },
  },
];

function paramByKey(layer: gluon.Block, key: string): gluon.Parameter {
  return layer.collectParams().get(key);
}

/**
 * Finite differences in float64 for the input and every trainable parameter of `layer`: the
 * output is projected on fixed weights, the analytic gradient comes from backward.
 */
function checkLayerGradients(layer: gluon.Block, x: nd.NDArray, train: boolean): void {
  const run = () => layer.forward(x);
  const mode = <T>(fn: () => T): T => (train ? autograd.trainMode(fn) : autograd.predictMode(fn));
  const probe = autograd.pause(() => mode(run));
  nd.random.seed(99);
  const w = nd.random.uniform({ low: 0.5, high: 1.5, shape: probe.shape, dtype: 'float64' });
  const objective = () => mode(run).mul(w).sum();
  const params = layer.collectParams().values().filter((p) => p.gradReq !== 'null');
  x.attachGrad();
  const y = autograd.record(objective, { trainMode: train });
  y.backward();
  const targets: [string, nd.NDArray, nd.NDArray][] = [['input', x, x.grad!], ...params.map((p): [string, nd.NDArray, nd.NDArray] => [p.name, p.data(), p.grad()])];
  const eps = 1e-6;
  for (const [what, arr, grad] of targets) {
    const data = arr.storage;
    for (let i = 0; i < data.length; i++) {
      const saved = data[i]!;
      data[i] = saved + eps;
      const fp = autograd.pause(objective).item();
      data[i] = saved - eps;
      const fm = autograd.pause(objective).item();
      data[i] = saved;
      const numeric = (fp - fm) / (2 * eps);
      const analytic = grad.storage[i]!;
      assert.ok(Math.abs(analytic - numeric) <= 1e-5 + 1e-4 * Math.abs(numeric), `d/d${what}[${i}]: analytic ${analytic} vs numeric ${numeric}`);
    }
  }
}

beforeEach(() => gluon.resetNameCounters());

for (const row of rows) {
  describe(`layer table: ${row.name}`, () => {
    test('output shapes: data-free inference and real forwards agree', () => {
      for (const [inShape, outShape] of row.shapes) {
        const layer = row.make();
        layer.initialize();
        const shapeOnly = autograd.pause(() => layer.forward(nd.NDArray.shapeOnly(inShape, 'float64')));
        assert.ok(shapeOnly.isShapeOnly, 'a shape-only input gives a shape-only output');
        assert.deepEqual(shapeOnly.shape, outShape, `inferred output shape for ${JSON.stringify(inShape)}`);
        const x = row.forward.intInput ? nd.zeros(inShape, { dtype: 'int32' }) : nd.random.uniform({ shape: inShape, dtype: 'float64' });
        const real = layer.forward(x);
        assert.deepEqual(real.shape, outShape, `real output shape for ${JSON.stringify(inShape)}`);
      }
    });

    test('parameter names and shapes after data-free inference', () => {
      const layer = row.make();
      layer.initialize({ inputShape: row.shapes[0]![0] });
      const got = Object.fromEntries(layer.collectParams().entries().map(([k, p]) => [k, [p.name, [...p.shape]]]));
      assert.deepEqual(got, Object.fromEntries(Object.entries(row.params).map(([k, [n, s]]) => [k, [n, [...s]]])));
      for (const p of layer.collectParams().values()) assert.equal(p.state, 'initialized', `${p.name} initialized without data`);
    });

    test('hand-computed forward', () => {
      const layer = row.make();
      layer.initialize();
      const x = row.forward.intInput ? nd.array(row.forward.x, { dtype: 'int32' }) : f64(row.forward.x);
      layer.inferShape(x);
      for (const [k, v] of Object.entries(row.forward.set ?? {})) paramByKey(layer, k).setData(f64(v));
      const y = row.forward.train ? autograd.record(() => layer.forward(x)) : layer.forward(x);
      assertClose(y, row.forward.expected, { rtol: 1e-6, atol: 1e-7 });
    });

    const gradShape = row.gradShape;
    if (gradShape !== false) {
      test('gradients (input and parameters) match finite differences in float64', () => {
        const layer = row.make();
        layer.initialize({ init: 'normal' });
        nd.random.seed(7);
        const x = nd.random.normal({ shape: gradShape ?? row.shapes[0]![0], dtype: 'float64' });
        layer.inferShape(x);
        checkLayerGradients(layer, x, row.gradTrain ?? false);
      });
    }

    test('hybridized: outputs and gradients equal eager mode bit for bit, in training and prediction', () => {
      const shape = gradShape === false || gradShape === undefined ? row.shapes[0]![0] : gradShape;
      const run = (hybrid: boolean, train: boolean) => {
        gluon.resetNameCounters();
        const layer = row.make();
        nd.random.seed(21);
        layer.initialize({ init: 'normal' });
        if (hybrid) layer.hybridize();
        nd.random.seed(22);
        const x = row.forward.intInput ? nd.array(row.forward.x, { dtype: 'int32' }) : nd.random.normal({ shape, dtype: 'float64' });
        if (!row.forward.intInput) x.attachGrad();
        const y = autograd.record(() => layer.forward(x), { trainMode: train });
        y.backward(nd.random.normal({ shape: y.shape, dtype: y.dtype }));
        const grads = layer.collectParams().values().filter((p) => p.gradReq !== 'null').map((p) => Array.from(p.grad().storage));
        return [Array.from(y.storage), ...grads, ...(x.grad === null ? [] : [Array.from(x.grad.storage)])];
      };
      for (const train of [false, true]) assert.deepEqual(run(true, train), run(false, train), train ? 'training' : 'prediction');
    });

    if (row.mismatch) {
      test('a wrong channel count after inference names the layer and both shapes', () => {
        const [good, bad] = row.mismatch!;
        const layer = row.make();
        layer.initialize({ inputShape: good });
        const before = layer.collectParams().values().map((p) => [...p.data().storage]);
        assert.throws(
          () => layer.forward(nd.zeros(bad, { dtype: 'float64' })),
          (e: unknown) => {
            assert.ok(e instanceof ShapeError, String(e));
            const pattern = new RegExp(`${layer.name}: input of shape \\(${bad.join(', ')}\\) does not fit parameter \\w+ \\(${layer.name}_\\w+\\) of shape \\(.*\\); this input needs shape \\(`);
            assert.match(e.message, pattern);
            return true;
          },
        );
        assert.deepEqual(layer.collectParams().values().map((p) => [...p.data().storage]), before, 'parameters unchanged');
      });
    }
  });
}

describe('layer table: behaviours beyond one forward', () => {
  test('BatchNorm updates running statistics in training only, with momentum 0.9', () => {
    const bn = new nn.BatchNorm({ dtype: 'float64' });
    bn.initialize();
    const x = f64([[1, 2], [3, 6]]);
    autograd.record(() => bn.forward(x));
    assertClose(bn.runningMean.data(), [0.2, 0.4]);
    assertClose(bn.runningVar.data(), [0.9 + 0.1 * 1, 0.9 + 0.1 * 4]);
    bn.forward(x);
    assertClose(bn.runningMean.data(), [0.2, 0.4], { msg: 'prediction mode leaves running stats alone' });
    bn.inferShape([5, 2]);
    autograd.record(() => bn.inferShape([5, 2]));
    assertClose(bn.runningMean.data(), [0.2, 0.4], { msg: 'shape inference leaves running stats alone' });
    assert.equal(bn.runningMean.gradReq, 'null');
    assert.equal(bn.runningVar.gradReq, 'null');
  });

  test('BatchNorm on NCHW normalizes each channel over batch and space', () => {
    const bn = new nn.BatchNorm({ epsilon: 0, dtype: 'float64' });
    bn.initialize();
    nd.random.seed(3);
    const x = nd.random.normal({ shape: [4, 3, 5, 5], dtype: 'float64', loc: 2, scale: 3 });
    const y = autograd.record(() => bn.forward(x));
    assertClose(y.mean([0, 2, 3]), [0, 0, 0], { atol: 1e-12 });
    assertClose(y.square().mean([0, 2, 3]), [1, 1, 1], { atol: 1e-12 });
  });

  test('Conv layers reject layouts of another rank and bad groups with a clear error', () => {
    assert.throws(() => new nn.Conv2D(8, 3, { layout: 'NWC' }), /Conv2D: layout 'NWC' is not one of 'NCHW' \(channels first, the default\) and 'NHWC' \(channels last\) for 2 spatial axes/);
    assert.throws(() => new nn.MaxPool1D(2, { layout: 'NHWC' }), /MaxPool1D: layout 'NHWC' is not one of 'NCW'.*'NWC'/);
    assert.throws(() => new nn.Conv2D(6, 3, { groups: 4 }), /Conv2D: channels \(6\) and inChannels \(0\) must both be divisible by groups \(4\)/);
    const conv = new nn.Conv2D(4, 3, { groups: 2 });
    conv.initialize();
    assert.throws(() => conv.forward(nd.zeros([1, 3, 5, 5])), /conv\d+: input of shape \(1, 3, 5, 5\) \(NCHW\) has 3 channels, not divisible by groups \(2\)/);
    assert.throws(() => conv.forward(nd.zeros([3, 5, 5])), /conv\d+: input of shape \(3, 5, 5\) must have 4 axes \(NCHW\)/);
  });

  test('the rank comes from the concrete class; a user subclass inherits it, a class without one is refused', () => {
    class MyConv extends nn.Conv2D {}
    class MyPool extends nn.MaxPool1D {}
    assert.deepEqual(new MyConv(4, 3).kernelSize, [3, 3]);
    assert.deepEqual(new MyPool(3).poolSize, [3]);
    assert.deepEqual(new nn.GlobalAvgPool3D().forward(nd.ones([1, 2, 2, 2, 2])).shape, [1, 2, 1, 1, 1]);
    class NoRank extends nn.ConvND {}
    class NoRankPool extends nn.GlobalMaxPoolND {}
    assert.throws(() => new NoRank(4, 3), /NoRank: a convolution layer class must declare static rank 1, 2 or 3/);
    assert.throws(() => new NoRankPool(), /NoRankPool: a pooling layer class must declare static rank 1, 2 or 3/);
  });

  test('inChannels given up front: initialized at initialize(), and printed', () => {
    const conv = new nn.Conv2D(16, 3, { inChannels: 8, padding: 1 });
    conv.initialize();
    assert.equal(conv.weight.state, 'initialized');
    assert.deepEqual(conv.weight.shape, [16, 8, 3, 3]);
    assert.equal(conv.toString(), 'Conv2D(8 -> 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))');
    assert.equal(new nn.Conv2D(16, 3).toString(), 'Conv2D(None -> 16, kernel_size=(3, 3), stride=(1, 1))');
  });

  test('Embedding rejects out-of-range indices and scatters gradients into rows', () => {
    const emb = new nn.Embedding(3, 2, { dtype: 'float64' });
    emb.initialize();
    assert.throws(() => emb.forward(nd.array([0, 3])), /embedding\d+: index 3 at flat position 1 .* \[0, 3\)/);
    const y = autograd.record(() => emb.forward(nd.array([2, 0, 2])).sum());
    y.backward();
    assertClose(emb.weight.grad(), [[1, 1], [0, 0], [2, 2]]);
  });
});
