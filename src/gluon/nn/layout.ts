/**
 * Data layouts of the convolution, pooling and normalization layers: channels first (NCW, NCHW,
 * NCDHW, the default, what the kernels compute on) or channels last (NWC, NHWC, NDHWC, as
 * TensorFlow and images decoded from files lay them out).
 *
 * Channels-last layers are written at the layer level: the input is transposed to channels
 * first, the layer's usual op runs, and the output is transposed back. Each transpose is one copy
 * (with its gradient), so a channels-last network computes exactly what the channels-first one
 * does on transposed data, at the cost of those copies.
 */
import { ValueError, fmtValue } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';
import { transpose } from '../../ops/shape.js';

const FIRST = ['NCW', 'NCHW', 'NCDHW'] as const;
const LAST = ['NWC', 'NHWC', 'NDHWC'] as const;

/** A checked layout of a layer with `rank` spatial axes. */
export interface Layout {
  /** The layout's name, e.g. 'NHWC'. */
  readonly name: string;
  /** True for NWC / NHWC / NDHWC. */
  readonly channelsLast: boolean;
}

/**
 * The layout `layout` (default: channels first) of a `cls` layer with `rank` spatial axes, or a
 * ValueError naming the layouts that rank accepts.
 */
export function parseLayout(cls: string, rank: number, layout: string | undefined): Layout {
  const first = FIRST[rank - 1]!;
  const last = LAST[rank - 1]!;
  const name = layout ?? first;
  if (name !== first && name !== last) {
    throw new ValueError(`${cls}: layout ${typeof name === 'string' ? `'${name}'` : fmtValue(name)} is not one of '${first}' (channels first, the default) and '${last}' (channels last) for ${rank} spatial axes`);
  }
  return { name, channelsLast: name === last };
}

/** The axis of `layout` that holds channels ('C'), or a ValueError for a string that is no layout. */
export function channelAxisOf(cls: string, layout: string): number {
  if (![...FIRST, ...LAST].includes(layout as (typeof FIRST)[number])) {
    throw new ValueError(`${cls}: layout ${typeof layout === 'string' ? `'${layout}'` : fmtValue(layout)} is not one of ${[...FIRST, ...LAST].join(', ')}`);
  }
  return layout.indexOf('C');
}

/** (N, *spatial, C) -> (N, C, *spatial). */
export function toChannelsFirst(x: NDArray): NDArray {
  const n = x.ndim;
  return transpose(x, [0, n - 1, ...Array.from({ length: n - 2 }, (_, i) => i + 1)]);
}

/** (N, C, *spatial) -> (N, *spatial, C). */
export function toChannelsLast(x: NDArray): NDArray {
  const n = x.ndim;
  return transpose(x, [0, ...Array.from({ length: n - 2 }, (_, i) => i + 2), 1]);
}
