/**
 * What tsgluon asks of the JavaScript host beyond ECMAScript, in one place, so every module loads
 * in a browser: Node's built-in modules are fetched when a function first needs them
 * (`process.getBuiltinModule`, Node 20.16+), never imported, and the environment and warnings go
 * through here. The Node entry also hands the built-ins over (src/node-modules.ts), for older
 * Node 20 releases. In a browser the Node-only functions (files, downloads, the native addon)
 * raise a `PlatformError` saying what to use instead; everything else works.
 */
import { PlatformError } from './errors.js';

interface NodeProcess {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  stderr?: { write(s: string): unknown; isTTY?: boolean };
  getBuiltinModule?: (name: string) => unknown;
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node !== undefined ? p : undefined;
}

/** True when running in Node (not a browser, even one that defines a `process` shim). */
export function isNode(): boolean {
  return nodeProcess() !== undefined;
}

/** An environment variable, or undefined (always, in a browser). */
export function env(name: string): string | undefined {
  return nodeProcess()?.env?.[name];
}

/** Prints a one-line notice: on stderr in Node, with console.warn elsewhere. */
export function notice(message: string): void {
  const stderr = nodeProcess()?.stderr;
  if (stderr) stderr.write(`${message}\n`);
  else console.warn(message);
}

/**
 * A Node built-in module (`node:fs`, `node:zlib`...), loaded on first use. `purpose` completes
 * the error raised elsewhere: "<purpose> needs Node" (for example "reading model.params").
 * @example const fs = nodeModule<typeof import('node:fs')>('node:fs', `reading ${path}`);
 */
export function nodeModule<T>(name: string, purpose: string, instead = ''): T {
  const get = nodeProcess()?.getBuiltinModule;
  const mod = (typeof get === 'function' ? get(name) : undefined) ?? provided.get(name);
  if (mod === undefined) {
    const why = isNode() ? `this Node (${nodeProcess()!.versions!.node}) lacks process.getBuiltinModule; use Node 20.16 or newer` : 'this is not Node';
    throw new PlatformError(`${purpose} needs Node's ${name} (${why})${instead ? `; ${instead}` : ''}`);
  }
  return mod as T;
}

const provided = new Map<string, unknown>();

/** @internal Hands Node's built-in modules over, for Node releases without getBuiltinModule. */
export function provideNodeModules(modules: Readonly<Record<string, unknown>>): void {
  for (const [name, mod] of Object.entries(modules)) provided.set(name, mod);
}

/**
 * A CommonJS package (or file) loaded with Node's require, relative to `from` (a module's
 * import.meta.url), out of sight of browser bundlers.
 */
export function nodeRequire<T>(specifier: string, from: string, purpose: string): T {
  const { createRequire } = nodeModule<{ createRequire(url: string): (id: string) => unknown }>('node:module', purpose);
  return createRequire(from)(specifier) as T;
}
