/**
 * The docs-block machinery itself (tests/docs/blocks.ts): which blocks are found and how they
 * chain, which text block is a block's output, how a chain's imports are merged, and how the
 * output is split back per block. The docs test is only as good as this.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MARKER, chainBlocks, chainProgram, extractBlocks, normalizeOutput, splitOutput } from './blocks.js';

const md = [
  '# Title',
  '```ts',
  "import { nd } from 'tsgluon';",
  'console.log(1);',
  '```',
  '',
  '```text',
  '1',
  '```',
  'Prose.',
  '```ts continued',
  "import { nd, nn } from 'tsgluon';",
  "import type { DType } from 'tsgluon';",
  'const d: DType = "float32";',
  '```',
  'Prose between.',
  '```text',
  'not an output: prose stands between',
  '```',
  '```sh',
  'npm test',
  '```',
  '   ```ts norun',
  '   excerpt(',
  '   ```',
  '```ts',
  "import * as path from 'node:path';",
  'console.log(path.sep);',
  '```',
].join('\n');

test('blocks: ts, continued and norun found with their lines; a text block counts as output only when adjacent', () => {
  const blocks = extractBlocks('x.md', md);
  assert.deepEqual(blocks.map((b) => [b.line, b.mode, b.expected]), [
    [2, 'run', '1'],
    [11, 'continued', null],
    [23, 'norun', null],
    [26, 'run', null],
  ]);
  const chains = chainBlocks(blocks);
  assert.deepEqual(chains.map((c) => [c.line, c.blocks.length]), [[2, 2], [26, 1]]);
});

test('blocks: malformed docs are errors, not silently skipped blocks', () => {
  assert.throws(() => extractBlocks('x.md', '```ts\nconsole.log(1);\n'), /x\.md:1: unclosed code fence/);
  assert.throws(() => extractBlocks('x.md', '```ts later\n```'), /x\.md:1: unknown ts block tag "later"/);
  assert.throws(() => chainBlocks(extractBlocks('x.md', '```ts continued\n```')), /x\.md:1: a "ts continued" block with no ts block before it/);
});

test('a chain is one module: imports merged and hoisted once, a marker before each block', () => {
  const [chain] = chainBlocks(extractBlocks('x.md', md));
  const program = chainProgram(chain!);
  assert.equal((program.match(/^import /gm) ?? []).length, 1, program);
  assert.match(program, /^import \{ nd, nn, type DType \} from 'tsgluon';$/m);
  assert.equal(program.split(`console.log(${JSON.stringify(MARKER)});`).length, 3);
  assert.ok(program.indexOf('console.log(1);') < program.indexOf('const d: DType'), 'blocks keep their order');
  // a type-only import of a name also imported as a value collapses into the value import
  const dup = chainBlocks(extractBlocks('y.md', "```ts\nimport { nd } from 'tsgluon';\n```\n```ts continued\nimport type { nd } from 'tsgluon';\n```"));
  assert.match(chainProgram(dup[0]!), /^import \{ nd \} from 'tsgluon';$/m);
});

test('output: split per block at the markers, trailing spaces and edge blank lines ignored', () => {
  const stdout = `${MARKER}\na  \n\nb\n\n${MARKER}\n${MARKER}\nc\n`;
  assert.deepEqual(splitOutput(stdout, 3), ['a\n\nb', '', 'c']);
  assert.equal(normalizeOutput('\n\n x \ny\t\n\n'), ' x\ny');
});
