/**
 * The `tsgluon` command: `train`, `demo`, `bench`, `predict`, `export`, `--help`, `--version`. Arguments are parsed
 * with node:util's parseArgs. Errors a user can fix (a missing or malformed data file, a bad
 * option) print one clear message and exit with status 1; only unexpected failures (bugs) print
 * a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TsGluonError, ValueError } from '../core/errors.js';
import { DATASETS, MODELS, train, type TrainOptions } from './train.js';
import { formatPredictions, predict } from './predict.js';
import { exportCommand } from './export.js';

const HELP = `tsgluon: deep learning for TypeScript with the Gluon API

usage:
  tsgluon train [options]   train a network, with a progress bar per epoch
  tsgluon demo [--quick]    the demo: an MLP declared without input sizes learns handwritten digits
  tsgluon bench [name]      run the package's benchmark scripts (npm run bench, or bench:<name>)
  tsgluon predict --model FILE [--params FILE] [--shape -1,784] [--top K] INPUT.idx
  tsgluon predict --model FILE [--shape 1,3,H,W] [--mean 0.485,0.456,0.406] [--std 0.229,0.224,0.225] IMAGE.png|.jpg...
                            run an ONNX model or MXNet symbol + params on the samples of an IDX file,
                            or on images (RGB or grayscale as the model's C, resized bilinearly to
                            H x W, scaled to [0, 1], then (x - mean) / std per channel)
  tsgluon export [--model NAME] [--params FILE] --out PATH [--shape 1,3,224,224] [--format mxnet|onnx|both]
                 [--classes N] [--epoch N] [--seed N]
                            write a network as MXNet files (PATH-symbol.json, PATH-0000.params,
                            PATH-0000.safetensors) and ONNX (PATH.onnx): a checkpoint of tsgluon train
                            (--params, its metadata names the model) or a model-zoo name (random
                            initial weights from --seed unless --params is given)
  tsgluon --version

train options:
  --model ${MODELS.join('|')}             (default mlp)
  --data ${DATASETS.join('|')}   (default digits: 10,000 MNIST digits bundled, no download)
  --data-root DIR                folder of the MNIST / Fashion-MNIST IDX files
  --offline                      never download missing data files
  --epochs N                     (default 10)
  --batch-size N                 (default 64 for digits, 256 otherwise)
  --lr X                         learning rate (default 0.05 for sgd/nag, 0.001 for adam/adamw, 0.01 otherwise)
  --optimizer NAME               sgd, nag, adam, adamw, rmsprop, adagrad (default sgd)
  --momentum X                   for sgd and nag (default 0.9)
  --wd X                         weight decay
  --seed N                       (default 0)
  --backend ref|native           (default: native when built)
  --out DIR                      write the curves (SVG), the parameters (safetensors) and a JSON summary
  --quiet                        print nothing but errors

distributed: started by mpirun, train runs data-parallel on every rank, each taking --batch-size
samples per step from its shard of the data; only rank 0 prints and writes --out:
  mpirun -np 2 tsgluon train --data mnist
`;

const TRAIN_OPTIONS = {
  model: { type: 'string', default: 'mlp' },
  data: { type: 'string', default: 'digits' },
  'data-root': { type: 'string' },
  offline: { type: 'boolean', default: false },
  epochs: { type: 'string', default: '10' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string', default: 'sgd' },
  momentum: { type: 'string' },
  wd: { type: 'string' },
  seed: { type: 'string', default: '0' },
  backend: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ValueError(`--${flag} must be a number; got ${JSON.stringify(v)}`);
  return n;
}

function defaultLr(optimizer: string): number {
  if (optimizer === 'sgd' || optimizer === 'nag') return 0.05;
  if (optimizer === 'adam' || optimizer === 'adamw') return 0.001;
  return 0.01;
}

function trainOptions(argv: string[], demo: boolean): TrainOptions | null {
  const { values: v, positionals } = parseArgs({ args: argv, options: TRAIN_OPTIONS, allowPositionals: true, strict: true });
  if (v.help) {
    process.stdout.write(HELP);
    return null;
  }
  if (positionals.length > 0) throw new ValueError(`unexpected argument ${JSON.stringify(positionals[0])}; see tsgluon --help`);
  const optimizer = v.optimizer;
  const o: TrainOptions = {
    model: v.model as TrainOptions['model'],
    data: v.data as TrainOptions['data'],
    epochs: v.quick ? 1 : num('epochs', v.epochs)!,
    batchSize: num('batch-size', v['batch-size']) ?? (v.data === 'digits' ? 64 : 256),
    lr: num('lr', v.lr) ?? defaultLr(optimizer),
    optimizer,
    seed: num('seed', v.seed)!,
    offline: v.offline,
    quiet: v.quiet,
  };
  const momentum = num('momentum', v.momentum) ?? (optimizer === 'sgd' || optimizer === 'nag' ? 0.9 : undefined);
  if (momentum !== undefined) o.momentum = momentum;
  const wd = num('wd', v.wd);
  if (wd !== undefined) o.wd = wd;
  if (v['data-root'] !== undefined) o.dataRoot = v['data-root'];
  if (v.backend !== undefined) o.backend = v.backend;
  if (v.out !== undefined) o.out = v.out;
  if (demo) {
    o.out ??= 'out';
    o.name = 'demo-mlp';
  }
  return o;
}

/** The package's root folder (holding package.json), found from this file's location. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new ValueError('cannot find the tsgluon package folder (no package.json above the command)');
    dir = up;
  }
  return dir;
}

function bench(argv: string[]): number {
  const root = packageRoot();
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const names = existsSync(join(root, 'bench')) ? Object.keys(scripts).filter((s) => s === 'bench' || s.startsWith('bench:')) : [];
  const wanted = argv[0] === undefined ? 'bench' : argv[0].startsWith('bench') ? argv[0] : `bench:${argv[0]}`;
  if (!names.includes(wanted)) {
    const have = names.length > 0 ? `available: ${names.join(', ')}` : 'this copy of tsgluon has no benchmark scripts (they ship with the source repository)';
    throw new ValueError(`no npm script ${JSON.stringify(wanted)}; ${have}`);
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['run', wanted, '--', ...argv.slice(1)], { cwd: root, stdio: 'inherit' });
  return run.status ?? 1;
}

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs the command with `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return 0;
      case '--version':
      case '-v':
        process.stdout.write(`${version()}\n`);
        return 0;
      case 'train':
      case 'demo': {
        const o = trainOptions(rest, command === 'demo');
        if (o !== null) await train(o);
        return 0;
      }
      case 'bench':
        return bench(rest);
      case 'predict': {
        const { values: v, positionals } = parseArgs({
          args: rest, allowPositionals: true, strict: true,
          options: {
            model: { type: 'string' }, params: { type: 'string' }, shape: { type: 'string' }, top: { type: 'string' }, input: { type: 'string' },
            mean: { type: 'string' }, std: { type: 'string' },
          },
        });
        if (v.model === undefined || positionals.length < 1) throw new ValueError('predict needs --model FILE and an input file (an IDX file, or PNG / JPEG images) (tsgluon --help)');
        const list = (key: string, text: string | undefined) => text?.split(',').map((s) => num(key, s)!);
        const [shape, mean, std] = [list('shape', v.shape), list('mean', v.mean), list('std', v.std)];
        process.stdout.write(formatPredictions(predict({
          model: v.model, input: positionals, ...(v.params === undefined ? {} : { params: v.params }), ...(shape === undefined ? {} : { shape }),
          ...(mean === undefined ? {} : { mean }), ...(std === undefined ? {} : { std }),
          ...(v.top === undefined ? {} : { top: num('top', v.top)! }), ...(v.input === undefined ? {} : { inputName: v.input }),
        })));
        return 0;
      }
      case 'export': {
        const { values: v, positionals } = parseArgs({
          args: rest, allowPositionals: true, strict: true,
          options: {
            model: { type: 'string' }, params: { type: 'string' }, out: { type: 'string' }, shape: { type: 'string' }, format: { type: 'string' },
            classes: { type: 'string' }, epoch: { type: 'string' }, seed: { type: 'string' },
          },
        });
        if (v.out === undefined || positionals.length > 0) throw new ValueError('export needs --out PATH and no positional arguments (tsgluon --help)');
        const shape = v.shape?.split(',').map((s) => num('shape', s)!);
        const r = exportCommand({
          out: v.out, ...(v.model === undefined ? {} : { model: v.model }), ...(v.params === undefined ? {} : { params: v.params }),
          ...(shape === undefined ? {} : { shape }), ...(v.format === undefined ? {} : { format: v.format }),
          ...(v.classes === undefined ? {} : { classes: num('classes', v.classes)! }), ...(v.epoch === undefined ? {} : { epoch: num('epoch', v.epoch)! }),
          ...(v.seed === undefined ? {} : { seed: num('seed', v.seed)! }),
        });
        const files = [...(r.mxnet === null ? [] : [r.mxnet.symbol, r.mxnet.params, r.mxnet.safetensors]), ...(r.onnx === null ? [] : [r.onnx])];
        process.stdout.write(`${r.model}: ${files.join(', ')}\n`);
        return 0;
      }
      default:
        throw new ValueError(`unknown command ${JSON.stringify(command)}; the commands are train, demo, bench, predict and export (tsgluon --help)`);
    }
  } catch (e) {
    // Mistakes a user can fix get one line; anything else is a bug and keeps its stack.
    const known = e instanceof TsGluonError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(known ? `tsgluon: error: ${(e as Error).message}\n` : `tsgluon: unexpected error\n${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

// Run when executed directly (node dist/cli/main.js, or tsx src/cli/main.ts); bin/tsgluon.js imports and calls main.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
