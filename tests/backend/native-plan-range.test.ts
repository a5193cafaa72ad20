/**
 * Every value that crosses into the addon is range-checked before it is packed into the Int32Array
 * plan: a pad, stride or dilation of 2^31 or more used to wrap around (pad 2^32 became 0, so
 * convolution silently computed another result than ref) or to make the addon throw its own
 * TypeError ("window: bad plan"). Such plans now run on the reference kernels, so every backend
 * gives ref's values, which are checked here by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, nd } from '../../src/index.js';

const x = nd.array([[[1, 2, 3, 4, 5]]]);
const w = nd.array([[[1, 10, 100]]]);

test('convolution with pads, strides and dilations beyond int32 gives the same values on every backend', () => {
  for (const name of backend.listBackends()) {
    backend.withBackend(name, () => {
      // Windows start at -pad + o * stride: -2^32 (all padding), 1 (x[1..3]), 2^32 + 2 (all padding).
      assert.deepEqual(nd.convolution(x, w, null, { pad: 2 ** 32, stride: 2 ** 32 + 1 }).toArray(), [[[0, 2 + 30 + 400, 0]]], name);
      assert.deepEqual(nd.convolution(x, w, null, { pad: 2 ** 31, stride: 2 ** 31 }).toArray(), [[[0, 1 + 20 + 300, 0]]], name);
      // Taps 2^31 apart: only the middle one ever lands on the input.
      assert.deepEqual(nd.convolution(x, w, null, { pad: 2 ** 31, dilation: 2 ** 31 }).toArray(), [[[10, 20, 30, 40, 50]]], name);
      const gradOk = nd.convolution(x, w, nd.array([0.5]), { pad: 2 ** 32, stride: 2 ** 32 + 1 });
      assert.deepEqual(gradOk.toArray(), [[[0.5, 432.5, 0.5]]], name);
    });
  }
});

test('pooling with windows and pads beyond int32 gives the same values on every backend', () => {
  for (const name of backend.listBackends()) {
    backend.withBackend(name, () => {
      assert.deepEqual(nd.pooling(x, { kernel: 2 ** 32, pad: 2 ** 31, stride: 2 ** 31, poolType: 'max' }).toArray(), [[[5]]], name);
      // Average pooling counts the padded cells (countIncludePad, as MXNet): 15 / 2^32.
      assert.deepEqual(nd.pooling(x, { kernel: 2 ** 32, pad: 2 ** 31, stride: 2 ** 31, poolType: 'avg' }).toArray(), [[[Math.fround(15 / 2 ** 32)]]], name);
      assert.deepEqual(nd.pooling(x, { kernel: 2 ** 32, pad: 2 ** 31, stride: 2 ** 31, poolType: 'avg', countIncludePad: false }).toArray(), [[[3]]], name);
    });
  }
});
