/**
 * `gluon.data`: datasets, samplers, the DataLoader, batchify functions, downloads, and the
 * `vision` datasets and transforms. This file only re-exports.
 */
export { Dataset, SimpleDataset, ArrayDataset, gatherRows, type TransformLike, type ArrayInput, type ArraySample, type ItemOf, type FirstOf, type FirstTransformed } from './dataset.js';
export { defaultBatchify, stack, type Batched } from './batchify.js';
export { SequentialSampler, RandomSampler, BatchSampler, permutation, type Sampler, type LastBatch } from './sampler.js';
export { DataLoader, type DataLoaderOptions } from './dataloader.js';
export { ShardSampler, type Shard } from './shard.js';
export { downloadFile, fileDigest, DownloadError, type Checksum, type DownloadOptions } from './download.js';
export * as vision from './vision/index.js';
export * as text from './text/index.js';
