// Dive into Deep Learning's character-level language model (sections 8.6 and 9.2, concise
// versions) on the text tsgluon ships (the opening of Pride and Prejudice, standing in for The
// Time Machine): the first 10,000 characters, minibatches of 32 x 35 by sequential partitioning,
// one recurrent layer of 256 units (an LSTM by default), weights from N(0, 0.01^2), SGD with
// learning rate 1, gradients clipped to norm 1, 500 epochs. Prints the perplexity every 50 epochs
// and text generated greedily from two prefixes.
//
// Run: npx tsx examples/char-lm.ts [--model lstm|gru|rnn] [--epochs 500] [--hidden 256] [--seed 0]
import { parseArgs } from 'node:util';
import { backend, Generator, gluon, init, nd } from 'tsgluon';
import { predictCh8, recurrentLayer, RNNModel, trainCh8 } from './char-lm-model.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'lstm' },
    epochs: { type: 'string', default: '500' },
    hidden: { type: 'string', default: '256' },
    lr: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
  },
});
const kind = args.model as 'rnn' | 'lstm' | 'gru';
if (!['rnn', 'lstm', 'gru'].includes(kind)) throw new Error(`--model must be rnn, lstm or gru, got ${kind}`);
const [batchSize, numSteps, numEpochs, hidden, lr] = [32, 35, Number(args.epochs), Number(args.hidden), Number(args.lr)];
nd.random.seed(Number(args.seed));

const { loader, vocab } = gluon.data.text.loadDataPrideAndPrejudice(batchSize, numSteps, { generator: new Generator(Number(args.seed)) });
const net = new RNNModel(recurrentLayer(kind, hidden), vocab.length);
net.initialize({ init: new init.Normal(0.01) });
console.log(`backend ${backend.getBackend().name}; ${kind} of ${hidden} units, vocabulary of ${vocab.length}, ${loader.corpus.length} characters`);
const every = Math.max(1, Math.floor(numEpochs / 10));
const { perplexities, speed } = trainCh8(net, loader, lr, numEpochs, {
  onEpoch: (epoch, ppl) => {
    if ((epoch + 1) % every === 0) console.log(`epoch ${epoch + 1}: perplexity ${ppl.toFixed(2)}; ${predictCh8('it is a truth', 30, net, vocab)}`);
  },
});
console.log(`perplexity ${perplexities[perplexities.length - 1]!.toFixed(2)}, ${Math.round(speed)} tokens/s`);
console.log(predictCh8('it is a truth', 50, net, vocab));
console.log(predictCh8('elizabeth', 50, net, vocab));
