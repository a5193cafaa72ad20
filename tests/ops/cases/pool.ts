import { nd, DTypeError, ShapeError, ValueError } from '../../../src/index.js';
import type { CaseFile } from '../op-table.js';

const f64 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'float64' });
const randn = (shape: number[], seed: number) => {
  nd.random.seed(seed);
  return nd.random.normal({ shape, dtype: 'float64' });
};
const x3 = () => f64([[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]]]);

interface PoolGeo {
  kernel: number[];
  stride: number[];
  pad: number[];
  type: 'max' | 'avg';
  ceil?: boolean;
  includePad?: boolean;
}

/** 2-D pooling by its definition, in float64 (ceil mode drops windows starting in the right pad). */
function poolOracle(x: nd.NDArray, g: PoolGeo): nd.NestedArray {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [KH, KW] = g.kernel as [number, number];
  const [SH, SW] = g.stride as [number, number];
  const [PH, PW] = g.pad as [number, number];
  const size = (i: number, k: number, s: number, p: number) => {
    let o = (g.ceil ? Math.ceil((i + 2 * p - k) / s) : Math.floor((i + 2 * p - k) / s)) + 1;
    if (g.ceil && (o - 1) * s >= i + p) o -= 1;
    return o;
  };
  const [OH, OW] = [size(H, KH, SH, PH), size(W, KW, SW, PW)];
  const y: number[] = [];
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const h0 = oh * SH - PH;
        const w0 = ow * SW - PW;
        let best = -Infinity;
        let sum = 0;
        let count = 0;
        for (let h = h0; h < h0 + KH; h++) {
          for (let w = w0; w < w0 + KW; w++) {
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            const v = x.storage[(nc * H + h) * W + w]!;
            best = Math.max(best, v);
            sum += v;
            count++;
          }
        }
        const padded = (Math.min(h0 + KH, H + PH) - h0) * (Math.min(w0 + KW, W + PW) - w0);
        y.push(g.type === 'max' ? best : sum / (g.includePad === false ? count : padded));
      }
    }
  }
  return nd.array(y, { shape: [N, C, OH, OW], dtype: 'float64' }).toArray();
}

