/**
 * `gluon.data.text`: tokenizer, vocabulary, language-model minibatches and the shipped text.
 */
export { tokenize, countCorpus, Vocab, type Tokens, type VocabOptions } from './vocab.js';
export { seqDataIterRandom, seqDataIterSequential, SeqDataLoader, type SeqBatch, type SeqDataLoaderOptions } from './seq-iter.js';
export {
  readPrideAndPrejudice, loadCorpus, loadDataPrideAndPrejudice, preprocessLine, PRIDE_AND_PREJUDICE_PATH,
  type LoadCorpusOptions, type LoadDataOptions,
} from './corpus.js';
