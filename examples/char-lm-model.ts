// Dive into Deep Learning's character-level language model (sections 8.5-8.6 and 9.2, MXNet
// edition, the "concise" versions), shared by examples/char-lm.ts, bench/lm-perplexity.ts and the
// tests: `RNNModel` (one-hot input, a recurrent layer, a Dense decoder), `predictCh8` (greedy text
// generation from a prefix), `gradClipping` (D2L's rescaling of all gradients to a global norm
// of at most theta) and `trainEpochCh8` / `trainCh8` (SGD on the mean cross-entropy, state
// carried across batches and detached under sequential partitioning, perplexity per epoch).
import { autograd, Generator, gluon, nd, nn } from 'tsgluon';

type Vocab = gluon.data.text.Vocab;
type Loader = Iterable<[nd.NDArray, nd.NDArray]>;

/**
 * D2L's RNNModel: (N, T) token indices -> (T * N, vocab) scores, and the new states. A
 * HybridBlock: `net.hybridize()` runs one-hot, the recurrent layer and the decoder as one graph.
 */
export class RNNModel extends gluon.HybridBlock {
  readonly rnn: gluon.rnn.RecurrentLayer;
  readonly dense: nn.Dense;
  readonly vocabSize: number;

  constructor(rnnLayer: gluon.rnn.RecurrentLayer, vocabSize: number) {
    super();
    this.rnn = rnnLayer;
    this.vocabSize = vocabSize;
    this.dense = new nn.Dense(vocabSize);
  }

  override forward(inputs: nd.NDArray): nd.NDArray;
  override forward(inputs: nd.NDArray, state: nd.NDArray[]): [nd.NDArray, nd.NDArray[]];
  override forward(inputs: nd.NDArray, state?: nd.NDArray[]): nd.NDArray | [nd.NDArray, nd.NDArray[]] {
    const x = nd.oneHot(inputs.transpose(), this.vocabSize);
    const [y, next] = this.rnn.forward(x, state ?? this.beginState(inputs.shape[0]!));
    // The Dense layer sees (T * N, hidden): one GEMM for every step's output.
    const out = this.dense.forward(y.reshape([-1, y.shape[y.ndim - 1]!]));
    return state === undefined ? out : [out, next];
  }

  beginState(batchSize: number): nd.NDArray[] {
    return this.rnn.beginState(batchSize);
  }
}

/** Greedy generation: warm the state up on `prefix`, then append `numPreds` most likely characters. */
export function predictCh8(prefix: string, numPreds: number, net: RNNModel, vocab: Vocab): string {
  let state = net.beginState(1);
  const outputs = [vocab.index(prefix[0]!)];
  const input = () => nd.array([[outputs[outputs.length - 1]!]], { dtype: 'int32' });
  for (const ch of prefix.slice(1)) {
    [, state] = net.forward(input(), state);
    outputs.push(vocab.index(ch));
  }
  for (let i = 0; i < numPreds; i++) {
    const [y, next] = net.forward(input(), state);
    state = next;
    outputs.push(nd.argmax(y, 1).item());
  }
  return vocab.toTokens(outputs).join('');
}

/** D2L's grad_clipping: all gradients scaled so that their global L2 norm is at most theta. */
export function gradClipping(net: gluon.Block, theta: number): void {
  gluon.utils.clipGlobalNorm(net.collectParams().values().map((p) => p.grad()), theta);
}

/** One epoch; returns the perplexity exp(mean cross-entropy) and the tokens per second. */
export function trainEpochCh8(net: RNNModel, loader: Loader, loss: gluon.loss.Loss, trainer: gluon.Trainer, useRandomIter: boolean): { perplexity: number; speed: number } {
  let state: nd.NDArray[] | null = null;
  let total = 0;
  let count = 0;
  const t0 = performance.now();
  for (const [X, Y] of loader) {
    // Sequential partitioning continues each row's text, so the state carries over (detached);
    // random sampling starts each batch afresh.
    state = state === null || useRandomIter ? net.beginState(X.shape[0]!) : state.map((s) => s.detach());
    const y = Y.transpose().reshape([-1]);
    const l = autograd.record(() => {
      const [yHat, next] = net.forward(X, state!);
      state = next;
      return loss.forward(yHat, y).mean();
    });
    l.backward();
    gradClipping(net, 1);
    trainer.step(1);
    total += l.item() * y.size;
    count += y.size;
  }
  return { perplexity: Math.exp(total / count), speed: count / ((performance.now() - t0) / 1000) };
}

/** Options of `trainCh8`. */
export interface TrainCh8Options {
  useRandomIter?: boolean;
  /** The loader of each epoch (default: `loader` every epoch). */
  epochLoader?: (epoch: number) => Loader;
  /** Called after each epoch with its perplexity. */
  onEpoch?: (epoch: number, perplexity: number, speed: number) => void;
}

/** D2L's train_ch8 with a Gluon Trainer (SGD, the given learning rate); returns every epoch's perplexity. */
export function trainCh8(net: RNNModel, loader: Loader, lr: number, numEpochs: number, options: TrainCh8Options = {}): { perplexities: number[]; speed: number } {
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr });
  const perplexities: number[] = [];
  let speed = 0;
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    const r = trainEpochCh8(net, options.epochLoader?.(epoch) ?? loader, loss, trainer, options.useRandomIter ?? false);
    perplexities.push(r.perplexity);
    speed = r.speed;
    options.onEpoch?.(epoch, r.perplexity, r.speed);
  }
  return { perplexities, speed };
}

/** The recurrent layer D2L's concise models use: 'rnn' (tanh, as D2L's PyTorch edition), 'lstm' or 'gru'. */
export function recurrentLayer(kind: 'rnn' | 'lstm' | 'gru', hidden: number): gluon.rnn.RecurrentLayer {
  if (kind === 'lstm') return new gluon.rnn.LSTM(hidden);
  if (kind === 'gru') return new gluon.rnn.GRU(hidden);
  return new gluon.rnn.RNN(hidden, { activation: 'tanh' });
}

/**
 * The minibatches of each epoch under sequential partitioning, each epoch's offset drawn from
 * `new Generator(seed + epoch)`: reproducible per epoch, so another framework can be fed the same.
 */
export function lmEpochLoader(corpus: ArrayLike<number>, batchSize: number, numSteps: number, seed: number): (epoch: number) => Loader {
  return (epoch) => gluon.data.text.seqDataIterSequential(corpus, batchSize, numSteps, new Generator(seed + epoch));
}
