/**
 * `Sequential`: a container that chains its children, each one's output the next one's input.
 * Children added with `add` are registered under keys '0', '1', ... which become the first
 * segment of parameter paths (`0.weight`). As in Gluon, every child takes part, in the order of
 * `namedChildren()`: blocks assigned as fields (`net.fc1 = new nn.Dense(8)`) run after the added
 * ones, and indexing, `length`, iteration and `slice` see them too.
 */
import { ValueError, fmtValue } from '../core/errors.js';
import type { NDArray } from '../ndarray/ndarray.js';
import { Block, type BlockOptions, type HybridizeOptions } from './block.js';
import { isHybridBlock } from './hybridize.js';
import { warn } from './warnings.js';

/**
 * Stacks blocks.
 * @example
 * const net = new nn.Sequential();
 * net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
 * net.initialize();
 * const y = net.forward(nd.random.uniform({ shape: [2, 20] }));  // (2, 10)
 */
export class Sequential extends Block implements Iterable<Block> {
  #added = 0;

  constructor(options: BlockOptions = {}) {
    super(options);
  }

  /** Appends blocks, in order. */
  add(...blocks: Block[]): this {
    for (const b of blocks) {
      if (!(b instanceof Block)) throw new ValueError(`${this.name}.add: expected Block instances, got ${fmtValue(b)}`);
      this.registerChild(b, String(this.#added++));
    }
    return this;
  }

  /** Every child, in the order forward runs them. */
  #layers(): Block[] {
    return this.namedChildren().map(([, b]) => b);
  }

  /**
   * The child at index `i` (negative counts from the end). The type parameter is a convenience
   * cast: `net.get<nn.Dense>(0).weight`.
   */
  get<B extends Block = Block>(i: number): B {
    const layers = this.#layers();
    const n = layers.length;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(i) || j < 0 || j >= n) throw new ValueError(`${this.name}.get(${i}): index out of range for ${n} block${n === 1 ? '' : 's'}`);
    return layers[j] as B;
  }

  /**
   * A new container of this class (with this one's prefix) holding the children from `start` up
   * to (not including) `end`, negative indices counting from the end, as Gluon's `net[1:3]` and
   * Array's `slice`. The blocks themselves are shared, not copied: training the slice trains this
   * network. A subclass whose constructor needs other arguments or adds children itself gives a
   * plain Sequential.
   * @example const body = net.slice(0, -1);   // every layer but the last
   */
  slice(start = 0, end?: number): Sequential {
    for (const [what, v] of [['start', start], ['end', end]] as const) {
      if (v !== undefined && !Number.isInteger(v)) throw new ValueError(`${this.name}.slice: ${what} must be an integer, got ${fmtValue(v)}`);
    }
    let out: Sequential;
    try {
      out = new (this.constructor as new (options: BlockOptions) => Sequential)({ prefix: this.prefix });
    } catch {
      out = new Sequential({ prefix: this.prefix });
    }
    if (!(out instanceof Sequential) || out.length > 0) out = new Sequential({ prefix: this.prefix });
    out.add(...this.#layers().slice(start, end));
    return out;
  }

  /** Number of children. */
  get length(): number {
    return this.#layers().length;
  }

  [Symbol.iterator](): Iterator<Block> {
    return this.#layers()[Symbol.iterator]();
  }

  /**
   * Hybridizes the children (a Sequential itself runs imperatively); warns, as Gluon does, when
   * every child is a HybridBlock, since a HybridSequential would run them all as one graph.
   */
  override hybridize(options: HybridizeOptions = {}): this {
    const layers = this.#layers();
    if ((options.active ?? true) && !isHybridBlock(this) && layers.length > 0 && layers.every(isHybridBlock)) {
      warn(`All children of this Sequential layer '${this.name}' are HybridBlocks. Consider using HybridSequential for the best performance.`);
    }
    return super.hybridize(options);
  }

  /** Runs the children in order. */
  override forward(x: NDArray): NDArray {
    let h = x;
    for (const b of this.#layers()) h = b.forward(h);
    return h;
  }
}
