/**
 * The op table: each family lists its cases in tests/ops/cases/<family>.ts and
 * tests/ops/op-table.test.ts runs them all. A row says how to build inputs, what the op should
 * return (hand-computed values or a float64 oracle), whether to gradient-check it, and which
 * errors bad input must raise. Every row also runs on every registered backend and is compared
 * with the reference backend.
 */
import type { nd } from '../../src/index.js';

type Nested = number | Nested[];

export interface OpCase {
  /** Shown in the test name: the op and what the row exercises, e.g. 'add (2,3)+(3,) broadcast'. */
  readonly name: string;
  /** The computation under test. */
  readonly fn: (...xs: nd.NDArray[]) => nd.NDArray;
  /** Builds fresh inputs (float64 where the op is differentiable). */
  readonly inputs: () => nd.NDArray[];
  /** Hand-computed expected values (checked against the first output). */
  readonly expected?: Nested;
  /** Expected output shape. */
  readonly shape?: readonly number[];
  /** Expected output dtype. */
  readonly dtype?: nd.DType;
  /** A float64 oracle in plain JavaScript, given the inputs' values as flat arrays. */
  readonly oracle?: (...xs: nd.NDArray[]) => Nested;
  /** Gradient-check all float inputs (true) or only these input indices. */
  readonly grad?: boolean | readonly number[];
  readonly rtol?: number;
  readonly atol?: number;
  /** Skip the cross-backend parity check (e.g. ops whose float32 rounding differs by design). */
  readonly noParity?: boolean;
}

export interface ErrorCase {
  readonly name: string;
  readonly fn: () => unknown;
  /** The typed error class expected. */
  readonly error: new (...args: never[]) => Error;
  /** A pattern the message must match (it should name the op and the shapes). */
  readonly message: RegExp;
}

export interface CaseFile {
  readonly cases: readonly OpCase[];
  readonly errors?: readonly ErrorCase[];
}
