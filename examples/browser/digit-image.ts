// Turns a drawing into what the network was trained on: MNIST's digits are white on black, scaled
// so the longer side of their bounding box is 20 pixels, and placed in a 28 x 28 image so their
// centre of mass is at the centre. This does the same to the canvas's pixels.

/** The 28 x 28 grey levels (0..255, row-major) of the ink in an RGBA image, or null when it is blank. */
export function toMnist(rgba: Uint8ClampedArray, width: number, height: number): Uint8Array | null {
  // Ink is the red channel (the canvas draws white on black).
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[4 * (y * width + x)]! > 32) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const scale = 20 / side;
  // Area-average the bounding box into a 20 x 20 (at most) box.
  const w = Math.max(1, Math.round((x1 - x0 + 1) * scale)), h = Math.max(1, Math.round((y1 - y0 + 1) * scale));
  const box = new Float64Array(w * h);
  const count = new Float64Array(w * h);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const bx = Math.min(w - 1, Math.floor((x - x0) * scale)), by = Math.min(h - 1, Math.floor((y - y0) * scale));
      box[by * w + bx] += rgba[4 * (y * width + x)]!;
      count[by * w + bx]! += 1;
    }
  }
  let mass = 0, cx = 0, cy = 0;
  for (let i = 0; i < w * h; i++) {
    box[i] = count[i]! > 0 ? box[i]! / count[i]! : 0;
    mass += box[i]!;
    cx += box[i]! * (i % w);
    cy += box[i]! * Math.floor(i / w);
  }
  // Place it so the centre of mass lands on (14, 14), as in MNIST.
  const dx = Math.round(14 - cx / mass - 0.5), dy = Math.round(14 - cy / mass - 0.5);
  const out = new Uint8Array(28 * 28);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + dx, ty = y + dy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = Math.round(box[y * w + x]!);
    }
  }
  return out;
}
