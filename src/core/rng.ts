/**
 * The seeded random generator behind `nd.random` and every initializer.
 *
 * Numbers are produced in TypeScript (xoshiro128**, seeded through splitmix32), never by a
 * backend, so the same seed gives the same numbers on every run and every backend. `fork()`
 * derives an independent generator from the global stream; initializers use it so that the
 * values a parameter receives do not depend on when its shape became known.
 */
import type { TypedArray } from './dtype.js';

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = null;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of randomness. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, both values used). */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Fills `out` with uniform values in [low, high) in index order. float32 arrays take 24 random
   * bits per value (all a float32 mantissa holds), other arrays 53, as `nextFloat`.
   */
  fillUniform(out: TypedArray, low: number, high: number): void {
    const span = high - low;
    if (!(out instanceof Float32Array)) {
      for (let i = 0; i < out.length; i++) out[i] = low + span * this.nextFloat();
      return;
    }
    // NOTE: the state lives in locals for the loop; this is the hot path of initializing
    // millions of weights, and it runs about ten times faster than calling nextUint32.
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const n = out.length;
    for (let i = 0; i < n; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = low + span * ((r >>> 8) * 5.9604644775390625e-8);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Fills `out` with normal values of mean `loc` and deviation `scale` in index order. */
  fillNormal(out: TypedArray, loc: number, scale: number): void {
    const n = out.length;
    let i = 0;
    if (this.spareNormal !== null && n > 0) out[i++] = loc + scale * this.nextNormal();
    const pair = new Float64Array(2);
    for (; i + 1 < n; i += 2) {
      this.fillUniform(pair, 0, 1);
      const u = pair[0]! === 0 ? Number.MIN_VALUE : pair[0]!;
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = loc + scale * r * Math.cos(2 * Math.PI * pair[1]!);
      out[i + 1] = loc + scale * r * Math.sin(2 * Math.PI * pair[1]!);
    }
    if (i < n) out[i] = loc + scale * this.nextNormal();
  }

  /** Uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    return low + Math.floor(this.nextFloat() * (high - low));
  }

  /** An independent generator seeded from this one's stream. */
  fork(): Generator {
    return new Generator(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The process-wide generator that `nd.random.seed` resets. */
export const globalGenerator = new Generator(0);

let current: Generator = globalGenerator;

/** The generator `nd.random` draws from: the global one unless `withGenerator` swapped it. */
export function currentGenerator(): Generator {
  return current;
}

/**
 * Runs `fn` with `nd.random` drawing from `g`. Initializers run inside this with a generator
 * forked for the parameter at `initialize()`, so even a custom initializer that calls
 * `nd.random.uniform` gives the same values whenever the shape becomes known.
 */
export function withGenerator<T>(g: Generator, fn: () => T): T {
  const prev = current;
  current = g;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
