// float16 and bfloat16 as storage dtypes: rounding to nearest even matching NumPy and PyTorch bit
// for bit (values computed with numpy 1.x / torch 2 and pasted here), exact decoding, creation,
// printing, astype both ways, ops widening to float32 with gradients flowing back in 16 bits, the
// guarded `storage`, in-place writes, and the promotion rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, autograd, nd } from '../../src/index.js';

const VALUES = [
  0.0, -0.0, 1.0, -2.0, 65504.0, 65519.99, 65520.0, 100000.0, 2 ** -24, 2 ** -25, 2.980232536792755e-8,
  4.470348358154297e-8, 6.103515625e-5, 6.1005353927612305e-5, 0.1, 0.3333333333333333, 1.0009765625, 1.00048828125, 1.000732421875,
  1.0004882812500002, -1e-8, Infinity, -Infinity, 3.1415926535, 1e38, 3.4e38, 1.00390625, 1.005859375, 1.001953125,
];
// np.array(VALUES).astype(np.float32).astype(np.float16).view(np.uint16); torch's float64 -> float16 gives the same.
const F16 = [
  0x0, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x7c00, 0x1, 0x0, 0x1, 0x1, 0x400, 0x400, 0x2e66, 0x3555, 0x3c01, 0x3c00, 0x3c01,
  0x3c00, 0x8000, 0x7c00, 0xfc00, 0x4248, 0x7c00, 0x7c00, 0x3c04, 0x3c06, 0x3c02,
];
// torch.tensor(VALUES, dtype=torch.float64).to(torch.bfloat16).view(torch.int16)
const BF16 = [
  0x0, 0x8000, 0x3f80, 0xc000, 0x4780, 0x4780, 0x4780, 0x47c3, 0x3380, 0x3300, 0x3300, 0x3340, 0x3880, 0x3880, 0x3dcd, 0x3eab, 0x3f80,
  0x3f80, 0x3f80, 0x3f80, 0xb22c, 0x7f80, 0xff80, 0x4049, 0x7e96, 0x7f80, 0x3f80, 0x3f81, 0x3f80,
];

const bits = (x: nd.NDArray): number[] => Array.from(x._raw);

test('rounding to float16 and bfloat16 matches NumPy and PyTorch bit for bit', () => {
  assert.deepEqual(bits(nd.array(VALUES, { dtype: 'float16' })), F16);
  assert.deepEqual(bits(nd.array(VALUES, { dtype: 'bfloat16' })), BF16);
  // astype from float64 and from float32 rounds the same way (through float32, as PyTorch does).
  assert.deepEqual(bits(nd.array(VALUES, { dtype: 'float64' }).astype('float16')), F16);
  assert.deepEqual(bits(nd.array(VALUES).astype('bfloat16')), BF16);
});

test('decoding is exact, NaN stays NaN, and every 16-bit pattern survives a round trip through float32', () => {
  const all = nd.array(Uint16Array.from({ length: 65536 }, (_, i) => i), { dtype: 'float16' });
  const wide = all.astype('float32');
  const back = wide.astype('float16');
  const same = bits(back).every((b, i) => b === i || ((i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0 && Number.isNaN(wide.storage[i])));
  assert.ok(same, 'every non-NaN half round-trips; NaNs stay NaN');
  assert.deepEqual(Array.from(nd.array(Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000]), { dtype: 'float16' }).astype('float64').storage), [1, -2, 65504, 2 ** -24, -0]);
  const bf = nd.array(Uint16Array.from({ length: 65536 }, (_, i) => i), { dtype: 'bfloat16' });
  const bfBack = bf.astype('float32').astype('bfloat16');
  assert.ok(bits(bfBack).every((b, i) => b === i || ((i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0)));
  assert.ok(Number.isNaN(nd.array([NaN], { dtype: 'float16' }).item()));
});

