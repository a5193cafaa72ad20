/**
 * The error a safetensors file raises when it is malformed or cannot be represented. It is a
 * FormatError (so `catch (e) { if (e instanceof FormatError) ... }` covers every file problem)
 * and also carries, when known, the tensor name and the absolute byte offset in the file, so tools
 * can point at the problem without parsing the message.
 */
import { FormatError } from '../core/errors.js';

/** Where in a file a SafetensorsError happened, as far as it is known. */
export interface SafetensorsErrorWhere {
  /** The tensor whose entry is at fault. */
  tensor?: string;
  /** Absolute byte offset in the file where the problem is. */
  offset?: number;
}

/** A malformed or unsupported safetensors file. */
export class SafetensorsError extends FormatError {
  /** What is wrong, without the location. */
  readonly detail: string;
  readonly tensor: string | undefined;
  readonly offset: number | undefined;

  constructor(what: string, where: SafetensorsErrorWhere = {}) {
    const parts: string[] = [];
    if (where.tensor !== undefined) parts.push(`tensor ${JSON.stringify(where.tensor)}`);
    if (where.offset !== undefined) parts.push(`byte offset ${where.offset}`);
    super(`safetensors: ${what}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`);
    this.detail = what;
    this.tensor = where.tensor;
    this.offset = where.offset;
  }
}
