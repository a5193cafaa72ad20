/**
 * Helpers of the MXNet conformance suite (tests/conformance): tsgluon versions of the helpers
 * MXNet's own tests call (`check_layer_forward`, `assert_almost_equal`, test_loss.py's `get_net`)
 * and the `Net` several tests share. The MXNet tests the suite does not translate, with the
 * reason for each, are listed in docs/gluon-differences.md.
 *
 * Translated from Apache MXNet 1.x (tests/python/unittest, branch v1.x), Copyright the Apache
 * Software Foundation, licensed under the Apache License, Version 2.0.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, nn } from '../../src/index.js';
import { assertClose } from '../helpers.js';

/**
 * MXNet's check_layer_forward without its hybridized half (the `hybrid` helper's suite covers
 * that): initialize, run forward and backward on random data, and check the output shape against
 * data-free shape inference, and the input gradient's shape and finiteness.
 */
export function checkLayerForward(layer: gluon.Block, shape: readonly number[]): nd.NDArray {
  layer.initialize();
  const x = nd.random.uniform({ shape: [...shape] });
  x.attachGrad();
  const out = autograd.record(() => layer.forward(x));
  out.backward();
  let inferred: readonly number[] = [];
  const handle = layer.registerForwardHook((_b, _i, y) => {
    inferred = (y as nd.NDArray).shape;
  });
  layer.forward(nd.NDArray.shapeOnly([...shape], 'float32'));
  handle.detach();
  assert.deepEqual(inferred, out.shape, `${layer.name}: shape inference disagrees with the forward`);
  assert.ok(out.storage.every(Number.isFinite), `${layer.name}: non-finite output`);
  assert.deepEqual(x.grad!.shape, [...shape]);
  assert.ok(x.grad!.storage.every(Number.isFinite), `${layer.name}: non-finite input gradient`);
  return out;
}

/** MXNet's assert_almost_equal (rtol 1e-5 unless given). */
export function assertAlmostEqual(actual: nd.NDArray, expected: nd.NDArray | nd.NestedArray, options: { rtol?: number; atol?: number } = {}): void {
  assertClose(actual, expected, { rtol: options.rtol ?? 1e-5, atol: options.atol ?? 1e-6 });
}

/** test_loss.py's get_net: FullyConnected(128) relu, FullyConnected(64) relu, FullyConnected(numHidden). */
export function getNet(numHidden: number, flatten = true): nn.Sequential {
  return new nn.Sequential().add(
    new nn.Dense(128, { activation: 'relu', flatten }),
    new nn.Dense(64, { activation: 'relu', flatten }),
    new nn.Dense(numHidden, { flatten }),
  );
}

/**
 * MXNet's Module.fit on NDArrayIter, as a Gluon loop: `epochs` passes over the data in batches of
 * `batchSize` (no shuffling), `optimizer` with its options, the loss on each batch. Returns the
 * mean loss over the data afterwards (Module.score with the Loss metric).
 */
export function fit(
  net: gluon.Block,
  loss: (out: nd.NDArray, batch: readonly nd.NDArray[]) => nd.NDArray,
  data: readonly nd.NDArray[],
  options: { epochs: number; batchSize: number; optimizer: string; learningRate: number },
): number {
  const trainer = new gluon.Trainer(net.collectParams(), options.optimizer, { learningRate: options.learningRate });
  const n = data[0]!.shape[0]!;
  const batches = (): nd.NDArray[][] => {
    const out: nd.NDArray[][] = [];
    for (let b = 0; b < n; b += options.batchSize) out.push(data.map((d) => d.sliceAxis(0, b, Math.min(b + options.batchSize, n))));
    return out;
  };
  for (let e = 0; e < options.epochs; e++) {
    for (const batch of batches()) {
      autograd.record(() => loss(net.forward(batch[0]!), batch.slice(1))).backward();
      trainer.step(batch[0]!.shape[0]!);
    }
  }
  return score(net, loss, batches());
}

/** Module.score with the Loss metric: the mean of the per-sample losses over every batch. */
export function score(net: gluon.Block, loss: (out: nd.NDArray, batch: readonly nd.NDArray[]) => nd.NDArray, batches: readonly (readonly nd.NDArray[])[]): number {
  let total = 0;
  let count = 0;
  for (const batch of batches) {
    const l = loss(net.forward(batch[0]!), batch.slice(1));
    total += l.sum().item();
    count += l.size;
  }
  return total / count;
}

/** test_gluon.py's `Net` of test_parameter_sharing: two Dense(5) created in the block's name scope. */
export class Net extends gluon.Block {
  declare dense0: nn.Dense;
  declare dense1: nn.Dense;
  constructor(options: gluon.BlockOptions & { inUnits?: number } = {}) {
    super(options);
    this.nameScope(() => {
      this.dense0 = new nn.Dense(5, { inUnits: options.inUnits ?? 0 });
      this.dense1 = new nn.Dense(5, { inUnits: options.inUnits ?? 0 });
    });
  }
  override forward(x: nd.NDArray): nd.NDArray {
    return this.dense1.forward(this.dense0.forward(x));
  }
}
