/**
 * D2L's character language model (examples/char-lm-model.ts), RNN and LSTM with gradient
 * clipping, trained from PyTorch's fixture: the initial weights tsgluon drew, the per-epoch
 * offsets of sequential partitioning and PyTorch's perplexity after every epoch and generated text
 * for the same training (tests/fixtures/pytorch/char-lm, written by bench/lm-perplexity.ts with
 * torch 1.13). The perplexity must stay within 5% of PyTorch's at every epoch and the text
 * generated from each prefix after training must be PyTorch's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Generator, gluon, nd } from '../../src/index.js';
import { lmEpochLoader, predictCh8, recurrentLayer, RNNModel, trainCh8 } from '../../examples/char-lm-model.js';

interface Fixture {
  model: 'lstm' | 'rnn';
  hidden: number;
  lr: number;
  batchSize: number;
  numSteps: number;
  seed: number;
  offsets: number[];
  vocab: string[];
  weights: string;
  prefixes: string[];
  numPreds: number;
  maxTokens: number;
  torch: { perplexities: number[]; texts: string[] };
}

const dir = new URL('../fixtures/pytorch/char-lm/', import.meta.url);

for (const kind of ['rnn', 'lstm'] as const) {
  test(`D2L char LM (${kind}): perplexity within 5% of PyTorch's at every epoch, and PyTorch's generated text`, () => {
    const fx = JSON.parse(readFileSync(new URL(`char-lm-${kind}.expected.json`, dir), 'utf8')) as Fixture;
    const { text } = gluon.data;
    const { corpus, vocab } = text.loadCorpus(text.readPrideAndPrejudice(), { token: 'char', maxTokens: fx.maxTokens });
    assert.deepEqual(vocab.idxToToken, fx.vocab);
    // The offsets the fixture's batches used are the ones tsgluon's loader draws.
    assert.deepEqual(fx.offsets, fx.offsets.map((_, e) => new Generator(fx.seed + e).nextInt(0, fx.numSteps + 1)));
    const net = new RNNModel(recurrentLayer(kind, fx.hidden), vocab.length);
    net.loadParameters(fileURLToPath(new URL(fx.weights, dir)));
    const { perplexities } = trainCh8(net, [], fx.lr, fx.offsets.length, { epochLoader: lmEpochLoader(corpus, fx.batchSize, fx.numSteps, fx.seed) });
    perplexities.forEach((p, e) => {
      const q = fx.torch.perplexities[e]!;
      assert.ok(Math.abs(p / q - 1) <= 0.05, `epoch ${e + 1}: tsgluon ${p}, PyTorch ${q}`);
    });
    // Training did something: well below the unigram plateau (about 17.5) where it started.
    assert.ok(perplexities[perplexities.length - 1]! < 12, `final perplexity ${perplexities[perplexities.length - 1]}`);
    fx.prefixes.forEach((prefix, i) => {
      const generated = predictCh8(prefix, fx.numPreds, net, vocab);
      assert.equal(generated.length, prefix.length + fx.numPreds);
      assert.equal(generated, fx.torch.texts[i]);
    });
    // A batch through the trained model keeps the shapes D2L's RNNModel gives.
    const [scores, states] = net.forward(nd.zeros([4, 7], { dtype: 'int32' }), net.beginState(4));
    assert.deepEqual(scores.shape, [28, 28]);
    assert.deepEqual(states.map((s) => s.shape), kind === 'lstm' ? [[1, 4, 32], [1, 4, 32]] : [[1, 4, 32]]);
  });
}
