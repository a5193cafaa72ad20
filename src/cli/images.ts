/**
 * Image input for `tsgluon predict`: PNG and JPEG files decoded with pure-JavaScript libraries
 * (pngjs, jpeg-js: no native download) and turned into the tensor a vision model takes, the way
 * torchvision's usual `Resize -> ToTensor -> Normalize` pipeline does:
 *
 * 1. decode to 8-bit RGBA (16-bit PNGs are scaled to 8 bits, palettes expanded; alpha is dropped,
 *    as PIL's `convert('RGB')` drops it);
 * 2. convert to the model's channels: RGB for 3, luma L = 0.299 R + 0.587 G + 0.114 B for 1
 *    (ITU-R 601-2, the weights of PIL's `convert('L')` and torchvision's Grayscale, kept as a
 *    float rather than rounded to 8 bits);
 * 3. resize to the model's H x W, bilinearly with half-pixel centres (PyTorch's
 *    `interpolate(mode='bilinear', align_corners=False)`, torchvision's tensor `Resize` with
 *    `antialias=False`), on the 0-255 values;
 * 4. scale to [0, 1] (ToTensor), then subtract `mean` and divide by `std` per channel (Normalize;
 *    default mean 0, std 1, i.e. no normalization).
 *
 * The result is (1, C, H, W) float32. A file whose header declares more than 64 megapixels is a
 * FormatError before anything is decoded, so a hostile header cannot make the decoder allocate.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { FormatError, ValueError } from '../core/errors.js';
import { readFileBytes } from '../io/file.js';
import { NDArray } from '../ndarray/ndarray.js';
import { array } from '../ndarray/creation.js';
import { reshape } from '../ops/shape.js';

/** The most pixels an input image may declare. */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

export interface ImageTransform {
  /** Output channels: 1 (grayscale) or 3 (RGB). */
  channels: number;
  height: number;
  width: number;
  /** Per-channel means subtracted after scaling to [0, 1] (one value, or one per channel). */
  mean?: readonly number[];
  /** Per-channel standard deviations divided by after the mean (one value, or one per channel). */
  std?: readonly number[];
}

/** A decoded image: 8-bit RGBA, row-major. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the path names a PNG or a JPEG file (by its extension). */
export function isImageFile(path: string): boolean {
  return /\.(png|jpe?g)$/i.test(path);
}

function checkPixels(path: string, width: number, height: number): void {
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new FormatError(`predict: ${path} declares a ${width} x ${height} image, over the ${MAX_IMAGE_PIXELS / (1024 * 1024)} megapixel limit for inputs; resize it first`);
  }
}

/** Decodes a PNG or JPEG file's bytes to 8-bit RGBA. */
export function decodeImage(bytes: Uint8Array, path: string): RgbaImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPng = PNG_MAGIC.every((b, i) => bytes[i] === b);
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  try {
    if (isPng) {
      // IHDR is the first chunk: width and height at bytes 16 and 20, big-endian.
      if (bytes.length >= 24) checkPixels(path, buf.readUInt32BE(16), buf.readUInt32BE(20));
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`predict: ${path} is not a readable ${isPng ? 'PNG' : 'JPEG'} image: ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new FormatError(`predict: ${path} is neither a PNG nor a JPEG file (its first bytes are not a PNG signature or a JPEG SOI marker)`);
}

/** Reads and decodes a PNG or JPEG file. */
export function readImage(path: string): RgbaImage {
  return decodeImage(readFileBytes(path, 'predict'), path);
}

/** One plane (0-255 floats, H x W) per output channel: R, G, B, or luma. */
function planes(img: RgbaImage, channels: number): Float64Array[] {
  const n = img.width * img.height;
  const out = Array.from({ length: channels }, () => new Float64Array(n));
  for (let p = 0; p < n; p++) {
    const [r, g, b] = [img.data[4 * p]!, img.data[4 * p + 1]!, img.data[4 * p + 2]!];
    if (channels === 1) out[0]![p] = (r * 299 + g * 587 + b * 114) / 1000;
    else [out[0]![p], out[1]![p], out[2]![p]] = [r, g, b];
  }
  return out;
}

/** Source coordinate and weight of each output index along one axis (half-pixel centres, clamped). */
function taps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; w: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const i = Math.min(Math.floor(src), inSize - 1);
    lo[o] = i;
    hi[o] = Math.min(i + 1, inSize - 1);
    w[o] = src - i;
  }
  return { lo, hi, w };
}

/** Bilinear resize of one plane, as PyTorch's interpolate(mode='bilinear', align_corners=False). */
export function resizeBilinear(plane: Float64Array, h: number, w: number, outH: number, outW: number): Float64Array {
  const ys = taps(h, outH);
  const xs = taps(w, outW);
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const [r0, r1, wy] = [ys.lo[y]! * w, ys.hi[y]! * w, ys.w[y]!];
    for (let x = 0; x < outW; x++) {
      const [c0, c1, wx] = [xs.lo[x]!, xs.hi[x]!, xs.w[x]!];
      const top = plane[r0 + c0]! * (1 - wx) + plane[r0 + c1]! * wx;
      const bottom = plane[r1 + c0]! * (1 - wx) + plane[r1 + c1]! * wx;
      out[y * outW + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

function perChannel(v: readonly number[] | undefined, channels: number, fallback: number, what: string): number[] {
  if (v === undefined || v.length === 0) return new Array<number>(channels).fill(fallback);
  if (v.length === 1) return new Array<number>(channels).fill(v[0]!);
  if (v.length !== channels) throw new ValueError(`predict: --${what} has ${v.length} values but the model takes ${channels} channels; give 1 or ${channels}`);
  return [...v];
}

/** An image as the model's (1, C, H, W) float32 input: channels, resize, [0, 1], normalize. */
export function imageTensor(img: RgbaImage, t: ImageTransform): NDArray {
  if (t.channels !== 1 && t.channels !== 3) throw new ValueError(`predict: an image becomes 1 (grayscale) or 3 (RGB) channels, but the model takes ${t.channels}`);
  if (!(Number.isInteger(t.height) && Number.isInteger(t.width) && t.height > 0 && t.width > 0)) {
    throw new ValueError(`predict: the model's image size must be positive integers, got ${t.height} x ${t.width}; pass --shape 1,C,H,W`);
  }
  checkPixels('the model input', t.width, t.height);
  const mean = perChannel(t.mean, t.channels, 0, 'mean');
  const std = perChannel(t.std, t.channels, 1, 'std');
  if (std.some((s) => !(s !== 0 && Number.isFinite(s)))) throw new ValueError(`predict: --std values must be finite and non-zero, got ${std.join(',')}`);
  const out = new Float32Array(t.channels * t.height * t.width);
  planes(img, t.channels).forEach((p, c) => {
    const same = img.height === t.height && img.width === t.width;
    const r = same ? p : resizeBilinear(p, img.height, img.width, t.height, t.width);
    for (let i = 0; i < r.length; i++) out[c * r.length + i] = (r[i]! / 255 - mean[c]!) / std[c]!;
  });
  return reshape(array(out, { dtype: 'float32' }), [1, t.channels, t.height, t.width]);
}
