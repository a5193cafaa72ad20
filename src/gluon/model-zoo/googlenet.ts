/**
 * GoogLeNet (Szegedy et al., 2015) as torchvision builds it: every convolution is followed by
 * BatchNorm (epsilon 0.001) and ReLU, and the "5x5" branch of each Inception block uses a 3x3
 * kernel (a known deviation torchvision keeps for its weights); no auxiliary classifiers. With
 * 1000 classes it has 6,624,904 trainable parameters, as torchvision's. The Inception block is a
 * custom Block whose four branches are concatenated along the channels.
 */
import type { NDArray } from '../../ndarray/ndarray.js';
import { concat } from '../../ops/movement.js';
import type { BlockOptions } from '../block.js';
import { HybridBlock, HybridSequential } from '../hybrid-block.js';
import { Dense, Dropout, Flatten } from '../nn/basic-layers.js';
import { Activation } from '../nn/activations.js';
import { Conv2D } from '../nn/conv-layers.js';
import { GlobalAvgPool2D, MaxPool2D } from '../nn/pooling.js';
import { BatchNorm } from '../nn/normalization.js';
import type { ClassifierOptions } from './classic.js';

function basicConv(channels: number, kernel: number, options: { strides?: number; padding?: number } = {}): HybridSequential {
  return new HybridSequential().add(new Conv2D(channels, kernel, { ...options, useBias: false }), new BatchNorm({ epsilon: 0.001 }), new Activation('relu'));
}

/**
 * Four parallel branches (1x1; 1x1 then 3x3; 1x1 then "5x5"; 3x3 max pool then 1x1) whose
 * outputs are concatenated: c1 + c3 + c5 + pool channels.
 */
export class Inception extends HybridBlock {
  readonly b1: HybridSequential;
  readonly b2: HybridSequential;
  readonly b3: HybridSequential;
  readonly b4: HybridSequential;

  constructor(c1: number, c3r: number, c3: number, c5r: number, c5: number, pool: number, options: BlockOptions = {}) {
    super(options);
    this.b1 = basicConv(c1, 1);
    this.b2 = new HybridSequential().add(basicConv(c3r, 1), basicConv(c3, 3, { padding: 1 }));
    this.b3 = new HybridSequential().add(basicConv(c5r, 1), basicConv(c5, 3, { padding: 1 }));
    this.b4 = new HybridSequential().add(new MaxPool2D(3, { strides: 1, padding: 1, ceilMode: true }), basicConv(pool, 1));
  }

  override forward(x: NDArray): NDArray {
    return concat([this.b1.forward(x), this.b2.forward(x), this.b3.forward(x), this.b4.forward(x)], { axis: 1 });
  }
}

/** GoogLeNet: `features` (stem, nine Inception blocks, global pooling, dropout) and `output`. */
export class GoogLeNet extends HybridBlock {
  readonly features: HybridSequential;
  readonly output: Dense;

  constructor(options: ClassifierOptions & BlockOptions = {}) {
    super(options);
    const pool = (k: number) => new MaxPool2D(k, { strides: 2, ceilMode: true });
    this.features = new HybridSequential().add(
      basicConv(64, 7, { strides: 2, padding: 3 }),
      pool(3),
      basicConv(64, 1),
      basicConv(192, 3, { padding: 1 }),
      pool(3),
      new Inception(64, 96, 128, 16, 32, 32),
      new Inception(128, 128, 192, 32, 96, 64),
      pool(3),
      new Inception(192, 96, 208, 16, 48, 64),
      new Inception(160, 112, 224, 24, 64, 64),
      new Inception(128, 128, 256, 24, 64, 64),
      new Inception(112, 144, 288, 32, 64, 64),
      new Inception(256, 160, 320, 32, 128, 128),
      pool(2),
      new Inception(256, 160, 320, 32, 128, 128),
      new Inception(384, 192, 384, 48, 128, 128),
      new GlobalAvgPool2D(),
      new Flatten(),
      new Dropout(0.2),
    );
    this.output = new Dense(options.classes ?? 1000);
  }

  override forward(x: NDArray): NDArray {
    return this.output.forward(this.features.forward(x));
  }
}

export const googlenet = (options: ClassifierOptions = {}): GoogLeNet => new GoogLeNet(options);
