/**
 * Tokenization and vocabulary as D2L builds them (section 8.2): `tokenize` splits lines into
 * words or characters, `countCorpus` counts tokens, and `Vocab` maps tokens to indices, most
 * frequent first (ties in order of first appearance), index 0 being the unknown token `<unk>`.
 */
import { ValueError, fmtValue } from '../../../core/errors.js';
import { checkOptions, publicOp } from '../../../core/public.js';

/** A token list, or a list of token lists (one per line). */
export type Tokens = readonly string[] | readonly (readonly string[])[];

/**
 * Splits each line into words (on whitespace) or characters.
 * @example tokenize(['the time', 'machine'], 'char')[1] // ['m', 'a', 'c', 'h', 'i', 'n', 'e']
 */
export const tokenize = publicOp('tokenize', function tokenize(lines: readonly string[], token: 'word' | 'char' = 'word'): string[][] {
  checkLines('tokenize', lines);
  if (token === 'word') return lines.map((line) => line.split(/\s+/).filter((w) => w.length > 0));
  if (token === 'char') return lines.map((line) => [...line]);
  throw new ValueError(`tokenize: token must be 'word' or 'char', got ${fmtValue(token)}`);
});

/** Throws unless `lines` is a list of strings. */
export function checkLines(who: string, lines: readonly string[]): void {
  const bad = Array.isArray(lines) ? lines.findIndex((l) => typeof l !== 'string') : -2;
  if (bad === -2) throw new ValueError(`${who}: lines must be a list of strings, got ${fmtValue(lines)}`);
  if (bad >= 0) throw new ValueError(`${who}: lines must be a list of strings; element ${bad} is ${fmtValue(lines[bad])}`);
}

/** The tokens of a flat list or a list of lists, each a string. */
function flat(who: string, tokens: Tokens): readonly string[] {
  if (!Array.isArray(tokens)) throw new ValueError(`${who}: tokens must be a list of strings or a list of lists of strings (text.tokenize makes one), got ${fmtValue(tokens)}`);
  const list = tokens.length > 0 && Array.isArray(tokens[0]) ? (tokens as readonly (readonly string[])[]).flat() : (tokens as readonly string[]);
  const bad = list.findIndex((t) => typeof t !== 'string');
  if (bad >= 0) throw new ValueError(`${who}: every token must be a string; token ${bad} is ${fmtValue(list[bad])}`);
  return list;
}

function count(who: string, tokens: Tokens): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of flat(who, tokens)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** Counts each token (a flat list, or a list of lines of tokens), in order of first appearance. */
export const countCorpus = publicOp('countCorpus', function countCorpus(tokens: Tokens): Map<string, number> {
  return count('countCorpus', tokens);
});

/** Options of `new Vocab(tokens, options)`. */
export interface VocabOptions {
  /** Tokens seen fewer times are left out (they map to `<unk>`). */
  minFreq?: number;
  /** Tokens placed right after `<unk>`, e.g. ['<pad>', '<bos>', '<eos>']. */
  reservedTokens?: readonly string[];
}

/**
 * D2L's vocabulary: `<unk>` (index 0), the reserved tokens, then the tokens by decreasing count.
 * @example
 * const vocab = new text.Vocab(text.tokenize(['a b a'], 'word'));
 * vocab.toIndices(['a', 'b', 'zzz']) // [1, 2, 0]
 */
export class Vocab {
  readonly idxToToken: readonly string[];
  /** (token, count) pairs, most frequent first. */
  readonly tokenFreqs: readonly (readonly [string, number])[];
  readonly #tokenToIdx: Map<string, number>;

  constructor(tokens: Tokens = [], options: VocabOptions = {}) {
    checkOptions('Vocab', options);
    const { minFreq = 0, reservedTokens = [] } = options;
    if (typeof minFreq !== 'number' || Number.isNaN(minFreq)) throw new ValueError(`Vocab: minFreq must be a number, got ${fmtValue(minFreq)}`);
    if (!Array.isArray(reservedTokens) || reservedTokens.some((t) => typeof t !== 'string')) {
      throw new ValueError(`Vocab: reservedTokens must be a list of strings such as ['<pad>', '<eos>'], got ${fmtValue(reservedTokens)}`);
    }
    // A stable sort keeps ties in order of first appearance, as Python's sorted does.
    this.tokenFreqs = [...count('Vocab', tokens).entries()].sort((a, b) => b[1] - a[1]);
    const list = ['<unk>', ...reservedTokens];
    this.#tokenToIdx = new Map(list.map((t, i) => [t, i]));
    for (const [token, freq] of this.tokenFreqs) {
      if (freq < minFreq) break;
      if (!this.#tokenToIdx.has(token)) {
        this.#tokenToIdx.set(token, list.length);
        list.push(token);
      }
    }
    this.idxToToken = list;
  }

  /** Number of tokens, `<unk>` included. */
  get length(): number {
    return this.idxToToken.length;
  }

  /** Index of the unknown token (0). */
  get unk(): number {
    return 0;
  }

  /** The index of one token (`<unk>`'s for an unknown one). */
  index(token: string): number {
    return this.#tokenToIdx.get(token) ?? 0;
  }

  /** The indices of a list of tokens (Python's `vocab[tokens]`). */
  toIndices(tokens: readonly string[]): number[] {
    if (!Array.isArray(tokens)) throw new ValueError(`Vocab.toIndices: tokens must be a list of strings, got ${fmtValue(tokens)}`);
    return tokens.map((t) => this.index(t));
  }

  /** The tokens of a list of indices. */
  toTokens(indices: readonly number[]): string[] {
    if (!Array.isArray(indices)) throw new ValueError(`Vocab.toTokens: indices must be a list of integers, got ${fmtValue(indices)}`);
    return indices.map((i) => {
      const t = Number.isInteger(i) ? this.idxToToken[i] : undefined;
      if (t === undefined) throw new ValueError(`Vocab.toTokens: index ${fmtValue(i)} is not in [0, ${this.length})`);
      return t;
    });
  }
}
