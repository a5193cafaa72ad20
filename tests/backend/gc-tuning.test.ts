import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gcTuningFlag } from '../../src/backend/native/gc-tuning.js';

test('the native backend turns concurrent array-buffer sweeping off by default', () => {
  assert.equal(gcTuningFlag([], '', undefined), '--no-concurrent-array-buffer-sweeping');
  assert.equal(gcTuningFlag(['--max-old-space-size=4096'], '--trace-warnings', '1'), '--no-concurrent-array-buffer-sweeping');
});

test('TSGLUON_GC_TUNING=0 and a flag of the user leave V8 alone', () => {
  assert.equal(gcTuningFlag([], '', '0'), null);
  assert.equal(gcTuningFlag(['--concurrent-array-buffer-sweeping'], '', undefined), null);
  assert.equal(gcTuningFlag([], '--no-concurrent-array-buffer-sweeping', undefined), null);
});

test('a process that loads the native backend runs eager ops with the tuning applied, silently', () => {
  // setFlagsFromString prints to stderr for a flag this V8 does not know: none may appear.
  const script = "import('./src/index.ts').then(({ nd }) => { let s = 0; for (let i = 0; i < 50; i++) s += nd.ones([1 << 16]).mul(2).sum().item(); console.log(s); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=development', '-e', script], { encoding: 'utf8', env: { ...process.env, TSGLUON_BACKEND: 'native' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), String(50 * 2 * (1 << 16)));
  assert.equal(r.stderr, '');
});
