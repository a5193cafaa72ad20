import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/index.js';

test('fillUniform: same seed, same values; in range; float32 uses one draw per value', () => {
  const a = new Float32Array(10001);
  const b = new Float32Array(10001);
  new Generator(7).fillUniform(a, -2, 3);
  new Generator(7).fillUniform(b, -2, 3);
  assert.deepEqual(a, b);
  let sum = 0;
  for (const v of a) {
    assert.ok(v >= -2 && v < 3, `value ${v} outside [-2, 3)`);
    sum += v;
  }
  assert.ok(Math.abs(sum / a.length - 0.5) < 0.05, `mean ${sum / a.length} far from 0.5`);
  // One uint32 per float32 value: the generator is then where 10001 nextUint32 calls leave it.
  const g1 = new Generator(7);
  g1.fillUniform(new Float32Array(10001), 0, 1);
  const g2 = new Generator(7);
  for (let i = 0; i < 10001; i++) g2.nextUint32();
  assert.equal(g1.nextUint32(), g2.nextUint32());
  // The first value is the top 24 bits of the first draw, scaled.
  const first = new Float32Array(1);
  new Generator(9).fillUniform(first, 0, 1);
  assert.equal(first[0], (new Generator(9).nextUint32() >>> 8) / 2 ** 24);
});

test('fillUniform on float64 arrays matches nextFloat exactly', () => {
  const out = new Float64Array(5);
  new Generator(3).fillUniform(out, 1, 2);
  const g = new Generator(3);
  for (const v of out) assert.equal(v, 1 + g.nextFloat());
});

test('fillNormal: reproducible, mean loc and deviation scale, odd lengths', () => {
  const a = new Float32Array(40001);
  new Generator(11).fillNormal(a, 1.5, 2);
  const b = new Float32Array(40001);
  new Generator(11).fillNormal(b, 1.5, 2);
  assert.deepEqual(a, b);
  let s = 0;
  let s2 = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  const sd = Math.sqrt(s2 / a.length - mean * mean);
  assert.ok(Math.abs(mean - 1.5) < 0.04, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.04, `sd ${sd}`);
});
