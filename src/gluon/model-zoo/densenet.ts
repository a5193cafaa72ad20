/**
 * DenseNet (Huang et al., 2017): dense blocks in which every layer sees the concatenation of all
 * earlier feature maps (a custom Block, `DenseLayer`), joined by transition layers that halve
 * channels and resolution. DenseNet-121 for 1000 classes has 7,978,856 parameters, as
 * torchvision's; declared without input sizes, every channel count is inferred.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { concat } from '../../ops/movement.js';
import type { BlockOptions } from '../block.js';
import { HybridBlock, HybridSequential } from '../hybrid-block.js';
import { Dense, Dropout, Flatten } from '../nn/basic-layers.js';
import { Activation } from '../nn/activations.js';
import { Conv2D } from '../nn/conv-layers.js';
import { AvgPool2D, GlobalAvgPool2D, MaxPool2D } from '../nn/pooling.js';
import { BatchNorm } from '../nn/normalization.js';
import type { ClassifierOptions } from './classic.js';

/**
 * BN-ReLU-Conv1x1 (bnSize * growthRate) - BN-ReLU-Conv3x3 (growthRate); the output is the input
 * with the new `growthRate` channels appended.
 */
export class DenseLayer extends HybridBlock {
  readonly body: HybridSequential;
  readonly dropout: Dropout | null;

  constructor(growthRate: number, bnSize: number, dropout: number, options: BlockOptions = {}) {
    super(options);
    this.body = new HybridSequential().add(
      new BatchNorm(),
      new Activation('relu'),
      new Conv2D(bnSize * growthRate, 1, { useBias: false }),
      new BatchNorm(),
      new Activation('relu'),
      new Conv2D(growthRate, 3, { padding: 1, useBias: false }),
    );
    this.dropout = dropout > 0 ? new Dropout(dropout) : null;
  }

  override forward(x: NDArray): NDArray {
    let out = this.body.forward(x);
    if (this.dropout !== null) out = this.dropout.forward(out);
    return concat([x, out], { axis: 1 });
  }
}

function transition(channels: number): HybridSequential {
  return new HybridSequential().add(new BatchNorm(), new Activation('relu'), new Conv2D(channels, 1, { useBias: false }), new AvgPool2D(2, { strides: 2 }));
}

const SPECS: Record<number, [number, number, readonly number[]]> = {
  121: [64, 32, [6, 12, 24, 16]],
  161: [96, 48, [6, 12, 36, 24]],
  169: [64, 32, [6, 12, 32, 32]],
  201: [64, 32, [6, 12, 48, 32]],
};

export interface DenseNetOptions extends ClassifierOptions {
  /** Bottleneck width multiplier (default 4). */
  bnSize?: number;
  /** Dropout after each dense layer (default 0). */
  dropout?: number;
}

/** A DenseNet: `features` (stem, dense blocks, transitions, BN-ReLU, global pooling) and `output`. */
export class DenseNet extends HybridBlock {
  readonly features: HybridSequential;
  readonly output: Dense;

  constructor(numLayers: 121 | 161 | 169 | 201, options: DenseNetOptions & BlockOptions = {}) {
    super(options);
    const spec = SPECS[numLayers];
    if (spec === undefined) throw new ValueError(`DenseNet: numLayers must be 121, 161, 169 or 201, got ${fmtValue(numLayers)}`);
    const [initChannels, growthRate, blocks] = spec;
    const { bnSize = 4, dropout = 0 } = options;
    this.features = new HybridSequential().add(
      new Conv2D(initChannels, 7, { strides: 2, padding: 3, useBias: false }),
      new BatchNorm(),
      new Activation('relu'),
      new MaxPool2D(3, { strides: 2, padding: 1 }),
    );
    let channels = initChannels;
    blocks.forEach((n, i) => {
      const stage = new HybridSequential();
      for (let j = 0; j < n; j++) stage.add(new DenseLayer(growthRate, bnSize, dropout));
      this.features.add(stage);
      channels += n * growthRate;
      if (i !== blocks.length - 1) {
        channels = Math.floor(channels / 2);
        this.features.add(transition(channels));
      }
    });
    this.features.add(new BatchNorm(), new Activation('relu'), new GlobalAvgPool2D(), new Flatten());
    this.output = new Dense(options.classes ?? 1000);
  }

  override forward(x: NDArray): NDArray {
    return this.output.forward(this.features.forward(x));
  }
}

export const densenet121 = (options: DenseNetOptions = {}): DenseNet => new DenseNet(121, options);
export const densenet169 = (options: DenseNetOptions = {}): DenseNet => new DenseNet(169, options);
