/**
 * The seeded random generator behind `nd.random` and every initializer.
 *
 * Numbers are produced in TypeScript (xoshiro128**, seeded through splitmix32), never by a
 * backend, so the same seed gives the same numbers on every run and every backend. `fork()`
 * derives an independent generator from the global stream; initializers use it so that the
 * values a parameter receives do not depend on when its shape became known.
 */
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
