/**
 * A strict, depth-limited JSON parser for untrusted file headers.
 *
 * `JSON.parse` is not enough for a format reader: it silently keeps the last of two duplicate
 * keys (so a file could show one tensor to one reader and another to us), turns `"__proto__"`
 * into a prototype write when the result is spread into objects, rounds integers above 2^53 to
 * the nearest double without a word, and says nothing useful about where a problem is. This
 * parser implements RFC 8259 exactly, represents objects as `Map`s, rejects duplicate keys at every
 * level, returns plain-digit integers up to 2^53 - 1 as numbers and keeps the text of every
 * other number (so callers can demand exact integers), rejects lone surrogates in `\u` escapes (a
 * key must be real Unicode), and caps nesting depth and array length so a hostile header cannot
 * exhaust the stack or memory. With `onRootMember`, the members of the root object are handed to
 * the caller one by one as they are parsed and not kept, so a caller that validates each one (as
 * serde does with a schema) stops at the first bad member and memory stays proportional to one
 * member, not to the whole tree. Errors carry the character position of the problem.
 */
import { FormatError } from '../core/errors.js';

/** A JSON number kept as its source text, so callers decide how to interpret it. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** A plain-digit integer up to 2^53 - 1 is a `number`; any other number a JsonNumber. */
export type JsonValue = null | boolean | string | number | JsonNumber | JsonValue[] | JsonObject;
/** A JSON object, kept as a Map so that keys such as `__proto__` are ordinary data. */
export type JsonObject = Map<string, JsonValue>;

/**
 * A syntax or structure error at character `position` of the parsed text. A FormatError, so a
 * caller that does not translate it (safetensors turns it into a SafetensorsError with the byte
 * offset) still gets one of the library's typed errors.
 */
export class JsonSyntaxError extends FormatError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Limits of `parseStrictJson`. */
export interface StrictJsonOptions {
  /** Deepest nesting of arrays and objects allowed (default 32). */
  maxDepth?: number;
  /** Longest array allowed (default unlimited). */
  maxArrayLength?: number;
  /**
   * Receives each member of the root object (when the root is an object) as soon as it is parsed,
   * with the position of its key; members are then not stored in the returned (empty) Map.
   */
  onRootMember?: (key: string, value: JsonValue, keyPosition: number) => void;
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const PLAIN_INT_RE = /^(?:0|[1-9][0-9]{0,15})$/;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parses `text` as exactly one JSON value surrounded by optional whitespace.
 * @example parseStrictJson('{"a": [1, 2.5]}') // Map { 'a' => [1, JsonNumber('2.5')] }
 */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? 32;
  const maxArrayLength = options.maxArrayLength ?? Infinity;
  const onRootMember = options.onRootMember;
  let pos = 0;

  const fail: (what: string, at?: number) => never = (what, at = pos) => {
    throw new JsonSyntaxError(what, at);
  };
  const describe = (at: number): string =>
    at >= text.length ? 'the end of the header' : `${JSON.stringify(text[at])}`;

