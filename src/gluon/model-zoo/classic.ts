/**
 * The classic convolutional networks of D2L's "Modern CNNs" chapters, declared without any input
 * size (every input channel and Dense input is inferred): LeNet, AlexNet, VGG and NiN.
 * Parameter counts for 1000 classes on 224x224 input match torchvision's AlexNet (61,100,840) and
 * VGG-11 (132,863,336); LeNet is D2L's (61,706 for 28x28 Fashion-MNIST).
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { Block } from '../block.js';
import { HybridSequential } from '../hybrid-block.js';
import { Dense, Dropout, Flatten } from '../nn/basic-layers.js';
import { Activation, type ActivationType } from '../nn/activations.js';
import { Conv2D } from '../nn/conv-layers.js';
import { AvgPool2D, GlobalAvgPool2D, MaxPool2D } from '../nn/pooling.js';
import { BatchNorm } from '../nn/normalization.js';

export interface ClassifierOptions {
  /** Number of output classes (default 1000; LeNet's default is 10). */
  classes?: number;
}

export interface LeNetOptions extends ClassifierOptions {
  /** 'sigmoid' (default, as D2L and the 1998 paper) or 'relu'. */
  activation?: ActivationType;
  /** 'avg' (default) or 'max' pooling. */
  pool?: 'avg' | 'max';
}

/**
 * LeNet-5 as D2L builds it: two 5x5 convolutions (6 and 16 channels, the first padded by 2) each
 * followed by 2x2 pooling, then Dense 120, 84 and the classes.
 * @example
 * const net = vision.lenet();                       // sigmoid + average pooling, 10 classes
 * net.initialize({ inputShape: [1, 1, 28, 28] });    // 61,706 parameters
 */
export function lenet(options: LeNetOptions = {}): HybridSequential {
  const { classes = 10, activation = 'sigmoid', pool = 'avg' } = options;
  const Pool = pool === 'max' ? MaxPool2D : AvgPool2D;
  return new HybridSequential().add(
    new Conv2D(6, 5, { padding: 2, activation }),
    new Pool(2, { strides: 2 }),
    new Conv2D(16, 5, { activation }),
    new Pool(2, { strides: 2 }),
    new Dense(120, { activation }),
    new Dense(84, { activation }),
    new Dense(classes),
  );
}

/** The classifier of AlexNet and VGG: flatten, two Dense 4096 with ReLU and dropout 0.5, then the classes. */
function fullyConnectedHead(classes: number): Block[] {
  return [
    new Flatten(),
    new Dense(4096, { activation: 'relu' }),
    new Dropout(0.5),
    new Dense(4096, { activation: 'relu' }),
    new Dropout(0.5),
    new Dense(classes),
  ];
}

/**
 * AlexNet (Krizhevsky et al., 2012) in Gluon's / torchvision's single-tower form: five
 * convolutions (64, 192, 384, 256, 256 channels), three max pools, two Dense 4096 with dropout.
 */
export function alexnet(options: ClassifierOptions = {}): HybridSequential {
  const { classes = 1000 } = options;
  return new HybridSequential().add(
    new Conv2D(64, 11, { strides: 4, padding: 2, activation: 'relu' }),
    new MaxPool2D(3, { strides: 2 }),
    new Conv2D(192, 5, { padding: 2, activation: 'relu' }),
    new MaxPool2D(3, { strides: 2 }),
    new Conv2D(384, 3, { padding: 1, activation: 'relu' }),
    new Conv2D(256, 3, { padding: 1, activation: 'relu' }),
    new Conv2D(256, 3, { padding: 1, activation: 'relu' }),
    new MaxPool2D(3, { strides: 2 }),
    ...fullyConnectedHead(classes),
  );
}

/** Convolution channels per VGG configuration; 'M' is a 2x2 max pool. */
const VGG_SPECS: Record<number, readonly (number | 'M')[]> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

export interface VGGOptions extends ClassifierOptions {
  /** Insert BatchNorm after every convolution (torchvision's vgg11_bn). */
  batchNorm?: boolean;
}

/**
 * VGG (Simonyan and Zisserman, 2014) with 11, 13, 16 or 19 weight layers: 3x3 convolutions
 * (padding 1) in blocks closed by 2x2 max pooling, then Dense 4096, 4096, classes.
 */
export function vgg(numLayers: 11 | 13 | 16 | 19, options: VGGOptions = {}): HybridSequential {
  const spec = VGG_SPECS[numLayers];
  if (spec === undefined) throw new ValueError(`vgg: numLayers must be 11, 13, 16 or 19, got ${fmtValue(numLayers)}`);
  const { classes = 1000, batchNorm = false } = options;
  const net = new HybridSequential();
  for (const v of spec) {
    if (v === 'M') net.add(new MaxPool2D(2, { strides: 2 }));
    else if (batchNorm) net.add(new Conv2D(v, 3, { padding: 1 }), new BatchNorm(), new Activation('relu'));
    else net.add(new Conv2D(v, 3, { padding: 1, activation: 'relu' }));
  }
  return net.add(...fullyConnectedHead(classes));
}

/** VGG-11 (configuration A). */
export function vgg11(options: VGGOptions = {}): HybridSequential {
  return vgg(11, options);
}

/** VGG-16 (configuration D). */
export function vgg16(options: VGGOptions = {}): HybridSequential {
  return vgg(16, options);
}

/** One NiN block: a k x k convolution followed by two 1x1 convolutions, all with ReLU. */
function ninBlock(channels: number, kernel: number, strides: number, padding: number): HybridSequential {
  return new HybridSequential().add(
    new Conv2D(channels, kernel, { strides, padding, activation: 'relu' }),
    new Conv2D(channels, 1, { activation: 'relu' }),
    new Conv2D(channels, 1, { activation: 'relu' }),
  );
}

/**
 * Network in Network (Lin et al., 2013) as D2L builds it: four NiN blocks (96, 256, 384 and
 * `classes` channels) with max pooling between, dropout, and global average pooling instead of
 * Dense layers.
 */
export function nin(options: ClassifierOptions = {}): HybridSequential {
  const { classes = 1000 } = options;
  return new HybridSequential().add(
    ninBlock(96, 11, 4, 0),
    new MaxPool2D(3, { strides: 2 }),
    ninBlock(256, 5, 1, 2),
    new MaxPool2D(3, { strides: 2 }),
    ninBlock(384, 3, 1, 1),
    new MaxPool2D(3, { strides: 2 }),
    new Dropout(0.5),
    ninBlock(classes, 3, 1, 1),
    new GlobalAvgPool2D(),
    new Flatten(),
  );
}
