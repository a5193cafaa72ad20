// Runs examples/deferred-init.ts as a user would and checks its output line by line, imperatively
// and with --hybridize (every network hybridized before its first forward).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

for (const hybrid of [false, true]) {
  test(`examples/deferred-init.ts prints the D2L chapter output${hybrid ? ' (--hybridize)' : ''}`, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/deferred-init.ts', ...(hybrid ? ['--hybridize'] : [])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const inits = lines.filter((l) => l.startsWith('Init '));
    assert.deepEqual(inits, [
      'Init dense0_weight (256, 20)',
      'Init dense1_weight (10, 256)',
      'Init dense0_weight (256, 20)',
      'Init dense1_weight (10, 256)',
      'Init dense2_weight (256, 20)',
      'Init dense3_weight (10, 256)',
      'Init dense4_weight (256, 20)',
      'Init dense5_weight (10, 256)',
      'Init dense4_weight (256, 30)',
      'Init dense5_weight (10, 256)',
    ]);
    // Nothing is printed by initialize() alone nor by the second forward.
    const at = (marker: string): number => lines.indexOf(marker);
    assert.equal(lines[at('# after initialize: nothing printed, shapes unknown') + 1], `${hybrid ? 'Hybrid' : ''}Sequential(`);
    assert.equal(lines[at('# first forward') + 1], 'Init dense0_weight (256, 20)');
    assert.equal(lines[at('# second forward: nothing printed') + 1], `${hybrid ? 'Hybrid' : ''}Sequential(`);
    assert.ok(r.stdout.includes('  (0): Dense(None -> 256, Activation(relu))\n  (1): Dense(None -> 10, linear)'));
    assert.ok(r.stdout.includes('  (0): Dense(20 -> 256, Activation(relu))\n  (1): Dense(256 -> 10, linear)'));
    assert.ok(r.stdout.includes('output shape (5, 10)'));
    assert.match(r.stdout, /ShapeError: dense0: input of shape \(2, 30\) does not fit parameter weight \(dense0_weight\) of shape \(256, 20\)/);
    assert.match(r.stdout, /ShapeError: dense2: .*\(256, 20\)/);
  });
}
