/**
 * Recognizes the most common convolution mistake: an image batch in channels-last order
 * (N, H, W, C), as NumPy, PIL, TensorFlow and the image datasets' (28, 28, 1) samples give it,
 * fed to a channels-first layer that expects (N, C, H, W). Left alone, a deferred layer would infer
 * H as its channel count and, with padding, train silently on transposed images.
 */
import { ShapeError, fmtShape } from '../../core/errors.js';
import type { NDArray } from '../../ndarray/ndarray.js';

/**
 * A ShapeError with the fix when the 4-d input `x` of a channels-first 2-D convolution looks
 * channels-last: its last axis has the known input channel count while axis 1 does not, or (count
 * still to be inferred) it is a square image with 1 or 3 channels last. Null otherwise.
 */
export function channelsLastError(layer: string, x: NDArray, inChannels: number): ShapeError | null {
  if (x.ndim !== 4) return null;
  const [, c, h, last] = x.shape as [number, number, number, number];
  const known = inChannels > 0;
  const looksLast = known ? c !== inChannels && last === inChannels : (last === 1 || last === 3) && c > 4 && c === h;
  if (!looksLast) return null;
  return new ShapeError(
    `${layer}: input of shape ${fmtShape(x.shape)} looks like a channels-last image batch (N, H, W, C), but the layer ` +
      `expects channels first, (N, C, H, W) (layout 'NCHW'): transpose it with x.transpose([0, 3, 1, 2]), prepare ` +
      `images with gluon.data.vision.transforms.ToTensor(), which turns (H, W, C) into (C, H, W), or build the layer ` +
      `with layout: 'NHWC'` +
      (known ? '' : `. If it really has ${c} channels, build the layer with inChannels: ${c}`),
  );
}
