/**
 * `Sequential`: a container that chains its children, each one's output the next one's input.
 * Children are registered under keys '0', '1', ... which become the first segment of parameter
 * paths (`0.weight`).
 */
import { ValueError } from '../core/errors.js';
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
  readonly #layers: Block[] = [];

  constructor(options: BlockOptions = {}) {
    super(options);
  }

  /** Appends blocks, in order. */
  add(...blocks: Block[]): this {
    for (const b of blocks) {
      if (!(b instanceof Block)) throw new ValueError(`${this.name}.add: expected Block instances, got ${String(b)}`);
      this.registerChild(b, String(this.#layers.length));
      this.#layers.push(b);
    }
    return this;
  }

  /**
   * The child at index `i` (negative counts from the end). The type parameter is a convenience
   * cast: `net.get<nn.Dense>(0).weight`.
   */
  get<B extends Block = Block>(i: number): B {
    const n = this.#layers.length;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(i) || j < 0 || j >= n) throw new ValueError(`${this.name}.get(${i}): index out of range for ${n} block${n === 1 ? '' : 's'}`);
    return this.#layers[j] as B;
  }

  /** Number of children. */
  get length(): number {
    return this.#layers.length;
  }

  [Symbol.iterator](): Iterator<Block> {
    return this.#layers[Symbol.iterator]();
  }

  /**
   * Hybridizes the children (a Sequential itself runs imperatively); warns, as Gluon does, when
   * every child is a HybridBlock, since a HybridSequential would run them all as one graph.
   */
  override hybridize(options: HybridizeOptions = {}): this {
    if ((options.active ?? true) && !isHybridBlock(this) && this.#layers.length > 0 && this.#layers.every(isHybridBlock)) {
      warn(`All children of this Sequential layer '${this.name}' are HybridBlocks. Consider using HybridSequential for the best performance.`);
    }
    return super.hybridize(options);
  }

  /** Runs the children in order. */
  override forward(x: NDArray): NDArray {
    let h = x;
    for (const b of this.#layers) h = b.forward(h);
    return h;
  }
}
