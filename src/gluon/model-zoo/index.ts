/**
 * `gluon.modelZoo`: ready-made network definitions. `vision` holds the image classifiers.
 */
export * as vision from './vision.js';
