// The structure of src/ holds by itself, not by review: every exported name means one thing, no
// module imports itself round a cycle, and the SDK core imports nothing outside src/core (it runs
// in a worker that must not load the gateway's code). Parsed with the TypeScript compiler, no
// type checking, so this runs in well under a second.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const CORE = join(SRC, 'core');

interface Module {
  readonly file: string;
  /** Names this module declares and exports (re-exports of another module's name excluded). */
  readonly exported: readonly string[];
  /** Resolved files of its relative imports and re-exports (`import type` included). */
  readonly imports: readonly string[];
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function isExported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function parse(file: string): Module {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const exported: string[] = [];
  const imports: string[] = [];
  const imported = new Set<string>();
  const specifier = (s: ts.Expression | undefined): void => {
    if (s && ts.isStringLiteral(s) && s.text.startsWith('.')) imports.push(resolve(dirname(file), s.text));
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      specifier(st.moduleSpecifier);
      const c = st.importClause;
      if (c?.name) imported.add(c.name.text);
      if (c?.namedBindings && ts.isNamedImports(c.namedBindings)) for (const el of c.namedBindings.elements) imported.add(el.name.text);
      if (c?.namedBindings && ts.isNamespaceImport(c.namedBindings)) imported.add(c.namedBindings.name.text);
    }
  }
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      specifier(st.moduleSpecifier);
      // `export { x }` of a local declaration names it; of an import, or `from`, passes one on.
      if (!st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) if (!imported.has((el.propertyName ?? el.name).text)) exported.push(el.name.text);
      }
    } else if (isExported(st)) {
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) exported.push(d.name.text);
      } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) {
        exported.push(st.name.text);
      }
    }
  }
  // Dynamic imports (import('./x.ts')) with a literal path count too.
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) specifier(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { file, exported, imports };
}

const modules = tsFiles(SRC).map(parse);
const rel = (f: string): string => relative(ROOT, f);

describe('src/ structure', () => {
  it('declares every exported name once', () => {
    const where = new Map<string, string[]>();
    for (const m of modules) for (const name of m.exported) where.set(name, [...(where.get(name) ?? []), rel(m.file)]);
    const duplicates = [...where].filter(([, files]) => files.length > 1).map(([name, files]) => `${name}: ${files.join(', ')}`);
    expect(duplicates, 'an exported name declared in two modules means two things: rename one').toEqual([]);
    expect(where.size).toBeGreaterThan(100); // the parser found the exports at all
  });

  it('has no import cycle', () => {
    const graph = new Map(modules.map((m) => [m.file, m.imports.filter((f) => f.startsWith(SRC))]));
    // Tarjan's strongly connected components: any component with two or more files is a cycle.
    let index = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const connect = (v: string): void => {
      order.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!order.has(w)) {
          connect(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
      if (low.get(v) !== order.get(v)) return;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    };
    for (const v of graph.keys()) if (!order.has(v)) connect(v);
    expect(cycles, 'files that import each other (type imports count)').toEqual([]);
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
  });

  it('keeps the core to itself: src/core imports nothing outside src/core', () => {
    const outside = modules
      .filter((m) => m.file.startsWith(CORE))
      .flatMap((m) => m.imports.filter((f) => !f.startsWith(CORE + '/')).map((f) => `${rel(m.file)} -> ${rel(f)}`));
    expect(outside).toEqual([]);
    expect(modules.filter((m) => m.file.startsWith(CORE)).length).toBeGreaterThan(20);
  });
});
