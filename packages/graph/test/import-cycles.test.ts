// No module under src imports itself back, directly or through others. In such a circle, what a
// module sees while it loads depends on which member was imported first (a `const` of a module
// that has not run yet is in its temporal dead zone). Op files get away with one only while every
// use of the partner waits for a VJP to run, and nothing but this test notices when that stops.
// `npx madge --circular` in packages/graph checks the same graph (configured by .madgerc).
//
// Type-only declarations (`import type`, `export type`) are left out: the compiler erases them, so
// they load nothing and cannot close a circle at run time. Some types refer to each other by
// design: GraphBuilder.op() runs an OpDef whose VJP takes Values (builder.ts and op-def.ts). An
// `import { type X }` counts as a runtime import, as madge counts it: write `import type`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every .ts file under src, as a path relative to it with '/' separators. */
const sources = (): string[] =>
  fs
    .readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(path.sep).join('/'));

/** The src files `file` loads at run time: its relative imports and re-exports, type-only ones left out. */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  return source.statements.flatMap((s) => {
    if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier) return [];
    const typeOnly = ts.isImportDeclaration(s) ? s.importClause?.isTypeOnly : s.isTypeOnly;
    const spec = (s.moduleSpecifier as ts.StringLiteral).text;
    if (typeOnly || !spec.startsWith('.')) return [];
    // Sources import each other by their compiled names: './x.js' is ./x.ts.
    return [path.posix.join(path.posix.dirname(file), spec.replace(/\.js$/, '.ts'))];
  });
}

/**
 * Circles in an import graph, one per back edge of a depth-first walk, as 'a.ts > b.ts > a.ts'.
 * Every circle has a back edge in any such walk, so none found means there are none.
 */
function findCycles(imports: Map<string, string[]>): string[] {
  const done = new Set<string>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    const at = stack.indexOf(file);
    if (at >= 0) {
      cycles.push([...stack.slice(at), file].join(' > '));
      return;
    }
    if (done.has(file)) return;
    stack.push(file);
    for (const dep of imports.get(file) ?? []) visit(dep);
    stack.pop();
    done.add(file);
  };
  for (const file of [...imports.keys()].sort()) visit(file);
  return cycles;
}

const imports = new Map(sources().map((f) => [f, runtimeImports(f)]));

test('finds a circle and names it', () => {
  const planted = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts', 'd.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', []],
  ]);
  expect(findCycles(planted)).toEqual(['a.ts > b.ts > c.ts > a.ts']);
});

test('reads runtime imports and re-exports, not type-only ones', () => {
  // add.ts: `import type { Value } from '../builder.js'`, `import { unbroadcast } from './expand.js'`.
  expect(imports.get('ops/add.ts')).toContain('ops/expand.ts');
  expect(imports.get('ops/add.ts')).not.toContain('builder.ts');
  expect(imports.get('index.ts')).toContain('ops/index.ts');
  expect(imports.get('index.ts')).not.toContain('op-def.ts');
  // An import that resolves to no source would hide its edges.
  const unresolved = [...imports.values()].flat().filter((f) => !imports.has(f));
  expect(unresolved).toEqual([]);
});

test('src has no import circle', () => {
  expect(findCycles(imports)).toEqual([]);
});