test('creation, printing, toArray and item decode the values; storage refuses to hand out bit patterns', () => {
  const x = nd.array([[1, 2.5], [-0.1, 3]], { dtype: 'float16' });
  assert.equal(x.dtype, 'float16');
  assert.deepEqual(x.toArray(), [[1, 2.5], [-0.0999755859375, 3]]);
  assert.equal(nd.full([2], 0.1, { dtype: 'bfloat16' }).toArray().toString(), '0.10009765625,0.10009765625');
  assert.deepEqual(nd.ones([2], { dtype: 'float16' }).toArray(), [1, 1]);
  assert.deepEqual(nd.arange(0, 3, 1, { dtype: 'bfloat16' }).toArray(), [0, 1, 2]);
  assert.deepEqual(nd.eye(2, 2, 0, { dtype: 'float16' }).toArray(), [[1, 0], [0, 1]]);
  assert.equal(nd.array(7.3, { dtype: 'float16' }).item(), 7.30078125);
  assert.match(x.toString(), /<NDArray 2x2 float16 @cpu>/);
  assert.throws(() => x.storage, (e: Error) => e instanceof DTypeError && /float16 array stores 16-bit patterns.*astype\('float32'\)/.test(e.message));
  assert.throws(() => nd.array(new Uint16Array(2)), /a Uint16Array holds float16 or bfloat16 bit patterns/);
  nd.random.seed(1);
  const u = nd.random.uniform({ shape: [1000], dtype: 'float16' }).astype('float32').storage;
  assert.ok(u.every((v) => v >= 0 && v <= 1));
  nd.random.seed(1);
  assert.deepEqual(bits(nd.random.normal({ shape: [5], dtype: 'bfloat16' })), (nd.random.seed(1), bits(nd.random.normal({ shape: [5], dtype: 'float64' }).astype('bfloat16'))));
});

test('ops widen 16-bit inputs to float32 and return float32; views keep the 16-bit dtype', () => {
  const a = nd.array([1, 2, 3], { dtype: 'float16' });
  const b = nd.array([0.5, 0.25, 2], { dtype: 'float16' });
  const y = a.mul(b).add(1);
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(y.toArray(), [1.5, 1.5, 7]);
  assert.equal(a.sum().dtype, 'float32');
  assert.equal(a.reshape([3, 1]).dtype, 'float16');
  assert.deepEqual(a.reshape([1, 3]).toArray(), [[1, 2, 3]]);
  assert.equal(nd.dot(a.reshape([1, 3]), b.reshape([3, 1])).item(), 7);
  assert.equal(a.add(nd.array([1, 1, 1], { dtype: 'bfloat16' })).dtype, 'float32');
  assert.equal(a.add(nd.array([1, 1, 1], { dtype: 'float64' })).dtype, 'float64');
  assert.equal(a.add(nd.array([1, 1, 1], { dtype: 'int32' })).dtype, 'float32');
  assert.deepEqual(nd.NDArray.shapeOnly([2, 3], 'float16').exp().shape, [2, 3]);
});

test('gradients flow back into a 16-bit leaf in its dtype, written and accumulated', () => {
  const w = nd.array([1, -2, 0.5], { dtype: 'float16' });
  w.attachGrad();
  autograd.record(() => w.mul(w).mul(3).sum()).backward();
  assert.equal(w.grad!.dtype, 'float16');
  assert.deepEqual(w.grad!.toArray(), [6, -12, 3]);
  const v = nd.array([0.1, 0.2], { dtype: 'bfloat16' });
  v.attachGrad({ gradReq: 'add' });
  for (let i = 0; i < 3; i++) autograd.record(() => v.mul(10).sum()).backward();
  assert.deepEqual(v.grad!.toArray(), [30, 30]);
});

test('in-place writes into a 16-bit array round the values', () => {
  const x = nd.zeros([2, 3], { dtype: 'float16' });
  x.fill(0.1);
  assert.ok(x.toArray().toString().startsWith('0.0999755859375'));
  x.setSlice([0, 1], [2, 3], nd.array([[1.0009765625, 2]]));
  assert.deepEqual(x.toArray(), [[0.0999755859375, 1.0009765625, 2], [0.0999755859375, 1.0009765625, 2]]);
  x.assign(nd.array([70000, -1, 0.5], { dtype: 'float64' }));
  assert.deepEqual(x.toArray(), [[Infinity, -1, 0.5], [Infinity, -1, 0.5]]);
});