  const skipWs = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else return;
    }
  };

  // Decoded string pieces: escaped code units gather in one buffer and plain runs are sliced, so
  // a key of millions of escapes costs its own size, not a rope of one node per character.
  const units = new Uint16Array(8192);
  const parseString = (): string => {
    const start = pos;
    pos++; // opening quote
    const parts: string[] = [];
    let n = 0;
    const flush = (): void => {
      if (n > 0) parts.push(String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]));
      n = 0;
    };
    const unit = (u: number): void => {
      if (n === units.length) flush();
      units[n++] = u;
    };
    let runStart = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        if (pos > runStart) {
          flush();
          parts.push(text.slice(runStart, pos));
        }
        pos++;
        flush();
        return parts.length === 1 ? parts[0]! : parts.join('');
      }
      if (c < 0x20) fail(`control character U+${c.toString(16).padStart(4, '0')} inside a string (must be escaped)`);
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      if (pos > runStart) {
        flush();
        parts.push(text.slice(runStart, pos));
      }
      const e = text[pos + 1];
      if (e === undefined) fail('unterminated escape', pos);
      if (e === 'u') {
        const u = readHex4(pos + 2);
        pos += 6;
        if (u >= 0xd800 && u <= 0xdbff) {
          if (text.charCodeAt(pos) !== 0x5c || text.charCodeAt(pos + 1) !== 0x75) fail('lone high surrogate in a \\u escape', pos - 6);
          const low = readHex4(pos + 2);
          if (low < 0xdc00 || low > 0xdfff) fail('high surrogate not followed by a low surrogate', pos);
          pos += 6;
          unit(u);
          unit(low);
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          fail('lone low surrogate in a \\u escape', pos - 6);
        } else {
          unit(u);
        }
      } else {
        const mapped = ESCAPES[e!];
        if (mapped === undefined) fail(`invalid escape \\${e}`, pos);
        unit(mapped!.charCodeAt(0));
        pos += 2;
      }
      runStart = pos;
    }
  };

  const hexDigit = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  const readHex4 = (at: number): number => {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(text.charCodeAt(at + i));
      if (d < 0) fail('invalid \\u escape (needs 4 hex digits)', at);
      v = v * 16 + d;
    }
    return v;
  };

  const parseValue = (depth: number): JsonValue => {
    skipWs();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      return c === '{' ? parseObject(depth + 1) : parseArray(depth + 1);
    }
    if (c === '"') return parseString();
    if (c === 't' && text.startsWith('true', pos)) return (pos += 4), true;
    if (c === 'f' && text.startsWith('false', pos)) return (pos += 5), false;
    if (c === 'n' && text.startsWith('null', pos)) return (pos += 4), null;
    NUMBER_RE.lastIndex = pos;
    const m = NUMBER_RE.exec(text);
    if (m === null) return fail(`unexpected ${describe(pos)}, expected a value`);
    pos += m[0].length;
    if (PLAIN_INT_RE.test(m[0])) {
      const n = Number(m[0]);
      if (Number.isSafeInteger(n)) return n;
    }
    return new JsonNumber(m[0]);
  };

  const parseArray = (depth: number): JsonValue[] => {
    pos++;
    const out: JsonValue[] = [];
    skipWs();
    if (text[pos] === ']') {
      pos++;
      return out;
    }
    for (;;) {
      if (out.length >= maxArrayLength) fail(`array longer than ${maxArrayLength} elements`);
      out.push(parseValue(depth));
      skipWs();
      const c = text[pos];
      pos++;
      if (c === ']') return out;
      if (c !== ',') fail(`unexpected ${describe(pos - 1)} in an array, expected ',' or ']'`, pos - 1);
    }
  };

  const parseObject = (depth: number): JsonObject => {
    pos++;
    const out: JsonObject = new Map();
    const streamed = depth === 1 && onRootMember !== undefined ? new Set<string>() : null;
    skipWs();
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      skipWs();
      if (text[pos] !== '"') fail(`unexpected ${describe(pos)}, expected a string key`);
      const keyPos = pos;
      const key = parseString();
      if (out.has(key) || streamed?.has(key)) fail(`duplicate key ${JSON.stringify(key)}`, keyPos);
      skipWs();
      if (text[pos] !== ':') fail(`unexpected ${describe(pos)} after key ${JSON.stringify(key)}, expected ':'`);
      pos++;
      const value = parseValue(depth);
      if (streamed !== null) {
        streamed.add(key);
        onRootMember!(key, value, keyPos);
      } else out.set(key, value);
      skipWs();
      const c = text[pos];
      pos++;
      if (c === '}') return out;
      if (c !== ',') fail(`unexpected ${describe(pos - 1)} in an object, expected ',' or '}'`, pos - 1);
    }
  };

  const value = parseValue(0);
  skipWs();
  if (pos !== text.length) fail(`unexpected ${describe(pos)} after the end of the JSON value`);
  return value;
}

/** Human-readable type of a parsed value, for error messages. */
export function jsonTypeName(v: JsonValue): string {
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return `number ${v.text}`;
  if (typeof v === 'number') return `number ${v}`;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Map) return 'an object';
  return typeof v === 'string' ? `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : String(v);
}

/**
 * Index of the first byte in `bytes[start, end)` that breaks well-formed UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included), or -1 when the range is valid.
 */
export function firstInvalidUtf8(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= end) return i;
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
