/**
 * `gluon.data.vision`: image datasets (MNIST, Fashion-MNIST, the bundled Digits) and
 * `transforms`. This file only re-exports.
 */
export * as transforms from './transforms.js';
export { ImageLabelDataset, MNIST, FashionMNIST, DatasetNotFoundError, defaultRoot, type MNISTOptions, type MNISTLoadOptions, type IdxResources, type IdxFile } from './mnist.js';
export { Digits, DIGITS_TEST_SIZE, type DigitsOptions, type DigitsLoadOptions } from './digits.js';
