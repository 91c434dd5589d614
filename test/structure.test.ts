// The structure of src/ holds by itself, not by review: every exported name means one thing.
// (Who may import whom, and "no import cycle", are dependency-cruiser's rules in
// .dependency-cruiser.js, run by `npm run lint`.) Parsed with the TypeScript compiler, no type
// checking, so this runs in well under a second.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

interface Module {
  readonly file: string;
  /** Names this module declares and exports (re-exports of another module's name excluded). */
  readonly exported: readonly string[];
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
  const imported = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      if (c?.name) imported.add(c.name.text);
      if (c?.namedBindings && ts.isNamedImports(c.namedBindings)) for (const el of c.namedBindings.elements) imported.add(el.name.text);
      if (c?.namedBindings && ts.isNamespaceImport(c.namedBindings)) imported.add(c.namedBindings.name.text);
    }
  }
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
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
  return { file, exported };
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
});
