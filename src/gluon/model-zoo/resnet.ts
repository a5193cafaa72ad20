/**
 * ResNet (He et al., 2016) with its residual blocks written as custom Blocks: `BasicBlock` (two
 * 3x3 convolutions, ResNet-18/34) and `Bottleneck` (1x1, 3x3, 1x1, ResNet-50/101/152). The
 * layout is torchvision's (ResNet v1.5: the stride sits on the 3x3 convolution; convolutions have
 * no bias since BatchNorm follows each), so trainable parameter counts for 1000 classes match
 * torchvision's: 11,689,512 (18), 21,797,672 (34), 25,557,032 (50), 44,549,160 (101),
 * 60,192,808 (152). No input size appears anywhere: every channel count is inferred.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { add } from '../../ops/binary.js';
import { relu } from '../../ops/unary.js';
import type { BlockOptions } from '../block.js';
import { HybridBlock, HybridSequential } from '../hybrid-block.js';
import { Dense, Flatten } from '../nn/basic-layers.js';
import { Activation } from '../nn/activations.js';
import { Conv2D } from '../nn/conv-layers.js';
import { GlobalAvgPool2D, MaxPool2D } from '../nn/pooling.js';
import { BatchNorm } from '../nn/normalization.js';
import type { ClassifierOptions } from './classic.js';

function convBN(body: HybridSequential, channels: number, kernel: number, strides: number): HybridSequential {
  return body.add(new Conv2D(channels, kernel, { strides, padding: (kernel - 1) / 2, useBias: false }), new BatchNorm());
}

/** The projection shortcut: a strided 1x1 convolution and BatchNorm, when the shape changes. */
function shortcut(channels: number, strides: number): HybridSequential {
  return convBN(new HybridSequential(), channels, 1, strides);
}

/**
 * Two 3x3 convolutions with BatchNorm; output relu(body(x) + shortcut(x)).
 * @example new BasicBlock(128, 2, true) // halves H and W, 128 channels, projected shortcut
 */
export class BasicBlock extends HybridBlock {
  readonly body: HybridSequential;
  readonly downsample: HybridSequential | null;

  constructor(channels: number, strides: number, downsample: boolean, options: BlockOptions = {}) {
    super(options);
    this.body = convBN(convBN(new HybridSequential(), channels, 3, strides).add(new Activation('relu')), channels, 3, 1);
    this.downsample = downsample ? shortcut(channels, strides) : null;
  }

  override forward(x: NDArray): NDArray {
    const residual = this.downsample === null ? x : this.downsample.forward(x);
    return relu(add(this.body.forward(x), residual));
  }
}

/**
 * 1x1 (channels / 4), 3x3 (channels / 4, strided) and 1x1 (channels) convolutions with
 * BatchNorm; output relu(body(x) + shortcut(x)).
 */
export class Bottleneck extends HybridBlock {
  readonly body: HybridSequential;
  readonly downsample: HybridSequential | null;

  constructor(channels: number, strides: number, downsample: boolean, options: BlockOptions = {}) {
    super(options);
    const width = channels / 4;
    const body = convBN(new HybridSequential(), width, 1, 1).add(new Activation('relu'));
    convBN(body, width, 3, strides).add(new Activation('relu'));
    this.body = convBN(body, channels, 1, 1);
    this.downsample = downsample ? shortcut(channels, strides) : null;
  }

  override forward(x: NDArray): NDArray {
    const residual = this.downsample === null ? x : this.downsample.forward(x);
    return relu(add(this.body.forward(x), residual));
  }
}

const SPECS: Record<number, ['basic' | 'bottleneck', readonly number[]]> = {
  18: ['basic', [2, 2, 2, 2]],
  34: ['basic', [3, 4, 6, 3]],
  50: ['bottleneck', [3, 4, 6, 3]],
  101: ['bottleneck', [3, 4, 23, 3]],
  152: ['bottleneck', [3, 8, 36, 3]],
};

/**
 * A ResNet: `features` (7x7 stem, max pool, four stages, global average pool) and `output` (Dense).
 * @example
 * const net = vision.resnet18();
 * net.initialize({ inputShape: [1, 3, 224, 224] });   // 11,689,512 parameters, no forward pass
 */
export class ResNet extends HybridBlock {
  readonly features: HybridSequential;
  readonly output: Dense;

  constructor(numLayers: 18 | 34 | 50 | 101 | 152, options: ClassifierOptions & BlockOptions = {}) {
    super(options);
    const spec = SPECS[numLayers];
    if (spec === undefined) throw new ValueError(`ResNet: numLayers must be 18, 34, 50, 101 or 152, got ${fmtValue(numLayers)}`);
    const [kind, counts] = spec;
    const expansion = kind === 'basic' ? 1 : 4;
    const Unit = kind === 'basic' ? BasicBlock : Bottleneck;
    this.features = new HybridSequential().add(
      new Conv2D(64, 7, { strides: 2, padding: 3, useBias: false }),
      new BatchNorm(),
      new Activation('relu'),
      new MaxPool2D(3, { strides: 2, padding: 1 }),
    );
    let inChannels = 64;
    counts.forEach((n, stage) => {
      const channels = 64 * 2 ** stage * expansion;
      const stageNet = new HybridSequential();
      for (let i = 0; i < n; i++) {
        const strides = i === 0 && stage > 0 ? 2 : 1;
        stageNet.add(new Unit(channels, strides, i === 0 && (strides !== 1 || inChannels !== channels)));
        inChannels = channels;
      }
      this.features.add(stageNet);
    });
    this.features.add(new GlobalAvgPool2D(), new Flatten());
    this.output = new Dense(options.classes ?? 1000);
  }

  override forward(x: NDArray): NDArray {
    return this.output.forward(this.features.forward(x));
  }
}

export const resnet18 = (options: ClassifierOptions = {}): ResNet => new ResNet(18, options);
export const resnet34 = (options: ClassifierOptions = {}): ResNet => new ResNet(34, options);
export const resnet50 = (options: ClassifierOptions = {}): ResNet => new ResNet(50, options);
export const resnet101 = (options: ClassifierOptions = {}): ResNet => new ResNet(101, options);
export const resnet152 = (options: ClassifierOptions = {}): ResNet => new ResNet(152, options);
