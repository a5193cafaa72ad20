import { nd, autograd, DTypeError, ShapeError, ValueError } from '../../../src/index.js';
import type { CaseFile } from '../op-table.js';

const f64 = (v: Parameters<typeof nd.array>[0]) => nd.array(v, { dtype: 'float64' });
const randn = (shape: number[], seed: number) => {
  nd.random.seed(seed);
  return nd.random.normal({ shape, dtype: 'float64' });
};

interface Geo {
  stride?: number[];
  pad?: number[];
  dilation?: number[];
  groups?: number;
}

const pad3 = (v: readonly number[], fill: number) => [...new Array<number>(3 - v.length).fill(fill), ...v];

/**
 * Direct convolution by its definition, in float64, for 1 to 3 spatial axes:
 * y[n, o, p] = b[o] + sum over c in o's group and kernel taps t of w[o, c, t] x[n, c, p*s - pad + t*d].
 */
function convOracle(x: nd.NDArray, w: nd.NDArray, b: nd.NDArray | null, g: Geo): nd.NestedArray {
  const nsp = x.ndim - 2;
  const [N, C] = x.shape as [number, number];
  const [O, Cg] = w.shape as [number, number];
  const groups = g.groups ?? 1;
  const [D, H, W] = pad3(x.shape.slice(2), 1) as [number, number, number];
  const [KD, KH, KW] = pad3(w.shape.slice(2), 1) as [number, number, number];
  const [SD, SH, SW] = pad3(g.stride ?? new Array<number>(nsp).fill(1), 1) as [number, number, number];
  const [PD, PH, PW] = pad3(g.pad ?? new Array<number>(nsp).fill(0), 0) as [number, number, number];
  const [DD, DH, DW] = pad3(g.dilation ?? new Array<number>(nsp).fill(1), 1) as [number, number, number];
  const out = (i: number, p: number, k: number, s: number, d: number) => Math.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1;
  const [OD, OH, OW] = [out(D, PD, KD, SD, DD), out(H, PH, KH, SH, DH), out(W, PW, KW, SW, DW)];
  const xs = x.storage;
  const ws = w.storage;
  const y: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / (O / groups));
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let s = b ? b.storage[o]! : 0;
            for (let c = 0; c < Cg; c++) {
              const ci = grp * Cg + c;
              for (let kd = 0; kd < KD; kd++) {
                for (let kh = 0; kh < KH; kh++) {
                  for (let kw = 0; kw < KW; kw++) {
                    const id = od * SD - PD + kd * DD;
                    const ih = oh * SH - PH + kh * DH;
                    const iw = ow * SW - PW + kw * DW;
                    if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    s += ws[(((o * Cg + c) * KD + kd) * KH + kh) * KW + kw]! * xs[(((n * C + ci) * D + id) * H + ih) * W + iw]!;
                  }
                }
              }
            }
            y.push(s);
          }
        }
      }
    }
  }
  const shape = [N, O, OD, OH, OW].filter((_, i) => i < 2 || i >= 5 - nsp);
  return nd.array(y, { shape, dtype: 'float64' }).toArray();
}

/**
 * Transposed convolution by its definition: every input cell scatters w[c, o, t] * x[n, c, q]
 * to output position q*s - pad + t*d (dropped when outside the output).
 */
function deconvOracle(x: nd.NDArray, w: nd.NDArray, b: nd.NDArray | null, g: Geo & { adj?: number[] }): nd.NestedArray {
  const nsp = x.ndim - 2;
  const [N, C] = x.shape as [number, number];
  const Og = w.shape[1]!;
  const groups = g.groups ?? 1;
  const O = Og * groups;
  const Cpg = C / groups;
  const [D, H, W] = pad3(x.shape.slice(2), 1) as [number, number, number];
  const [KD, KH, KW] = pad3(w.shape.slice(2), 1) as [number, number, number];
  const [SD, SH, SW] = pad3(g.stride ?? new Array<number>(nsp).fill(1), 1) as [number, number, number];
  const [PD, PH, PW] = pad3(g.pad ?? new Array<number>(nsp).fill(0), 0) as [number, number, number];
  const [DD, DH, DW] = pad3(g.dilation ?? new Array<number>(nsp).fill(1), 1) as [number, number, number];
  const [AD, AH, AW] = pad3(g.adj ?? new Array<number>(nsp).fill(0), 0) as [number, number, number];
  const size = (i: number, p: number, k: number, s: number, d: number, a: number) => (i - 1) * s - 2 * p + d * (k - 1) + 1 + a;
  const [OD, OH, OW] = [size(D, PD, KD, SD, DD, AD), size(H, PH, KH, SH, DH, AH), size(W, PW, KW, SW, DW, AW)];
  const y = new Float64Array(N * O * OD * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const grp = Math.floor(c / Cpg);
      for (let og = 0; og < Og; og++) {
        const o = grp * Og + og;
        for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let q = 0; q < W; q++) {
          const xv = x.storage[(((n * C + c) * D + d) * H + h) * W + q]!;
          for (let kd = 0; kd < KD; kd++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
            const od = d * SD - PD + kd * DD;
            const oh = h * SH - PH + kh * DH;
            const ow = q * SW - PW + kw * DW;
            if (od < 0 || od >= OD || oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
            y[(((n * O + o) * OD + od) * OH + oh) * OW + ow]! += xv * w.storage[(((c * Og + og) * KD + kd) * KH + kh) * KW + kw]!;
          }
        }
      }
    }
  }
  if (b) for (let i = 0; i < y.length; i++) y[i]! += b.storage[Math.floor(i / (OD * OH * OW)) % O]!;
  const shape = [N, O, OD, OH, OW].filter((_, i) => i < 2 || i >= 5 - nsp);
  return nd.array(y, { shape, dtype: 'float64' }).toArray();
}

