/**
 * Padding layers. `ReflectionPad2D` pads the two spatial axes of (N, C, H, W) by reflecting the
 * input at its border, without repeating the edge value (`[1, 2, 3]` padded by 2 on each side is
 * `[3, 2, 1, 2, 3, 2, 1]`), as Gluon's layer and `nd.pad(..., { mode: 'reflect' })` do.
 */
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../core/errors.js';
import { NDArray } from '../../ndarray/ndarray.js';
import { pad } from '../../ops/movement.js';
import type { BlockOptions } from '../block.js';
import { HybridBlock } from '../hybrid-block.js';

/**
 * Padding widths: one number for all four sides; [top, bottom, left, right]; or Gluon's 8-number
 * `pad_width` (before and after for N, C, H, W, the first four 0).
 */
export type Padding2D = number | readonly [number, number, number, number] | readonly number[];

function widths(padding: Padding2D): [number, number, number, number] {
  if (typeof padding !== 'number' && !Array.isArray(padding)) {
    throw new ValueError(`ReflectionPad2D: padding must be a number, [top, bottom, left, right], or 8 numbers (Gluon's pad_width), got ${fmtValue(padding)}`);
  }
  const all: readonly number[] = typeof padding === 'number' ? [padding, padding, padding, padding] : padding;
  let hw: readonly number[] = all;
  if (all.length === 8) {
    if (all.slice(0, 4).some((v) => v !== 0)) throw new ValueError(`ReflectionPad2D: an 8-number padding pads only H and W; its first four numbers (N and C) must be 0, got [${all.join(', ')}]`);
    hw = all.slice(4);
  } else if (all.length !== 4) {
    throw new ValueError(`ReflectionPad2D: padding must be a number, [top, bottom, left, right], or 8 numbers (Gluon's pad_width), got ${JSON.stringify(padding)}`);
  }
  if (hw.some((v) => !Number.isInteger(v) || v < 0)) throw new ValueError(`ReflectionPad2D: padding widths must be non-negative integers, got [${hw.join(', ')}]`);
  return hw as unknown as [number, number, number, number];
}

/**
 * Pads (N, C, H, W) by reflection at the border of H and W; each width must be smaller than the
 * axis it pads.
 * @example new nn.ReflectionPad2D(3).forward(nd.zeros([2, 3, 24, 24])).shape // [2, 3, 30, 30]
 */
export class ReflectionPad2D extends HybridBlock {
  /** [top, bottom, left, right]. */
  readonly padding: readonly [number, number, number, number];

  constructor(padding: Padding2D = 0, options: BlockOptions = {}) {
    super(options);
    this.padding = widths(padding);
  }

  override forward(x: NDArray): NDArray {
    if (!NDArray.isInstance(x)) throw new ValueError(`${this.name}: forward expects an NDArray, got ${fmtValue(x)}`);
    if (x.ndim !== 4) throw new ShapeError(`${this.name}: input of shape ${fmtShape(x.shape)} must have 4 axes (N, C, H, W)`);
    const [top, bottom, left, right] = this.padding;
    const [h, w] = [x.shape[2]!, x.shape[3]!];
    if (Math.max(top, bottom) >= h || Math.max(left, right) >= w) {
      throw new ShapeError(
        `${this.name}: reflection padding (top ${top}, bottom ${bottom}, left ${left}, right ${right}) must be smaller than the padded axes; ` +
          `the input of shape ${fmtShape(x.shape)} has H = ${h}, W = ${w}`,
      );
    }
    return pad(x, [[0, 0], [0, 0], [top, bottom], [left, right]], { mode: 'reflect' });
  }

  override toString(): string {
    return `ReflectionPad2D(padding=(${this.padding.join(', ')}))`;
  }
}
