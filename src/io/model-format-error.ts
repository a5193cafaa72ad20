/**
 * Errors of the model interchange formats: MXNet's NDArray-list `.params` files, nnvm symbol
 * JSON and ONNX. A malformed file raises a ModelFormatError (a FormatError, like
 * SafetensorsError) that names the format, and where known the byte offset, the array or the
 * graph node at fault, so tools can point at the problem without parsing the message. A
 * well-formed graph that uses an operator tsgluon does not implement raises an
 * UnsupportedOperatorError naming the operator and the node.
 */
import { FormatError, TsGluonError } from '../core/errors.js';

/** The interchange formats these errors describe. */
export type ModelFormat = 'mxnet-params' | 'mxnet-symbol' | 'onnx';

const LABEL: Record<ModelFormat, string> = { 'mxnet-params': 'MXNet .params', 'mxnet-symbol': 'MXNet symbol JSON', onnx: 'ONNX' };

/** Where in a file a ModelFormatError happened, as far as it is known. */
export interface ModelFormatWhere {
  /** Absolute byte offset in the file. */
  offset?: number;
  /** The array (parameter) or graph node concerned. */
  item?: string;
}

/** A malformed or unrepresentable `.params`, symbol JSON or ONNX file. */
export class ModelFormatError extends FormatError {
  /** What is wrong, without the location. */
  readonly detail: string;
  readonly format: ModelFormat;
  readonly offset: number | undefined;
  readonly item: string | undefined;

  constructor(format: ModelFormat, what: string, where: ModelFormatWhere = {}) {
    const parts: string[] = [];
    if (where.item !== undefined) parts.push(JSON.stringify(where.item));
    if (where.offset !== undefined) parts.push(`byte offset ${where.offset}`);
    super(`${LABEL[format]}: ${what}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`);
    this.detail = what;
    this.format = format;
    this.offset = where.offset;
    this.item = where.item;
  }
}

/** A graph node whose operator tsgluon cannot run or write. */
export class UnsupportedOperatorError extends TsGluonError {
  constructor(
    readonly format: ModelFormat | 'tsgluon',
    readonly op: string,
    readonly node: string,
    why: string,
  ) {
    super(`${format === 'tsgluon' ? 'export' : LABEL[format]}: operator ${op} of node ${JSON.stringify(node)} is not supported: ${why}`);
  }
}
