/**
 * Reading MXNet operator attributes. In a symbol file every attribute is a string written by
 * MXNet's parameter structs (dmlc::Parameter): integers ("8"), floats ("1e-05"), booleans
 * ("True" / "False", also "true" / "1"), tuples ("(3, 3)", "[3,3]", "(3,)", "()"), "None", and
 * enum words ("relu"). `Attrs` parses them on demand, applies MXNet's defaults, and names the
 * node and attribute in a ModelFormatError when a value does not parse. `formatAttrs` writes
 * values back the way MXNet prints them.
 */
import { ModelFormatError } from '../../io/model-format-error.js';

const INT_RE = /^-?[0-9]+L?$/;
const FLOAT_RE = /^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?(?:inf|nan)$/i;

/** The attributes of one node, with typed getters that apply MXNet's defaults. */
export class Attrs {
  constructor(
    readonly map: ReadonlyMap<string, string>,
    readonly op: string,
    readonly node: string,
  ) {}

  #bad(key: string, value: string, want: string): ModelFormatError {
    return new ModelFormatError('mxnet-symbol', `attribute ${key} = ${JSON.stringify(value)} of ${this.op} is not ${want}`, { item: this.node });
  }

  #get(key: string): string | undefined {
    const v = this.map.get(key);
    return v === undefined || v === 'None' ? undefined : v.trim();
  }

  has(key: string): boolean {
    return this.#get(key) !== undefined;
  }

  int(key: string, fallback?: number): number {
    const v = this.#get(key);
    if (v === undefined) {
      if (fallback === undefined) throw new ModelFormatError('mxnet-symbol', `${this.op} needs the attribute ${key}`, { item: this.node });
      return fallback;
    }
    if (!INT_RE.test(v) || !Number.isSafeInteger(parseInt(v, 10))) throw this.#bad(key, v, 'an integer');
    return parseInt(v, 10);
  }

  float(key: string, fallback?: number): number {
    const v = this.#get(key);
    if (v === undefined) {
      if (fallback === undefined) throw new ModelFormatError('mxnet-symbol', `${this.op} needs the attribute ${key}`, { item: this.node });
      return fallback;
    }
    if (!FLOAT_RE.test(v)) throw this.#bad(key, v, 'a number');
    return /^[-+]?inf$/i.test(v) ? (v.startsWith('-') ? -Infinity : Infinity) : Number(v);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.#get(key);
    if (v === undefined) return fallback;
    if (/^(true|1)$/i.test(v)) return true;
    if (/^(false|0)$/i.test(v)) return false;
    throw this.#bad(key, v, 'a boolean (True or False)');
  }

  /** A tuple of integers; `fallback` when absent or "None". */
  ints(key: string, fallback: readonly number[] | null = null): number[] | null {
    const v = this.#get(key);
    if (v === undefined) return fallback === null ? null : [...fallback];
    if (INT_RE.test(v)) return [parseInt(v, 10)];
    const m = /^[([]\s*(.*?)\s*,?\s*[)\]]$/.exec(v);
    if (m === null) throw this.#bad(key, v, 'a tuple of integers such as (3, 3)');
    if (m[1] === '') return [];
    const parts = m[1]!.split(',').map((s) => s.trim());
    if (parts.length > 64 || parts.some((s) => !INT_RE.test(s) || !Number.isSafeInteger(parseInt(s, 10)))) throw this.#bad(key, v, 'a tuple of integers such as (3, 3)');
    return parts.map((s) => parseInt(s, 10));
  }

  str(key: string, fallback?: string): string {
    const v = this.#get(key);
    if (v === undefined) {
      if (fallback === undefined) throw new ModelFormatError('mxnet-symbol', `${this.op} needs the attribute ${key}`, { item: this.node });
      return fallback;
    }
    return v;
  }

  choice<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.str(key, fallback);
    if (!(allowed as readonly string[]).includes(v)) throw this.#bad(key, v, `one of ${allowed.join(', ')}`);
    return v as T;
  }
}

/** An attribute value as MXNet prints it: True/False, (3, 3), numbers as JavaScript writes them. */
export function formatAttr(v: boolean | number | string | readonly number[]): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;
}

/** A Map of formatted attributes, skipping undefined values. */
export function formatAttrs(attrs: Readonly<Record<string, boolean | number | string | readonly number[] | undefined>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) out.set(k, formatAttr(v));
  return out;
}
