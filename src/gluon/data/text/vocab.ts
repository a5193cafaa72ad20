/**
 * Tokenization and vocabulary as D2L builds them (section 8.2): `tokenize` splits lines into
 * words or characters, `countCorpus` counts tokens, and `Vocab` maps tokens to indices, most
 * frequent first (ties in order of first appearance), index 0 being the unknown token `<unk>`.
 */
import { ValueError } from '../../../core/errors.js';

/** A token list, or a list of token lists (one per line). */
export type Tokens = readonly string[] | readonly (readonly string[])[];

/**
 * Splits each line into words (on whitespace) or characters.
 * @example tokenize(['the time', 'machine'], 'char')[1] // ['m', 'a', 'c', 'h', 'i', 'n', 'e']
 */
export function tokenize(lines: readonly string[], token: 'word' | 'char' = 'word'): string[][] {
  if (token === 'word') return lines.map((line) => line.split(/\s+/).filter((w) => w.length > 0));
  if (token === 'char') return lines.map((line) => [...line]);
  throw new ValueError(`tokenize: token must be 'word' or 'char', got ${String(token)}`);
}

function flat(tokens: Tokens): readonly string[] {
  return tokens.length > 0 && Array.isArray(tokens[0]) ? (tokens as readonly (readonly string[])[]).flat() : (tokens as readonly string[]);
}

/** Counts each token (a flat list, or a list of lines of tokens), in order of first appearance. */
export function countCorpus(tokens: Tokens): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of flat(tokens)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

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
    const { minFreq = 0, reservedTokens = [] } = options;
    // A stable sort keeps ties in order of first appearance, as Python's sorted does.
    this.tokenFreqs = [...countCorpus(tokens).entries()].sort((a, b) => b[1] - a[1]);
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
    return tokens.map((t) => this.index(t));
  }

  /** The tokens of a list of indices. */
  toTokens(indices: readonly number[]): string[] {
    return indices.map((i) => {
      const t = this.idxToToken[i];
      if (t === undefined || !Number.isInteger(i)) throw new ValueError(`Vocab.toTokens: index ${i} is not in [0, ${this.length})`);
      return t;
    });
  }
}