export const { cases, errors }: CaseFile = {
  cases: [
    {
      name: 'pooling max 2x2 stride 1',
      fn: (x) => nd.pooling(x!, { kernel: 2, poolType: 'max' }),
      inputs: () => [x3()],
      expected: [[[[4, 5], [7, 8]]]],
      grad: true,
    },
    {
      name: 'pooling max 2x2 stride 2 pad 1 (padding never wins)',
      fn: (x) => nd.pooling(x!.sub(100), { kernel: 2, stride: 2, pad: 1 }),
      inputs: () => [x3()],
      expected: [[[[-100, -98], [-94, -92]]]],
      grad: true,
    },
    {
      name: 'pooling avg 2x2 stride 2 pad 1, countIncludePad (default)',
      fn: (x) => nd.pooling(x!, { kernel: 2, stride: 2, pad: 1, poolType: 'avg' }),
      inputs: () => [x3()],
      expected: [[[[0, 0.75], [2.25, 6]]]],
      grad: true,
    },
    {
      name: 'pooling avg 2x2 stride 2 pad 1, countIncludePad false',
      fn: (x) => nd.pooling(x!, { kernel: 2, stride: 2, pad: 1, poolType: 'avg', countIncludePad: false }),
      inputs: () => [x3()],
      expected: [[[[0, 1.5], [4.5, 6]]]],
      grad: true,
    },
    {
      name: 'pooling avg ceil mode (pooling convention full) clips the last window',
      fn: (x) => nd.pooling(x!, { kernel: 2, stride: 2, poolType: 'avg', ceilMode: true }),
      inputs: () => [x3()],
      expected: [[[[2, 3.5], [6.5, 8]]]],
      grad: true,
    },
    {
      name: "pooling max poolingConvention 'full' on 3x3",
      fn: (x) => nd.pooling(x!, { kernel: 2, stride: 2, poolingConvention: 'full' }),
      inputs: () => [x3()],
      expected: [[[[4, 5], [7, 8]]]],
    },
    {
      name: 'pooling max 1-D (NCW) kernel 3 stride 2',
      fn: (x) => nd.pooling(x!, { kernel: 3, stride: 2 }),
      inputs: () => [f64([[[3, 1, 4, 1, 5, 9, 2]], [[6, 5, 3, 5, 8, 9, 7]]])],
      expected: [[[4, 5, 9]], [[6, 8, 9]]],
      grad: true,
    },
    {
      name: 'pooling avg 3-D (NCDHW) 2x2x2',
      fn: (x) => nd.pooling(x!, { kernel: 2, stride: 2, poolType: 'avg' }),
      inputs: () => [nd.arange(0, 8, 1, { dtype: 'float64' }).reshape([1, 1, 2, 2, 2])],
      expected: [[[[[3.5]]]]],
      grad: true,
    },
    {
      name: 'globalAvgPool and globalMaxPool',
      fn: (x) => nd.globalAvgPool(x!).add(nd.globalMaxPool(x!).mul(10)),
      inputs: () => [f64([[[[1, 2], [3, 4]], [[-1, -2], [-3, -6]]]])],
      expected: [[[[2.5 + 40]], [[-3 - 10]]]],
      grad: true,
    },
    {
      name: 'adaptiveAvgPool (4, 6) to (2, 3)',
      fn: (x) => nd.adaptiveAvgPool(x!, [2, 3]),
      inputs: () => [nd.arange(0, 24, 1, { dtype: 'float64' }).reshape([1, 1, 4, 6])],
      expected: [[[[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]]]],
      grad: true,
    },
    {
      name: 'pooling max 3x3 stride 2 pad 1 (ResNet stem) vs oracle',
      fn: (x) => nd.pooling(x!, { kernel: 3, stride: 2, pad: 1 }),
      inputs: () => [randn([2, 3, 7, 6], 21)],
      oracle: (x) => poolOracle(x!, { kernel: [3, 3], stride: [2, 2], pad: [1, 1], type: 'max' }),
      shape: [2, 3, 4, 3],
      grad: true,
    },
    {
      name: 'pooling avg 3x2 stride (2,1) pad (1,1) ceil mode vs oracle',
      fn: (x) => nd.pooling(x!, { kernel: [3, 2], stride: [2, 1], pad: [1, 1], poolType: 'avg', ceilMode: true }),
      inputs: () => [randn([2, 2, 6, 5], 22)],
      oracle: (x) => poolOracle(x!, { kernel: [3, 2], stride: [2, 1], pad: [1, 1], type: 'avg', ceil: true }),
      grad: true,
    },
    {
      name: 'pooling avg excluding pad, ceil mode vs oracle',
      fn: (x) => nd.pooling(x!, { kernel: 3, stride: 2, pad: 1, poolType: 'avg', ceilMode: true, countIncludePad: false }),
      inputs: () => [randn([1, 2, 6, 6], 23)],
      oracle: (x) => poolOracle(x!, { kernel: [3, 3], stride: [2, 2], pad: [1, 1], type: 'avg', ceil: true, includePad: false }),
      grad: true,
    },
    {
      name: 'pooling shape-only input',
      fn: (x) => {
        const y = nd.pooling(nd.NDArray.shapeOnly(x!.shape, 'float32'), { kernel: 3, stride: 2, pad: 1 });
        return nd.array(y.isShapeOnly ? y.shape : [-1]);
      },
      inputs: () => [nd.zeros([1, 64, 112, 112])],
      expected: [1, 64, 56, 56],
    },
  ],
  errors: [
    {
      name: 'pooling window larger than the input',
      fn: () => nd.pooling(nd.ones([1, 1, 2, 2]), { kernel: 3 }),
      error: ShapeError,
      message: /pooling: input \(1, 1, 2, 2\) is smaller than the window \(3, 3\)/,
    },
    {
      name: 'pooling pad larger than half the kernel',
      fn: () => nd.pooling(nd.ones([1, 1, 4, 4]), { kernel: 2, pad: 2 }),
      error: ValueError,
      message: /pooling: pad \[2,2\] must be at most half the kernel/,
    },
    {
      name: 'pooling without kernel',
      fn: () => nd.pooling(nd.ones([1, 1, 4, 4])),
      error: ValueError,
      message: /pooling: give a kernel/,
    },
    {
      name: 'pooling integer input',
      fn: () => nd.pooling(nd.ones([1, 1, 4, 4], { dtype: 'int32' }), { kernel: 2 }),
      error: DTypeError,
      message: /pooling: needs a float32 or float64 input, got int32/,
    },
    {
      name: 'pooling 2-D input',
      fn: () => nd.pooling(nd.ones([4, 4]), { kernel: 2 }),
      error: ShapeError,
      message: /pooling: input of shape \(4, 4\) must be/,
    },
    {
      name: 'adaptiveAvgPool uneven sizes',
      fn: () => nd.adaptiveAvgPool(nd.ones([1, 1, 5, 5]), 2),
      error: ShapeError,
      message: /adaptiveAvgPool: input \(1, 1, 5, 5\) does not divide evenly into output size \(2, 2\)/,
    },
  ],
};