/**
 * Gradients of sum(r * convolution(x, w, b)) (2-D, stride s, pad p) with respect to x, w and b by
 * their definition, flattened and concatenated in that order.
 */
function convGradOracle(x: nd.NDArray, w: nd.NDArray, r: nd.NDArray, s: number, p: number): number[] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, , KH, KW] = w.shape as [number, number, number, number];
  const [OH, OW] = [r.shape[2]!, r.shape[3]!];
  const [xs, ws, rs] = [x.storage, w.storage, r.storage];
  const gx = new Array<number>(xs.length).fill(0);
  const gw = new Array<number>(ws.length).fill(0);
  const gb = new Array<number>(O).fill(0);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const rv = rs[((n * O + o) * OH + oh) * OW + ow]!;
          gb[o]! += rv;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const [ih, iw] = [oh * s - p + kh, ow * s - p + kw];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const xi = ((n * C + c) * H + ih) * W + iw;
                const wi = ((o * C + c) * KH + kh) * KW + kw;
                gx[xi]! += rv * ws[wi]!;
                gw[wi]! += rv * xs[xi]!;
              }
            }
          }
        }
      }
    }
  }
  return [...gx, ...gw, ...gb];
}

/** The same gradients through autograd (the fused primitives work the batch in chunks). */
function convGrads(x: nd.NDArray, w: nd.NDArray, b: nd.NDArray, r: nd.NDArray, s: number, p: number): nd.NDArray {
  for (const a of [x, w, b]) a.attachGrad();
  autograd.record(() => nd.convolution(x, w, b, { stride: s, pad: p }).mul(r).sum()).backward();
  return nd.concat([x.grad!.reshape([-1]), w.grad!.reshape([-1]), b.grad!], { axis: 0 });
}

const x3 = () => f64([[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]]]);

