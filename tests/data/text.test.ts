/**
 * gluon.data.text: D2L's tokenizer, vocabulary and language-model minibatches, and the shipped
 * text (the opening of Pride and Prejudice, read as D2L reads The Time Machine).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator, gluon, ValueError } from '../../src/index.js';

const { text } = gluon.data;

test('tokenize by word and by character', () => {
  assert.deepEqual(text.tokenize(['the time  machine', '', 'by h g wells']), [['the', 'time', 'machine'], [], ['by', 'h', 'g', 'wells']]);
  assert.deepEqual(text.tokenize(['ab c'], 'char'), [['a', 'b', ' ', 'c']]);
  assert.throws(() => text.tokenize(['x'], 'byte' as 'char'), ValueError);
});

test('Vocab: <unk> first, reserved tokens, then by decreasing count with ties in order of first appearance', () => {
  const vocab = new text.Vocab(text.tokenize(['b a c a', 'd c a e'], 'word'), { reservedTokens: ['<pad>'], minFreq: 1 });
  assert.deepEqual(vocab.idxToToken, ['<unk>', '<pad>', 'a', 'c', 'b', 'd', 'e']);
  assert.deepEqual(vocab.tokenFreqs, [['a', 3], ['c', 2], ['b', 1], ['d', 1], ['e', 1]]);
  assert.deepEqual(vocab.toIndices(['a', 'e', 'zebra']), [2, 6, 0]);
  assert.deepEqual(vocab.toTokens([4, 0]), ['b', '<unk>']);
  assert.equal(vocab.length, 7);
  assert.equal(vocab.unk, 0);
  const rare = new text.Vocab(['x', 'x', 'y'], { minFreq: 2 });
  assert.deepEqual(rare.idxToToken, ['<unk>', 'x']);
  assert.throws(() => vocab.toTokens([7]), /index 7 is not in \[0, 7\)/);
});

test('random sampling: subsequences of numSteps at a random offset, each once, Y = X shifted', () => {
  const corpus = Int32Array.from({ length: 35 }, (_, i) => i);
  const batches = [...text.seqDataIterRandom(corpus, 2, 5, new Generator(1))];
  // 35 tokens, offset o in [0, 5): floor((34 - o) / 5) subsequences, in batches of 2.
  assert.equal(batches.length, 3);
  const starts: number[] = [];
  for (const [X, Y] of batches) {
    assert.deepEqual([X.shape, X.dtype, Y.shape], [[2, 5], 'int32', [2, 5]]);
    const x = X.toArray() as number[][];
    const y = Y.toArray() as number[][];
    x.forEach((row, r) => {
      assert.deepEqual(row, row.map((_, j) => row[0]! + j));
      assert.deepEqual(y[r], row.map((v) => v + 1));
      starts.push(row[0]!);
    });
  }
  const offset = Math.min(...starts) % 5;
  assert.ok(starts.every((s) => (s - offset) % 5 === 0));
  assert.equal(new Set(starts).size, starts.length);
});

test('sequential partitioning: row i of a batch continues row i of the previous one', () => {
  const corpus = Int32Array.from({ length: 35 }, (_, i) => i);
  const batches = [...text.seqDataIterSequential(corpus, 2, 5, new Generator(1))];
  assert.equal(batches.length, 3);
  for (let b = 1; b < batches.length; b++) {
    const prev = batches[b - 1]![0].toArray() as number[][];
    const cur = batches[b]![0].toArray() as number[][];
    cur.forEach((row, r) => assert.equal(row[0], prev[r]![4]! + 1));
  }
  const [X, Y] = batches[0]!;
  assert.deepEqual((Y.toArray() as number[][]).map((r) => r[0]), (X.toArray() as number[][]).map((r) => r[1]));
  assert.throws(() => [...text.seqDataIterSequential(corpus, 0, 5)], /batchSize must be a positive integer/);
});

test('the shipped text, prepared as D2L prepares The Time Machine', () => {
  const lines = text.readPrideAndPrejudice();
  assert.equal(lines[0], 'pride and prejudice');
  assert.equal(lines[9], 'it is a truth universally acknowledged that a single man in possession');
  assert.ok(lines.every((l) => /^[a-z ]*$/.test(l)));
  const { corpus, vocab } = text.loadCorpus(lines);
  assert.equal(vocab.length, 28);
  assert.deepEqual(vocab.idxToToken.slice(0, 5), ['<unk>', ' ', 'e', 't', 'a']);
  assert.equal(corpus.length, 170654);
  assert.equal(vocab.toTokens(Array.from(corpus.subarray(0, 11))).join(''), 'pride and p');
  const { loader, vocab: v2 } = text.loadDataPrideAndPrejudice(32, 35, { generator: new Generator(0) });
  assert.equal(v2.length, 28);
  assert.equal(loader.corpus.length, 10000);
  const batches = [...loader];
  assert.ok(batches.length === 8, `${batches.length} batches`);
  assert.deepEqual(batches[0]![0].shape, [32, 35]);
});
