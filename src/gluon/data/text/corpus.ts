/**
 * The text tsgluon ships for language models: the opening chapters (about 180,000 characters,
 * the size of H. G. Wells' The Time Machine that D2L uses) of Jane Austen's Pride and Prejudice
 * (1813, public domain), extracted from Debian's r-cran-janeaustenr package (MIT) by
 * data/text/extract-austen.py and stored gzipped (67 KB) in data/text/. Read and prepared as D2L
 * prepares its text (section 8.2): every run of non-letters becomes one space, lines are trimmed
 * and lowercased, so a character vocabulary has 28 entries (26 letters, space, `<unk>`).
 */
import { FormatError, ValueError, fmtValue } from '../../../core/errors.js';
import { isNode, nodeModule } from '../../../core/platform.js';
import { publicOp } from '../../../core/public.js';
import type { Generator } from '../../../core/rng.js';
import { checkLines, tokenize, Vocab } from './vocab.js';
import { SeqDataLoader } from './seq-iter.js';

const TEXT_URL = new URL('../../../../data/text/pride-and-prejudice.txt.gz', import.meta.url);

/** Where the text lies in the package (the same relative path from src/ and dist/); a URL in a browser. */
export const PRIDE_AND_PREJUDICE_PATH = isNode()
  ? nodeModule<typeof import('node:url')>('node:url', 'locating the bundled text').fileURLToPath(TEXT_URL)
  : TEXT_URL.href;

let cache: string[] | null = null;

/** D2L's preprocessing of a line: non-letters to one space, trimmed, lowercase. */
export const preprocessLine = publicOp('preprocessLine', function preprocessLine(line: string): string {
  if (typeof line !== 'string') throw new ValueError(`preprocessLine: line must be a string, got ${fmtValue(line)}`);
  return line.replace(/[^A-Za-z]+/g, ' ').trim().toLowerCase();
});

/**
 * The lines of the text, preprocessed as D2L does (empty lines kept, as D2L keeps them).
 * @example text.readPrideAndPrejudice()[0] // 'pride and prejudice'
 */
export function readPrideAndPrejudice(): string[] {
  if (cache) return [...cache];
  const instead = 'in a browser, fetch the text, decompress it and give its lines to loadCorpus';
  const { readFileSync } = nodeModule<typeof import('node:fs')>('node:fs', 'readPrideAndPrejudice', instead);
  const { gunzipSync } = nodeModule<typeof import('node:zlib')>('node:zlib', 'readPrideAndPrejudice', instead);
  let raw: string;
  try {
    raw = gunzipSync(readFileSync(PRIDE_AND_PREJUDICE_PATH)).toString('utf8');
  } catch (e) {
    throw new FormatError(`readPrideAndPrejudice: cannot read ${PRIDE_AND_PREJUDICE_PATH} (${(e as Error).message}); it ships with tsgluon, reinstall the package`);
  }
  cache = raw.split('\n').map(preprocessLine);
  if (cache[cache.length - 1] === '') cache.pop();
  return [...cache];
}

/** Options of `loadCorpus`. */
export interface LoadCorpusOptions {
  /** 'char' (default, as D2L's language models) or 'word'. */
  token?: 'char' | 'word';
  /** Keep only the first maxTokens tokens (default: all). */
  maxTokens?: number;
}

/**
 * Tokenizes lines, builds their vocabulary and returns every token's index, in order (D2L's
 * `load_corpus_time_machine` for any lines).
 * @example const { corpus, vocab } = text.loadCorpus(['hello world'], { token: 'char' });
 */
export const loadCorpus = publicOp('loadCorpus', function loadCorpus(lines: readonly string[], options: LoadCorpusOptions = {}): { corpus: Int32Array; vocab: Vocab } {
  checkLines('loadCorpus', lines);
  const { maxTokens } = options;
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || Number.isNaN(maxTokens))) {
    throw new ValueError(`loadCorpus: maxTokens must be a number of tokens, got ${fmtValue(maxTokens)}`);
  }
  const tokens = tokenize(lines, options.token ?? 'char');
  const vocab = new Vocab(tokens);
  const all = tokens.flat();
  const n = maxTokens !== undefined && maxTokens > 0 ? Math.min(Math.floor(maxTokens), all.length) : all.length;
  const corpus = new Int32Array(n);
  for (let i = 0; i < n; i++) corpus[i] = vocab.index(all[i]!);
  return { corpus, vocab };
}, 1);

/** Options of `loadDataPrideAndPrejudice`. */
export interface LoadDataOptions {
  /** Random sampling instead of sequential partitioning (default false). */
  useRandomIter?: boolean;
  /** Corpus length in characters (default 10,000, as D2L's `load_data_time_machine`). */
  maxTokens?: number;
  generator?: Generator;
}

/**
 * D2L's `load_data_time_machine` on the shipped text: a minibatch loader over the character
 * corpus and its vocabulary.
 * @example
 * const { loader, vocab } = text.loadDataPrideAndPrejudice(32, 35);
 * for (const [X, Y] of loader) { ... }   // X, Y: (32, 35) int32
 */
export const loadDataPrideAndPrejudice = publicOp('loadDataPrideAndPrejudice', function loadDataPrideAndPrejudice(
  batchSize: number,
  numSteps: number,
  options: LoadDataOptions = {},
): { loader: SeqDataLoader; vocab: Vocab } {
  const { corpus, vocab } = loadCorpus(readPrideAndPrejudice(), { token: 'char', maxTokens: options.maxTokens ?? 10000 });
  const loader = new SeqDataLoader(corpus, batchSize, numSteps, {
    useRandomIter: options.useRandomIter ?? false,
    ...(options.generator ? { generator: options.generator } : {}),
  });
  return { loader, vocab };
}, 2);
