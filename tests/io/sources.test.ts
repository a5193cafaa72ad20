/**
 * Loading parameters the browser way: from a fetch Response, a Blob, an ArrayBuffer or a typed
 * array (`net.loadParametersFrom`), and saving to a Blob (`net.saveParametersBlob`). Node has the
 * same Response and Blob classes, so these run here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, ValueError, nd, nn } from '../../src/index.js';

function net(seed: number): nn.Sequential {
  nd.random.seed(seed);
  const n = new nn.Sequential();
  n.add(new nn.Dense(3, { activation: 'relu' }), new nn.Dense(2));
  n.initialize({ inputShape: [1, 4] });
  return n;
}

test('a Blob saved from one network loads into a pending one through a Response, a Blob, an ArrayBuffer and a typed array', async () => {
  const a = net(1);
  const blob = a.saveParametersBlob();
  assert.equal(blob.type, 'application/octet-stream');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  assert.deepEqual(bytes, a.saveParametersBytes());
  const x = nd.array([[1, -2, 3, 0.5]]);
  const want = Array.from(a.forward(x).storage);
  for (const source of [new Response(blob), blob, bytes.buffer.slice(0), new Uint8Array(bytes)]) {
    const b = new nn.Sequential();
    b.add(new nn.Dense(3, { activation: 'relu' }), new nn.Dense(2));
    const report = await b.loadParametersFrom(source);
    assert.deepEqual(report.loaded, ['0.weight', '0.bias', '1.weight', '1.bias']);
    assert.deepEqual(Array.from(b.forward(x).storage), want);
  }
});

test('loadParametersFrom refuses a failed response and a non-byte source, leaving the network as it was', async () => {
  const a = net(2);
  const before = a.saveParametersBytes();
  const missing = new Response('not found', { status: 404, statusText: 'Not Found' });
  await assert.rejects(a.loadParametersFrom(missing), (e: unknown) => e instanceof FormatError && /loadParametersFrom: .*HTTP 404 Not Found/.test(e.message));
  await assert.rejects(a.loadParametersFrom('model.safetensors' as never), (e: unknown) => e instanceof ValueError && /expected a fetch Response, a Blob/.test(e.message));
  assert.deepEqual(a.saveParametersBytes(), before);
});
