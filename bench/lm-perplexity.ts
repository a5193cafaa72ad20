// D2L's character language model trained by tsgluon and by PyTorch from the same initial weights
// on the same batches, in the same run: the perplexity after each epoch and text generated from
// two prefixes, side by side. tsgluon draws the initial weights (N(0, 0.01^2), as D2L's MXNet
// edition) and the per-epoch offsets of sequential partitioning, writes them with the corpus to a
// job file, and bench/lm_pytorch.py (Debian's /usr/bin/python3, torch 1.13) trains nn.LSTM /
// nn.RNN on exactly those batches with the same clipping and SGD.
//
// Defaults are D2L's: the first 10,000 characters, batch 32, 35 steps, hidden 256, lr 1; 500
// epochs in the book, 100 here by default to keep the run short (--epochs 500 for the full one).
// --write-fixture DIR also writes the initial weights, offsets and PyTorch's figures as the
// fixture tests/examples/char-lm.test.ts trains against (tests/fixtures/pytorch/char-lm: --hidden 32
// --epochs 30 --write-fixture DIR, with --model lstm --lr 4 and --model rnn --lr 2).
//
// Run: npx tsx bench/lm-perplexity.ts [--model lstm|rnn|gru] [--epochs 100] [--hidden 256] [--threads 1]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backend, Generator, gluon, init, nd } from 'tsgluon';
import { lmEpochLoader, predictCh8, recurrentLayer, RNNModel, trainCh8 } from '../examples/char-lm-model.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'lstm' },
    epochs: { type: 'string', default: '100' },
    hidden: { type: 'string', default: '256' },
    lr: { type: 'string', default: '1' },
    'max-tokens': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '0' },
    threads: { type: 'string', default: '1' },
    'write-fixture': { type: 'string' },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const kind = args.model as 'lstm' | 'rnn' | 'gru';
const [batchSize, numSteps, epochs, hidden, lr, seed] = [32, 35, Number(args.epochs), Number(args.hidden), Number(args.lr), Number(args.seed)];
const threads = Number(args.threads);
backend.getBackend().setNumThreads?.(threads);
const PREFIXES = ['it is a truth', 'elizabeth'];
const NUM_PREDS = 50;

const { text } = gluon.data;
const { corpus, vocab } = text.loadCorpus(text.readPrideAndPrejudice(), { token: 'char', maxTokens: Number(args['max-tokens']) });
nd.random.seed(seed);
const net = new RNNModel(recurrentLayer(kind, hidden), vocab.length);
net.initialize({ init: new init.Normal(0.01) });
net.forward(nd.zeros([1, 1], { dtype: 'int32' }));
const dir = args['write-fixture'] ?? mkdtempSync(join(tmpdir(), 'tsgluon-lm-'));
mkdirSync(dir, { recursive: true });
const weights = join(dir, `char-lm-${kind}.init.safetensors`);
net.saveParameters(weights);
const offsets = Array.from({ length: epochs }, (_, e) => new Generator(seed + e).nextInt(0, numSteps + 1));
const job = { model: kind, hidden, lr, batchSize, numSteps, seed, offsets, vocab: vocab.idxToToken, weights, threads, prefixes: PREFIXES, numPreds: NUM_PREDS, maxTokens: corpus.length };
const jobPath = join(mkdtempSync(join(tmpdir(), 'tsgluon-lm-job-')), `char-lm-${kind}.job.json`);
writeFileSync(jobPath, JSON.stringify({ ...job, corpus: Array.from(corpus) }));

console.log(`D2L char LM, ${kind} of ${hidden} units, ${corpus.length} characters, ${epochs} epochs, lr ${lr}, ${threads} thread(s), backend ${backend.getBackend().name}`);
const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) };
delete env['OPENBLAS_CORETYPE'];
delete env['OPENBLAS_L2_SIZE'];
const t0 = performance.now();
const py = spawnSync('/usr/bin/python3', [join(here, 'lm_pytorch.py'), jobPath], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
const torchSeconds = (performance.now() - t0) / 1000;
const line = py.stdout?.split('\n').find((l) => l.startsWith('{'));
if (!line) throw new Error(`PyTorch side failed: ${py.stderr}`);
const theirs = JSON.parse(line) as { perplexities: number[]; texts: string[]; torch: string };

const t1 = performance.now();
const mine = trainCh8(net, [], lr, epochs, { epochLoader: lmEpochLoader(corpus, batchSize, numSteps, seed) });
const oursSeconds = (performance.now() - t1) / 1000;
const texts = PREFIXES.map((p) => predictCh8(p, NUM_PREDS, net, vocab));

const every = Math.max(1, Math.floor(epochs / 10));
for (let e = every - 1; e < epochs; e += every) {
  console.log(`epoch ${String(e + 1).padStart(4)}: perplexity tsgluon ${mine.perplexities[e]!.toFixed(3)}  PyTorch ${theirs.perplexities[e]!.toFixed(3)}`);
}
const a = mine.perplexities[epochs - 1]!;
const b = theirs.perplexities[epochs - 1]!;
console.log(`final perplexity: tsgluon ${a.toFixed(3)}, PyTorch ${b.toFixed(3)} (torch ${theirs.torch}); tsgluon / PyTorch = ${(a / b).toFixed(4)} (${Math.abs(a / b - 1) <= 0.05 ? 'within' : 'NOT within'} 5%)`);
console.log(`training time: tsgluon ${oursSeconds.toFixed(1)} s, PyTorch ${torchSeconds.toFixed(1)} s (process included)`);
PREFIXES.forEach((_, i) => console.log(`tsgluon: ${texts[i]}\nPyTorch: ${theirs.texts[i]}`));
if (args['write-fixture']) {
  writeFileSync(join(dir, `char-lm-${kind}.expected.json`), JSON.stringify({ ...job, weights: `char-lm-${kind}.init.safetensors`, torch: theirs }, null, 1));
  console.log(`fixture written to ${dir}`);
}
