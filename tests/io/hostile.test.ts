import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FormatError, SafetensorsError, nd, nn } from '../../src/index.js';
import { baseFile, hostileCorpus } from './hostile-corpus.js';
import { snapshot } from './st-helpers.js';

/** Runs `fn` and returns the error it throws (or null), timing it. */
function attempt(fn: () => unknown): { error: unknown; ms: number } {
  const t0 = performance.now();
  try {
    fn();
    return { error: null, ms: performance.now() - t0 };
  } catch (e) {
    return { error: e, ms: performance.now() - t0 };
  }
}

test('the base file of the corpus is valid (so each mutation is what breaks it)', () => {
  const back = nd.loadBytes(baseFile());
  assert.deepEqual(back['w']!.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(back['i']!.toArray(), [7, 8, 9]);
});

test('every file of the hostile corpus is refused with a SafetensorsError, quickly', () => {
  const corpus = hostileCorpus();
  assert.ok(corpus.length >= 100, `corpus has ${corpus.length} files`);
  const problems: string[] = [];
  let slowest = 0;
  for (const { name, bytes } of corpus) {
    const { error, ms } = attempt(() => nd.loadBytes(bytes));
    slowest = Math.max(slowest, ms);
    if (error === null) problems.push(`${name}: accepted`);
    else if (!(error instanceof SafetensorsError) || !(error instanceof FormatError)) {
      problems.push(`${name}: ${(error as Error).name}: ${(error as Error).message}`);
    } else if (!error.message.startsWith('loadBytes: safetensors: ')) problems.push(`${name}: unprefixed message ${error.message}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(slowest < 500, `slowest file took ${slowest.toFixed(1)} ms`);
});

test('errors say what is wrong and where', () => {
  const find = (name: string): SafetensorsError => {
    const file = hostileCorpus().find((f) => f.name === name)!;
    const { error } = attempt(() => nd.loadBytes(file.bytes));
    assert.ok(error instanceof SafetensorsError, name);
    return error;
  };
  assert.match(find('header length 9007199254740992').message, /header length is 9007199254740992 bytes, above the 100000000-byte limit/);
  assert.match(find('truncated at 3 of ' + baseFile().length).message, /too short/);
  const overlap = find('overlapping tensors');
  assert.equal(overlap.tensor, 'b');
  assert.match(overlap.message, /overlap the previous tensor "a", which ends at 8/);
  assert.match(find('gap between tensors').message, /bytes \[4, 8\) of the data buffer belong to no tensor/);
  assert.match(find('duplicate tensor key').message, /duplicate key "a"/);
  assert.equal(find('duplicate tensor key').offset, 8 + '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'.length);
  assert.match(find('duplicate key via escape').message, /duplicate key "a"/);
  assert.match(find('shape larger than offsets').message, /shape \(2, 2\) of dtype F32 needs 16 bytes, but data_offsets \[0, 8\] span 8/);
  assert.match(find('2^50 elements, small offsets').message, /needs more than 2\^50 bytes/);
  assert.match(find('shape product overflows 2^53').message, /overflows/);
  assert.match(find('huge shape, small offsets').message, /overflows/);
  assert.match(find('unknown dtype').message, /unknown dtype "F31"/);
  assert.match(find('0xff byte').message, /not valid UTF-8 \(byte 0xff\)/);
  assert.equal(find('0xff byte').offset, 8 + '{"__metadata__":{"k":"'.length);
  assert.match(find('very deep nesting, unterminated').message, /nesting deeper than 16 levels/);
  assert.match(find('array header').message, /must be a JSON object, got an array/);
  assert.match(find('trailing bytes after the last tensor').message, /5 bytes after the last tensor/);
  assert.match(find('extra field').message, /unexpected field "code"/);
  assert.match(find('shape of 2000 dimensions').message, /array longer than 1024 elements/);
  const empty = find('100k empty entries');
  assert.equal(empty.tensor, 't0');
  assert.equal(empty.offset, 9, 'fails at the first entry, without parsing the rest');
});

test('bit flips anywhere in a valid file either decode or raise a SafetensorsError, never anything else', () => {
  const base = baseFile();
  let refused = 0;
  let accepted = 0;
  for (let bit = 0; bit < base.length * 8; bit++) {
    const f = base.slice();
    f[bit >> 3]! ^= 1 << (bit & 7);
    const { error } = attempt(() => nd.loadBytes(f));
    if (error === null) accepted++;
    else if (error instanceof SafetensorsError) refused++;
    else assert.fail(`bit ${bit}: ${(error as Error).name}: ${(error as Error).message}`);
  }
  // Data bits and most bits inside names and metadata values give valid files; the rest must fail.
  assert.ok(refused > 500 && accepted > 100, `refused ${refused}, accepted ${accepted}`);
});

test('property: random byte edits and splices never escape as anything but a SafetensorsError', () => {
  const base = baseFile();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.option(fc.tuple(fc.nat(base.length), fc.uint8Array({ maxLength: 16 }))),
      (edits, splice) => {
        let f = base.slice();
        for (const [i, v] of edits) f[i] = v;
        if (splice !== null) f = Uint8Array.from([...f.subarray(0, splice[0]), ...splice[1], ...f.subarray(splice[0])]);
        const { error } = attempt(() => nd.loadBytes(f));
        assert.ok(error === null || error instanceof SafetensorsError, `${(error as Error)?.name}: ${(error as Error)?.message}`);
      },
    ),
    { numRuns: 400 },
  );
});

test('loading any corpus file into a network throws a SafetensorsError and leaves the network unchanged', () => {
  nd.random.seed(11);
  const initialized = new nn.Sequential().add(new nn.Dense(3, { activation: 'relu' }), new nn.Dense(2));
  initialized.initialize({ init: 'normal' });
  initialized.forward(nd.ones([1, 2]));
  const pending = new nn.Sequential().add(new nn.Dense(3), new nn.Dense(2));
  pending.initialize();
  const fresh = new nn.Sequential().add(new nn.Dense(2, { inUnits: 3 }));
  for (const net of [initialized, pending, fresh]) {
    const before = snapshot(net);
    for (const { name, bytes } of hostileCorpus()) {
      const { error } = attempt(() => net.loadParametersBytes(bytes, { allowMissing: true, ignoreExtra: true }));
      assert.ok(error instanceof SafetensorsError, `${name}: ${String(error)}`);
    }
    assert.deepEqual(snapshot(net), before);
  }
});

test('no corpus file makes the reader allocate a buffer larger than the file itself', () => {
  const names = ['ArrayBuffer', 'Uint8Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigUint64Array'] as const;
  const g = globalThis as unknown as Record<string, unknown>;
  const originals = names.map((n) => g[n]);
  let largest = 0;
  const spy = (target: unknown): unknown =>
    new Proxy(target as new (...a: unknown[]) => object, {
      construct(t, args, newTarget) {
        const obj = Reflect.construct(t, args, newTarget) as { byteLength: number };
        largest = Math.max(largest, obj.byteLength);
        return obj;
      },
    });
  const problems: string[] = [];
  const corpus = hostileCorpus();
  try {
    names.forEach((n, i) => (g[n] = spy(originals[i])));
    for (const { name, bytes } of corpus) {
      largest = 0;
      attempt(() => nd.loadBytes(bytes));
      if (largest > Math.max(bytes.length, 64)) problems.push(`${name}: allocated ${largest} bytes for a ${bytes.length}-byte file`);
    }
    // The spy sees the reader's allocations (so the check above can fail).
    largest = 0;
    nd.loadBytes(nd.saveBytes({ big: nd.zeros([1000]) }));
    assert.ok(largest >= 4000, `spy saw ${largest}`);
  } finally {
    names.forEach((n, i) => (g[n] = originals[i]));
  }
  assert.deepEqual(problems, []);
});
