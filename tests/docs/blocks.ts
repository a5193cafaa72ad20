/**
 * Extracts the TypeScript blocks of a Markdown file and turns them into runnable programs, for
 * tests/docs/docs-blocks.test.ts. The convention (also in docs/ARCHITECTURE.md):
 *
 * - a fenced block tagged `ts` is a program of its own;
 * - `ts continued` continues the previous ts block of the same file: same module scope, so it
 *   uses what the earlier block declared (a chain of blocks is one program);
 * - `ts norun` is not run (rare: only what cannot run in CI, with the reason in the text);
 * - a `text` block right after a ts block (nothing but blank lines between) is that block's
 *   printed output, compared with what the block prints.
 *
 * Each block keeps its own imports for the reader; a chain's imports are merged and hoisted (an
 * ES module may import a name once), and a marker line printed between blocks splits the output.
 */
import ts from 'typescript';

/** One ts block of a Markdown file. */
export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  mode: 'run' | 'continued' | 'norun';
  /** The printed output the docs show after the block, if any. */
  expected: string | null;
}

/** Blocks that run together as one program: a `ts` block and the `ts continued` ones after it. */
export interface Chain {
  file: string;
  line: number;
  blocks: DocBlock[];
}

const FENCE = /^\s*```\s*([\w-]*)\s*(.*?)\s*$/;

/** Every ts block of `markdown`, with the text block that follows it. */
export function extractBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const fences: { lang: string; flags: string; line: number; body: string[]; after: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!);
    if (j === lines.length) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    fences.push({ lang: open[1]!, flags: open[2]!, line: i + 1, body, after: j + 1 });
    i = j;
  }
  const blocks: DocBlock[] = [];
  fences.forEach((f, k) => {
    if (f.lang !== 'ts' && f.lang !== 'typescript') return;
    const mode = f.flags === '' ? 'run' : f.flags === 'continued' ? 'continued' : f.flags === 'norun' ? 'norun' : null;
    if (mode === null) throw new Error(`${file}:${f.line}: unknown ts block tag "${f.flags}" (use continued or norun)`);
    const next = fences[k + 1];
    const adjacent = next !== undefined && next.lang === 'text' && lines.slice(f.after, next.line - 1).every((l) => l.trim() === '');
    blocks.push({ file, line: f.line, code: f.body.join('\n'), mode, expected: adjacent ? next.body.join('\n') : null });
  });
  return blocks;
}

/** Groups runnable blocks into chains. */
export function chainBlocks(blocks: readonly DocBlock[]): Chain[] {
  const chains: Chain[] = [];
  for (const b of blocks) {
    if (b.mode === 'norun') continue;
    if (b.mode === 'run') chains.push({ file: b.file, line: b.line, blocks: [b] });
    else {
      const last = chains.at(-1);
      if (last === undefined || last.file !== b.file) throw new Error(`${b.file}:${b.line}: a "ts continued" block with no ts block before it`);
      last.blocks.push(b);
    }
  }
  return chains;
}

/** The line printed before each block's output. */
export const MARKER = '@@tsgluon-docs-block@@';

/** Splits a chain's imports from its code and merges them. */
function hoistImports(codes: readonly string[]): { imports: string[]; bodies: string[] } {
  const byModule = new Map<string, { named: Set<string>; defaults: Set<string>; namespaces: Set<string> }>();
  const sideEffects = new Set<string>();
  const bodies = codes.map((code) => {
    const sf = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true);
    let body = '';
    let pos = 0;
    for (const st of sf.statements) {
      if (!ts.isImportDeclaration(st)) continue;
      // Keep the text before the import (comments, other statements), drop the import itself.
      body += code.slice(pos, st.getStart(sf));
      pos = st.getEnd();
      const from = (st.moduleSpecifier as ts.StringLiteral).text;
      const clause = st.importClause;
      if (!clause) {
        sideEffects.add(from);
        continue;
      }
      const entry = byModule.get(from) ?? { named: new Set(), defaults: new Set(), namespaces: new Set() };
      byModule.set(from, entry);
      const typeOnly = clause.isTypeOnly ? 'type ' : '';
      if (clause.name) entry.defaults.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) entry.namespaces.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          const t = typeOnly || (el.isTypeOnly ? 'type ' : '');
          entry.named.add(`${t}${el.propertyName ? `${el.propertyName.text} as ` : ''}${el.name.text}`);
        }
      }
    }
    return body + code.slice(pos);
  });
  const imports = [...sideEffects].map((m) => `import '${m}';`);
  for (const [from, e] of byModule) {
    // A value import of a name makes its type-only import redundant (and a duplicate binding).
    const named = [...e.named].filter((n) => !(n.startsWith('type ') && e.named.has(n.slice(5))));
    for (const d of e.defaults) imports.push(`import ${d} from '${from}';`);
    for (const n of e.namespaces) imports.push(`import * as ${n} from '${from}';`);
    if (named.length > 0) imports.push(`import { ${named.join(', ')} } from '${from}';`);
  }
  return { imports, bodies };
}

/** The program of a chain: merged imports, then each block after a marker line, each in its place. */
export function chainProgram(chain: Chain): string {
  const { imports, bodies } = hoistImports(chain.blocks.map((b) => b.code));
  const parts = [`// ${chain.file}:${chain.line}, generated by tests/docs/docs-blocks.test.ts`, ...imports];
  chain.blocks.forEach((b, i) => {
    parts.push(`\n// ---- ${b.file}:${b.line}`, `console.log(${JSON.stringify(MARKER)});`, bodies[i]!);
  });
  return `${parts.join('\n')}\nexport {};\n`;
}

/** Lines without trailing spaces, without leading and trailing blank lines. */
export function normalizeOutput(text: string): string {
  const lines = text.split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines.join('\n');
}

/** The output of each block of a chain, from the chain's stdout. */
export function splitOutput(stdout: string, blocks: number): string[] {
  const parts = stdout.split(`${MARKER}\n`);
  // Anything before the first marker comes from module evaluation order only (imports print nothing).
  return parts.slice(1, blocks + 1).map(normalizeOutput);
}
