/**
 * Every TypeScript block of README.md and docs/*.md runs as written (tests/docs/blocks.ts has the
 * convention: `ts`, `ts continued`, `ts norun`, and `text` output blocks, which are compared with
 * what the block prints), and type-checks under the project's settings.
 *
 * Each chain of blocks runs in a fresh process, in a fresh temporary folder (files the docs write,
 * such as mlp.safetensors, land there), importing 'tsgluon' from src/ through the repository's
 * tsconfig paths, on the backend the suite runs on. What the docs need from outside:
 * - datasets: TSGLUON_DATASETS points to small stand-in MNIST and Fashion-MNIST files (600 training
 *   and 100 test images in the real IDX layout) and TSGLUON_OFFLINE=1 forbids downloads, so the
 *   Fashion-MNIST examples run their full code in seconds (the accuracies they mention are not
 *   compared: they are comments, not output blocks);
 * - a file written by PyTorch: torch.safetensors in the working folder is
 *   tests/fixtures/pytorch/mlp.safetensors, the file docs/saving.md describes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { writeTinyMnist } from '../data/fixtures.js';
import { chainBlocks, chainProgram, extractBlocks, splitOutput, type Chain, type DocBlock } from './blocks.js';

const repo = resolve(import.meta.dirname, '..', '..');
const docs = ['README.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const blocks: DocBlock[] = docs.flatMap((f) => extractBlocks(f, readFileSync(join(repo, f), 'utf8')));
const chains = chainBlocks(blocks);

const work = mkdtempSync(join(tmpdir(), 'tsgluon-docs-'));
const datasets = join(work, 'datasets');
for (const name of ['mnist', 'fashion-mnist']) {
  mkdirSync(join(datasets, name), { recursive: true });
  writeTinyMnist(join(datasets, name), { nTrain: 600, nTest: 100 });
}

/** Runs a chain's program in its own folder; resolves with the exit status and output. */
function runChain(chain: Chain, index: number): Promise<{ status: number | null; stdout: string; stderr: string; path: string }> {
  const dir = join(work, `chain-${index}`);
  mkdirSync(dir);
  copyFileSync(join(repo, 'tests', 'fixtures', 'pytorch', 'mlp.safetensors'), join(dir, 'torch.safetensors'));
  const path = join(dir, 'program.mts');
  writeFileSync(path, chainProgram(chain));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path], {
    cwd: dir,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repo, 'tsconfig.json'), TSGLUON_DATASETS: datasets, TSGLUON_OFFLINE: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (status) => done({ status, stdout, stderr, path })));
}

test('the docs have ts blocks, and few that do not run', () => {
  const norun = blocks.filter((b) => b.mode === 'norun');
  assert.ok(blocks.length - norun.length >= 35, `${blocks.length - norun.length} blocks run`);
  // norun is rare: today only docs/ADDING-AN-OP.md's source excerpts (kernel signatures, table rows).
  assert.ok(norun.length <= 10, `norun blocks: ${norun.map((b) => `${b.file}:${b.line}`).join(', ')}`);
});

describe('every docs block runs as written', { concurrency: 2 }, () => {
  chains.forEach((chain, index) => {
    const where = `${chain.file}:${chain.line}${chain.blocks.length > 1 ? ` (+${chain.blocks.length - 1} continued)` : ''}`;
    test(where, { timeout: 180_000 }, async () => {
      const r = await runChain(chain, index);
      assert.equal(r.status, 0, `${where} failed (program: ${r.path}):\n${r.stderr}`);
      const outputs = splitOutput(r.stdout, chain.blocks.length);
      chain.blocks.forEach((b, i) => {
        if (b.expected === null) return;
        assert.equal(outputs[i], b.expected.trimEnd(), `${b.file}:${b.line} printed something other than the text block after it`);
      });
    });
  });
});

test('every docs block type-checks (strict, the project settings)', { timeout: 300_000 }, () => {
  const dir = join(work, 'typecheck');
  mkdirSync(dir);
  const files = chains.map((chain, i) => {
    const path = join(dir, `chain-${i}.mts`);
    writeFileSync(path, chainProgram(chain));
    return path;
  });
  const config = ts.getParsedCommandLineOfConfigFile(join(repo, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  // Docs show values without always using them: unused names are fine there.
  const program = ts.createProgram(files, { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const source = d.file.text.split('\n');
    const block = source.slice(0, line + 1).reverse().find((l) => l.startsWith('// ---- ')) ?? d.file.fileName;
    return `${block.replace('// ---- ', '')} (${d.file.fileName}:${line + 1}): ${text}\n    ${source[line]!.trim()}`;
  });
  assert.deepEqual(problems, []);
});