export const { cases, errors }: CaseFile = {
  cases: [
    {
      name: 'convolution 1x1x3x3 * 2x2 diagonal kernel',
      fn: (x, w) => nd.convolution(x!, w!),
      inputs: () => [x3(), f64([[[[1, 0], [0, 1]]]])],
      expected: [[[[4, 6], [10, 12]]]],
      grad: true,
    },
    {
      name: 'convolution stride 2, pad 1',
      fn: (x, w) => nd.convolution(x!, w!, null, { stride: 2, pad: 1 }),
      inputs: () => [x3(), f64([[[[1, 0], [0, 1]]]])],
      expected: [[[[0, 2], [6, 12]]]],
      grad: true,
    },
    {
      name: 'convolution dilation 2 (2x2 kernel spans 3x3)',
      fn: (x, w) => nd.convolution(x!, w!, null, { dilation: 2 }),
      inputs: () => [x3(), f64([[[[1, 2], [3, 4]]]])],
      expected: [[[[54]]]],
      grad: true,
    },
    {
      name: 'convolution numGroup 2 (depthwise 1x1) with bias',
      fn: (x, w, b) => nd.convolution(x!, w!, b!, { numGroup: 2 }),
      inputs: () => [f64([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]), f64([[[[2]]], [[[-1]]]]), f64([1, 10])],
      expected: [[[[3, 5], [7, 9]], [[5, 4], [3, 2]]]],
      grad: true,
    },
    {
      name: 'convolution 1-D (NCW) stride 2, pad 1',
      fn: (x, w) => nd.convolution(x!, w!, null, { stride: 2, pad: 1 }),
      inputs: () => [f64([[[1, 2, 3, 4, 5]]]), f64([[[1, 0, -1]]])],
      expected: [[[-2, -2, 4]]],
      grad: true,
    },
    {
      name: 'convolution 2-D multi-channel, bias, stride (2,1), pad (1,0), dilation (1,2)',
      fn: (x, w, b) => nd.convolution(x!, w!, b!, { stride: [2, 1], pad: [1, 0], dilation: [1, 2] }),
      inputs: () => [randn([2, 3, 5, 6], 1), randn([4, 3, 3, 2], 2), randn([4], 3)],
      oracle: (x, w, b) => convOracle(x!, w!, b!, { stride: [2, 1], pad: [1, 0], dilation: [1, 2] }),
      shape: [2, 4, 3, 4],
      grad: true,
    },
    {
      name: 'convolution numGroup 2, pad 1, 3x3',
      fn: (x, w, b) => nd.convolution(x!, w!, b!, { pad: 1, numGroup: 2 }),
      inputs: () => [randn([2, 4, 4, 4], 4), randn([6, 2, 3, 3], 5), randn([6], 6)],
      oracle: (x, w, b) => convOracle(x!, w!, b!, { pad: [1, 1], groups: 2 }),
      shape: [2, 6, 4, 4],
      grad: true,
    },
    {
      name: 'convolution 3-D (NCDHW), stride 2, pad 1',
      fn: (x, w) => nd.convolution(x!, w!, null, { stride: 2, pad: 1 }),
      inputs: () => [randn([1, 2, 3, 4, 3], 7), randn([2, 2, 2, 2, 2], 8)],
      oracle: (x, w) => convOracle(x!, w!, null, { stride: [2, 2, 2], pad: [1, 1, 1] }),
      shape: [1, 2, 2, 3, 2],
      grad: true,
    },
    {
      name: 'convolution float32 result matches float64 oracle',
      fn: (x, w) => nd.convolution(x!.astype('float32'), w!.astype('float32'), null, { pad: 2 }),
      inputs: () => [randn([1, 2, 6, 6], 9), randn([3, 2, 5, 5], 10)],
      oracle: (x, w) => convOracle(x!, w!, null, { pad: [2, 2] }),
      dtype: 'float32',
      rtol: 1e-4,
      atol: 1e-4,
    },
    {
      name: 'convolution gradients over several batch chunks (pad 2, last chunk short) vs oracle',
      fn: (x, w, b, r) => convGrads(x!, w!, b!, r!, 1, 2),
      inputs: () => [randn([5, 2, 30, 30], 11), randn([3, 2, 5, 5], 12), randn([3], 13), randn([5, 3, 30, 30], 14)],
      oracle: (x, w, _b, r) => convGradOracle(x!, w!, r!, 1, 2),
      rtol: 1e-9,
      atol: 1e-9,
    },
    {
      name: 'convolution gradients over several batch chunks (stride 2, no padding) vs oracle',
      fn: (x, w, b, r) => convGrads(x!.astype('float32'), w!.astype('float32'), b!.astype('float32'), r!.astype('float32'), 2, 0),
      inputs: () => [randn([5, 2, 61, 61], 15), randn([3, 2, 5, 5], 16), randn([3], 17), randn([5, 3, 29, 29], 18)],
      oracle: (x, w, _b, r) => convGradOracle(x!, w!, r!, 2, 0),
      dtype: 'float32',
      rtol: 1e-4,
      atol: 1e-3,
    },
    {
      name: 'convolution shape-only input gives a shape-only output',
      fn: (x, w) => {
        const y = nd.convolution(nd.NDArray.shapeOnly(x!.shape, 'float32'), w!, null, { stride: 2, pad: 1 });
        return nd.array(y.isShapeOnly ? y.shape : [-1]);
      },
      inputs: () => [nd.zeros([8, 3, 224, 224]), nd.zeros([64, 3, 7, 7])],
      expected: [8, 64, 110, 110],
    },
    {
      name: 'deconvolution stride 1: ones * ones 2x2',
      fn: (x, w) => nd.deconvolution(x!, w!),
      inputs: () => [f64([[[[1, 1], [1, 1]]]]), f64([[[[1, 1], [1, 1]]]])],
      expected: [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]],
      grad: true,
    },
    {
      name: 'deconvolution 1-D stride 2',
      fn: (x, w) => nd.deconvolution(x!, w!, null, { stride: 2 }),
      inputs: () => [f64([[[1, 2]]]), f64([[[1, 1, 1]]])],
      expected: [[[1, 1, 3, 2, 2]]],
      grad: true,
    },
    {
      name: 'deconvolution stride 2, pad 1, adj 1, numGroup 2, bias',
      fn: (x, w, b) => nd.deconvolution(x!, w!, b!, { stride: 2, pad: 1, adj: 1, numGroup: 2 }),
      inputs: () => [randn([2, 4, 3, 3], 11), randn([4, 3, 3, 3], 12), randn([6], 13)],
      oracle: (x, w, b) => deconvOracle(x!, w!, b!, { stride: [2, 2], pad: [1, 1], adj: [1, 1], groups: 2 }),
      shape: [2, 6, 6, 6],
      grad: true,
    },
    {
      name: 'deconvolution dilation 2, 2 output channels',
      fn: (x, w) => nd.deconvolution(x!, w!, null, { dilation: 2 }),
      inputs: () => [randn([1, 3, 2, 3], 14), randn([3, 2, 2, 2], 15)],
      oracle: (x, w) => deconvOracle(x!, w!, null, { dilation: [2, 2] }),
      shape: [1, 2, 4, 5],
      grad: true,
    },
  ],
  errors: [
    {
      name: 'convolution channel mismatch names op and shapes',
      fn: () => nd.convolution(nd.ones([1, 3, 5, 5]), nd.ones([4, 2, 3, 3])),
      error: ShapeError,
      message: /convolution.*\(1, 3, 5, 5\).*3 channels.*\(4, 2, 3, 3\).*expects 2/,
    },
    {
      name: 'convolution input smaller than the kernel',
      fn: () => nd.convolution(nd.ones([1, 1, 2, 2]), nd.ones([1, 1, 3, 3])),
      error: ShapeError,
      message: /convolution.*\(1, 1, 2, 2\).*too small/,
    },
    {
      name: 'convolution bias of the wrong length',
      fn: () => nd.convolution(nd.ones([1, 1, 3, 3]), nd.ones([2, 1, 2, 2]), nd.ones([3])),
      error: ShapeError,
      message: /convolution: bias of shape \(3,\) must be \(2,\)/,
    },
    {
      name: 'convolution weight rank differs from input',
      fn: () => nd.convolution(nd.ones([1, 1, 3, 3]), nd.ones([1, 1, 3])),
      error: ShapeError,
      message: /convolution: weight of shape \(1, 1, 3\) must have 4 axes.*\(1, 1, 3, 3\)/,
    },
    {
      name: 'convolution 2-D input without batch axis',
      fn: () => nd.convolution(nd.ones([3, 3]), nd.ones([1, 1, 2, 2])),
      error: ShapeError,
      message: /convolution: input of shape \(3, 3\) must be/,
    },
    {
      name: 'convolution integer input',
      fn: () => nd.convolution(nd.ones([1, 1, 3, 3], { dtype: 'int32' }), nd.ones([1, 1, 2, 2], { dtype: 'int32' })),
      error: DTypeError,
      message: /convolution: needs float32 or float64/,
    },
    {
      name: 'convolution stride of the wrong length',
      fn: () => nd.convolution(nd.ones([1, 1, 3, 3]), nd.ones([1, 1, 2, 2]), null, { stride: [1, 1, 1] }),
      error: ValueError,
      message: /convolution: stride \[1,1,1\] must give 2 values/,
    },
    {
      name: 'deconvolution channel mismatch',
      fn: () => nd.deconvolution(nd.ones([1, 3, 4, 4]), nd.ones([2, 5, 3, 3])),
      error: ShapeError,
      message: /deconvolution.*\(1, 3, 4, 4\).*3 channels.*\(2, 5, 3, 3\).*expects 2/,
    },
    {
      name: 'convolution weight that is not an array names the argument',
      fn: () => nd.convolution(nd.ones([1, 1, 3, 3]), [[1]] as unknown as nd.NDArray),
      error: DTypeError,
      message: /^convolution: the weight must be an NDArray, got a JavaScript array/,
    },
    {
      name: 'deconvolution bias that is not an array names the argument',
      fn: () => nd.deconvolution(nd.ones([1, 1, 2, 2]), nd.ones([1, 1, 2, 2]), 3 as unknown as nd.NDArray),
      error: DTypeError,
      message: /^deconvolution: the bias \(or null\) must be an NDArray, got number/,
    },
    {
      name: 'deconvolution adj not below stride',
      fn: () => nd.deconvolution(nd.ones([1, 1, 2, 2]), nd.ones([1, 1, 2, 2]), null, { stride: 2, adj: 2 }),
      error: ValueError,
      message: /deconvolution: adj \[2,2\] must be smaller than the stride/,
    },
  ],
};
