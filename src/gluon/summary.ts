/**
 * `net.summary(input)`: a Gluon / Keras-style table of the layers a forward passes through, with
 * each one's output shape and parameter count, and the totals.
 *
 * The forward runs on shape-only arrays (as `inferShape` does), so nothing is computed and a net
 * whose shapes are still deferred can be summarized: every shape is inferred on the way. Options
 * say whether the net then stays as inferred (default; pending parameters are initialized) or
 * goes back to pending (`keepPending`), its inferred shapes forgotten so a later forward infers
 * them again with the same initial values.
 *
 * Installed on `Block.prototype` (declaration merging), as op families install NDArray methods;
 * output shapes are captured by wrapping each block's `forward` for the duration of the call.
 */
import { ValueError, fmtShape } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { NDArray } from '../ndarray/ndarray.js';
import { Block, type ShapeSpec } from './block.js';
import type { Parameter } from './parameter.js';
import { Sequential } from './sequential.js';

export interface SummaryOptions {
  /**
   * After the summary, return every parameter whose shape was unknown before it to unknown (and
   * a pending net to pending) instead of keeping the inferred shapes (default false).
   */
  keepPending?: boolean;
  /** Print the table with console.log (default true); it is returned either way. */
  print?: boolean;
  /** Table width in characters (default 80). */
  width?: number;
}

interface Row {
  readonly label: string;
  output: string;
  params: number;
}

function countOf(params: readonly Parameter[]): number {
  return params.reduce((n, p) => n + sizeOf(p.shape), 0);
}

function describeOutput(out: unknown): string {
  if (out instanceof NDArray) return fmtShape(out.shape);
  if (Array.isArray(out)) return out.map(describeOutput).join(', ');
  return typeof out;
}

/** Every block of the tree once, with its structural path. */
function walk(root: Block): [string, Block][] {
  const out: [string, Block][] = [];
  const seen = new Set<Block>();
  const go = (b: Block, path: string): void => {
    if (seen.has(b)) return;
    seen.add(b);
    out.push([path, b]);
    for (const [key, child] of b.namedChildren()) go(child, path === '' ? key : `${path}.${key}`);
  };
  go(root, '');
  return out;
}

function normalizeInputs(input: ShapeSpec | readonly ShapeSpec[]): ShapeSpec[] {
  if (input instanceof NDArray) return [input];
  if (!Array.isArray(input) || input.length === 0) {
    throw new ValueError('summary: give the input shape (e.g. [1, 3, 224, 224]), an input array, or a list of them for several inputs');
  }
  return typeof input[0] === 'number' ? [input as readonly number[]] : [...(input as readonly ShapeSpec[])];
}

/** Renders one table row: label left, output shape and count right-aligned. */
function line(width: number, label: string, output: string, params: string): string {
  const c3 = 15;
  const c2 = Math.max(30, Math.floor((width - c3) / 2));
  const c1 = Math.max(10, width - c2 - c3);
  return label.padEnd(c1) + output.padStart(c2) + params.padStart(c3);
}

/**
 * Prints and returns a table of the layers the forward runs through, their output shapes and
 * parameter counts, and the totals (shared parameters counted once).
 */
function summary(this: Block, input: ShapeSpec | readonly ShapeSpec[], options: SummaryOptions = {}): string {
  const { keepPending = false, print = true, width = 80 } = options;
  const inputs = normalizeInputs(input);
  const unknownBefore = this.collectParams().values().filter((p) => !p.shapeKnown);
  const rows: Row[] = [];
  const restore: [Block, PropertyDescriptor | undefined][] = [];
  for (const [path, block] of walk(this)) {
    if (block === this || (block instanceof Sequential && block.params.values().length === 0)) continue;
    const original = block.forward;
    restore.push([block, Object.getOwnPropertyDescriptor(block, 'forward')]);
    const type = block.constructor.name;
    Object.defineProperty(block, 'forward', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: (...args: unknown[]): unknown => {
        const row: Row = { label: `${path} (${type})`, output: '', params: 0 };
        rows.push(row);
        const out = original.apply(block, args);
        row.params = countOf(block.params.values());
        row.output = describeOutput(out);
        return out;
      },
    });
  }
  try {
    this.inferShape(...inputs);
  } finally {
    for (const [block, desc] of restore) Object.defineProperty(block, 'forward', desc!);
  }
  const all = this.collectParams().values();
  const total = countOf(all);
  const trainable = countOf(all.filter((p) => p.gradReq !== 'null'));
  const inShapes = inputs.map((s) => fmtShape(s instanceof NDArray ? s.shape : s)).join(', ');
  const rule = '-'.repeat(width);
  const lines = [
    rule,
    line(width, 'Layer (type)', 'Output Shape', 'Param #'),
    '='.repeat(width),
    line(width, 'Input', inShapes, '0'),
    ...rows.map((r) => line(width, r.label, r.output, r.params.toLocaleString('en-US'))),
    '='.repeat(width),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    rule,
  ];
  if (keepPending) for (const p of unknownBefore) p.resetShape();
  const table = lines.join('\n');
  if (print) console.log(table);
  return table;
}

declare module './block.js' {
  interface Block {
    /**
     * Prints (and returns) a table of layers, output shapes and parameter counts for an input
     * of the given shape, inferring deferred shapes without computing anything.
     * @example
     * const net = vision.resnet18();
     * net.initialize();
     * net.summary([1, 3, 224, 224]);                        // the net is now fully initialized
     * net.summary([1, 3, 224, 224], { keepPending: true }); // or stays pending
     */
    summary(input: ShapeSpec | readonly ShapeSpec[], options?: SummaryOptions): string;
  }
}

Object.defineProperty(Block.prototype, 'summary', { value: summary, writable: true, configurable: true });
