// Runs examples/parameter-management.ts as a user would and checks what it prints, section by
// section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('examples/parameter-management.ts prints the D2L chapter output', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/parameter-management.ts'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  /** The lines printed after the header `# title`, up to the next header. */
  const section = (title: string): string[] => {
    const at = lines.indexOf(`# ${title}`);
    assert.ok(at >= 0, `section '# ${title}' missing`);
    const end = lines.findIndex((l, i) => i > at && l.startsWith('# '));
    return lines.slice(at + 1, end < 0 ? undefined : end);
  };
  assert.deepEqual(section('net(X).shape'), ['(2, 1)']);
  assert.deepEqual(section('print(net[1].params)'), [
    'ParameterDict(',
    '  weight: Parameter dense1_weight (shape=(1, 8), dtype=float32)',
    '  bias: Parameter dense1_bias (shape=(1,), dtype=float32)',
    ')',
  ]);
  assert.deepEqual(section('net[1].bias: type, printed, data'), ['Parameter', 'Parameter dense1_bias (shape=(1,), dtype=float32)', '[0.]', '<NDArray 1 @cpu>']);
  assert.deepEqual(section('net[1].weight.grad()'), ['[[0. 0. 0. 0. 0. 0. 0. 0.]]', '<NDArray 1x8 @cpu>']);
  assert.deepEqual(section('net.collectParams()').slice(1, 5).map((l) => l.split(':')[0]!.trim()), ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.deepEqual(section("net.collectParams().get('dense1_bias').data()"), ['[0.]', '<NDArray 1 @cpu>']);
  assert.equal(section("net.collectParams('.*weight')").length, 4);
  const rg = section('print(rgnet)');
  assert.equal(rg.filter((l) => l.includes('Dense(') && l.includes('-> 32')).length, 4);
  assert.deepEqual(rg.slice(-2), ['  (1): Dense(16 -> 10, linear)', ')']);
  assert.match(section('rgnet[0][1][0].bias.data()')[0]!, /^\[(0\. ){31}0\.\]$/);
  // Normal(0.01): four small values; Constant(1): ones; Constant(42) for the second layer.
  const normal = section('init.Normal(0.01): net[0].weight.data()[0]')[0]!.replace(/[[\]]/g, '').trim().split(/\s+/).map(Number);
  assert.equal(normal.length, 4);
  assert.ok(normal.every((v) => Math.abs(v) < 0.05 && v !== 0));
  assert.deepEqual(section('init.Constant(1): net[0].weight.data()[0]')[0], '[1. 1. 1. 1.]');
  const mixed = section('Xavier for net[0].weight, Constant(42) for net[1]');
  assert.ok(mixed[0]!.replace(/[[\]]/g, '').trim().split(/\s+/).map(Number).every((v) => Math.abs(v) <= Math.sqrt(3 / 6)));
  assert.equal(mixed[2], '[[42. 42. 42. 42. 42. 42. 42. 42.]]');
  const my = section('MyInit');
  assert.deepEqual(my.slice(0, 2), ['Init dense0_weight (8, 4)', 'Init dense1_weight (1, 8)']);
  assert.ok(my.includes('every value is 0 or in [5, 10] in magnitude: true'));
  assert.match(section('data()[:] += 1; data()[0, 0] = 42')[0]!, /^\[\s*42\. /);
  assert.deepEqual(section('setData(data() + 1) changes the next forward'), ['output moved by [ [ 1 ], [ 1 ] ]']);
  assert.deepEqual(section('tied parameters'), [
    '[1. 1. 1. 1. 1. 1. 1. 1.]',
    '<NDArray 8 @cpu>',
    '[1. 1. 1. 1. 1. 1. 1. 1.]',
    '<NDArray 8 @cpu>',
    'same Parameter object: true',
    'collectParams keys: 0.weight 0.bias 1.weight 1.bias 3.weight 3.bias',
  ]);
  assert.deepEqual(section('gradients of tied parameters'), ['grad [[17,17],[23,19]]', 'after one SGD step [0.15,1.15,1.85,3.05]']);
  assert.deepEqual(section('a tied net is saved with the shared parameter once'), ['saved keys: 0.bias 0.weight 1.bias 1.weight 3.bias 3.weight', 'restored output equal: true']);
  assert.match(
    section('a tied layer fed another input size')[0]!,
    /^ShapeError: (dense\d+): input of shape \(2, 8\) does not fit parameter weight \((dense\d+)_weight\) of shape \(8, 16\).*shared by \1 and \2/,
  );
  assert.deepEqual(section('shareParameters: tie the weights of two networks after building them'), ['weights shared: true biases shared: false']);
  const frozen = section('frozen parameters and constants');
  assert.match(frozen[1]!, /^ {2}scale: Constant scaled0_scale \(shape=\(3,\), dtype=float32\)$/);
  assert.equal(frozen.at(-2), 'weight (frozen) [[1,1],[1,1],[1,1]] bias [-1,-2,-3] scale (constant) [1,2,3]');
});
