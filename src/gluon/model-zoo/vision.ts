/**
 * `gluon.modelZoo.vision`: image classification networks, declared without input sizes (every
 * shape is inferred at the first forward, or without data by `initialize({ inputShape })`), and
 * `getModel(name)` to build one by name. No pretrained weights are bundled.
 */
import { ValueError } from '../../core/errors.js';
import type { Block } from '../block.js';
import { alexnet, lenet, nin, vgg, vgg11, vgg16, type ClassifierOptions } from './classic.js';
import { resnet101, resnet152, resnet18, resnet34, resnet50 } from './resnet.js';
import { DenseNet, densenet121, densenet169 } from './densenet.js';
import { googlenet } from './googlenet.js';

export { alexnet, lenet, nin, vgg, vgg11, vgg16, type ClassifierOptions, type LeNetOptions, type VGGOptions } from './classic.js';
export { BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101, resnet152 } from './resnet.js';
export { DenseLayer, DenseNet, densenet121, densenet169, type DenseNetOptions } from './densenet.js';
export { GoogLeNet, Inception, googlenet } from './googlenet.js';

const MODELS: Record<string, (options: ClassifierOptions) => Block> = {
  lenet,
  alexnet,
  vgg11,
  vgg11_bn: (o) => vgg(11, { ...o, batchNorm: true }),
  vgg13: (o) => vgg(13, o),
  vgg16,
  vgg19: (o) => vgg(19, o),
  nin,
  googlenet,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  densenet121,
  densenet161: (o) => new DenseNet(161, o),
  densenet169,
  densenet201: (o) => new DenseNet(201, o),
};

/** Names accepted by `getModel`. */
export const modelNames: readonly string[] = Object.keys(MODELS);

/**
 * Builds a model by name (Gluon's `get_model`).
 * @example const net = vision.getModel('resnet50', { classes: 10 });
 */
export function getModel(name: string, options: ClassifierOptions = {}): Block {
  const make = MODELS[name];
  if (make === undefined) throw new ValueError(`getModel: unknown model '${name}'; available: ${modelNames.join(', ')}`);
  return make(options);
}
