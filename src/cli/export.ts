/**
 * `tsgluon export`: a trained network to MXNet's files (`PATH-symbol.json`, `PATH-EEEE.params`,
 * `PATH-EEEE.safetensors`) and ONNX (`PATH.onnx`). The network is either a checkpoint that
 * `tsgluon train --out` wrote (its safetensors metadata names the model, mlp or lenet) or a
 * model-zoo name with a parameters file (`--params`, from `saveParameters`); without one a
 * model-zoo network is exported with initial weights from `--seed`, which is what a smoke test or
 * an architecture file needs. The input shape defaults to the model's own (1x784 for the MLP,
 * 1x1x28x28 for LeNet) and is required for model-zoo networks.
 */
import { ValueError } from '../core/errors.js';
import { seed as seedRandom } from '../ndarray/random.js';
import { readFileBytes, writeFileBytes } from '../io/file.js';
import { readSafetensorsHeader } from '../io/safetensors.js';
import type { HybridBlock } from '../gluon/hybrid-block.js';
import { getModel, modelNames } from '../gluon/model-zoo/vision.js';
import type { ExportedFiles } from '../gluon/symbol/symbol-block.js';
import { exportHybrid, hybridToOnnx } from '../gluon/symbol/export-block.js';
import { buildNet, MODELS } from './train.js';

export interface ExportCommandOptions {
  /** A model-zoo name, `mlp` or `lenet`; default: the checkpoint's metadata `model`. */
  model?: string;
  /** Parameters to load (a safetensors file from `saveParameters` / `tsgluon train --out`). */
  params?: string;
  /** Output path prefix. */
  out: string;
  /** Input shape (batch first); default 1x784 (mlp) or 1x1x28x28 (lenet). */
  shape?: readonly number[];
  /** Classes of a model-zoo network (default 1000, as Gluon's). */
  classes?: number;
  /** 'mxnet', 'onnx' or 'both' (default). */
  format?: string;
  /** The epoch in the params file name (default 0). */
  epoch?: number;
  /** Seed of the initial weights when no parameters are given (default 0). */
  seed?: number;
}

export interface ExportCommandResult {
  readonly model: string;
  readonly mxnet: ExportedFiles | null;
  readonly onnx: string | null;
}

const DEFAULT_SHAPES: Readonly<Record<string, readonly number[]>> = { mlp: [1, 784], lenet: [1, 1, 28, 28] };

/** The model named by the options or by the checkpoint's metadata. */
function modelName(o: ExportCommandOptions): string {
  if (o.model !== undefined) return o.model;
  if (o.params === undefined) throw new ValueError('export: pass --model NAME (mlp, lenet or a model-zoo name) or --params CHECKPOINT written by tsgluon train --out');
  const bytes = readFileBytes(o.params, 'export');
  const header = readSafetensorsHeader(bytes.subarray(0, Math.min(bytes.length, 8 + 100 * 1024 * 1024)));
  const model = header.metadata?.['model'];
  if (model === undefined) throw new ValueError(`export: ${o.params} does not say which model it holds (no "model" metadata); pass --model NAME`);
  return model;
}

/** Builds, loads and exports the network. */
export function exportCommand(o: ExportCommandOptions): ExportCommandResult {
  const format = o.format ?? 'both';
  if (!['mxnet', 'onnx', 'both'].includes(format)) throw new ValueError(`export: --format must be mxnet, onnx or both; got ${JSON.stringify(format)}`);
  const model = modelName(o);
  let net: HybridBlock;
  if ((MODELS as readonly string[]).includes(model)) net = buildNet(model as (typeof MODELS)[number]) as unknown as HybridBlock;
  else if (modelNames.includes(model)) net = getModel(model, { classes: o.classes ?? 1000 }) as HybridBlock;
  else throw new ValueError(`export: unknown model ${JSON.stringify(model)}; the models are ${[...MODELS, ...modelNames].join(', ')}`);
  const shape = o.shape ?? DEFAULT_SHAPES[model];
  if (shape === undefined) throw new ValueError(`export: pass --shape for ${model} (the input shape, batch first, e.g. 1,3,224,224)`);
  seedRandom(o.seed ?? 0);
  net.initialize({ init: 'xavier', inputShape: shape });
  if (o.params !== undefined) net.loadParameters(o.params);
  net.hybridize();
  const mxnet = format === 'onnx' ? null : exportHybrid(net, o.out, { epoch: o.epoch ?? 0, inputShapes: [shape] });
  let onnx: string | null = null;
  if (format !== 'mxnet') {
    onnx = `${o.out}.onnx`;
    writeFileBytes(onnx, hybridToOnnx(net, { inputShapes: [shape] }), 'export');
  }
  return { model, mxnet, onnx };
}
