/**
 * docs/API.md from the source: every export of the two entry points (`gradformer`,
 * src/index.ts, and `gradformer/web`, src/web/index.ts) with its signature and
 * its doc comment, grouped by the module that defines it, read with the
 * TypeScript compiler the build already uses. test/api_docs.test.ts keeps the file
 * current and fails on an export without a doc comment.
 *
 *   npm run gen:api          (writes docs/API.md)
 *   node --import tsx scripts/gen-api.ts --check   (exit 1 if docs/API.md is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = [
  { name: 'gradformer', file: 'src/index.ts', note: 'The Node entry (`import ... from \'gradformer\'`).' },
  { name: 'gradformer/web', file: 'src/web/index.ts', note: 'The browser entry: no Node imports (docs/WEB.md).' },
] as const;
const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

export interface ApiEntry { entry: string; name: string; kind: string; module: string; doc: string; code: string }

/** Every export of every entry, in the entries' export order. */
export function collectApi(): ApiEntry[] {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const program = ts.createProgram(ENTRIES.map((e) => join(ROOT, e.file)), { ...cfg.options, noEmit: true });
  const checker = program.getTypeChecker();
  const out: ApiEntry[] = [];
  for (const e of ENTRIES) {
    const sf = program.getSourceFile(join(ROOT, e.file))!;
    const mod = checker.getSymbolAtLocation(sf)!;
    for (const exp of checker.getExportsOfModule(mod)) {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
      const decl = sym.declarations?.[0];
      if (!decl) continue;
      const module = relative(ROOT, decl.getSourceFile().fileName);
      out.push({ entry: e.name, name: exp.name, module, ...describe(checker, sym, decl, exp.name) });
    }
  }
  return out;
}

function docOf(checker: ts.TypeChecker, sym: ts.Symbol): string {
  return ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
}

/** Kind, doc comment and the code block of one export. */
function describe(checker: ts.TypeChecker, sym: ts.Symbol, decl: ts.Declaration, name: string): { kind: string; doc: string; code: string } {
  const doc = docOf(checker, sym);
  if (ts.isSourceFile(decl)) { // export * as ops
    const members = checker.getExportsOfModule(sym).map((m) => {
      const summary = firstSentence(docOf(checker, m));
      const note = summary ? `// ${summary}\n` : '';
      const fns = signatureDecls(m);
      if (fns.length) return note + fns.map((d) => `${m.name}${signature(checker, d)}`).join('\n');
      // Types have no value type to print ('any'): their declaration is what they are.
      const typeDecl = m.declarations?.find((d) => ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d));
      if (typeDecl) return note + stripExport(typeDecl.getText());
      const t = checker.getTypeOfSymbolAtLocation(m, decl);
      const sig = t.getCallSignatures()[0];
      return note + (sig ? `${m.name}${checker.signatureToString(sig, undefined, FLAGS)}` : `${m.name}: ${checker.typeToString(t, undefined, FLAGS)}`);
    });
    const fileDoc = ts.getLeadingCommentRanges(decl.text, 0)?.map((r) => decl.text.slice(r.pos, r.end)).join('\n') ?? '';
    return { kind: 'namespace', doc: doc || cleanBlock(fileDoc), code: members.join('\n') };
  }
  if (ts.isFunctionDeclaration(decl)) {
    return { kind: 'function', doc, code: signatureDecls(sym).map((d) => `function ${name}${signature(checker, d)}`).join('\n') };
  }
  if (ts.isClassDeclaration(decl)) return { kind: 'class', doc, code: classOutline(checker, decl, name) };
  if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) {
    return { kind: ts.isInterfaceDeclaration(decl) ? 'interface' : 'type', doc, code: stripExport(decl.getText()) };
  }
  if (ts.isVariableDeclaration(decl)) {
    const t = checker.getTypeOfSymbolAtLocation(sym, decl);
    return { kind: 'const', doc, code: `const ${name}: ${checker.typeToString(t, undefined, FLAGS)}` };
  }
  return { kind: ts.SyntaxKind[decl.kind], doc, code: '' };
}

/** The public surface of a class: constructor, properties and methods (not private, protected or _-prefixed), one line each with its summary. */
function classOutline(checker: ts.TypeChecker, decl: ts.ClassDeclaration, name: string): string {
  const lines: string[] = [];
  const ext = decl.heritageClauses?.map((h) => h.getText()).join(' ');
  lines.push(`class ${name}${decl.typeParameters ? `<${decl.typeParameters.map((p) => p.getText()).join(', ')}>` : ''}${ext ? ` ${ext}` : ''} {`);
  for (const m of decl.members) {
    const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
    if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
    if (m.name && (ts.isPrivateIdentifier(m.name) || m.name.getText().startsWith('_'))) continue;
    if (ts.getJSDocTags(m).some((t) => t.tagName.text === 'internal')) continue;
    const msym = m.name ? checker.getSymbolAtLocation(m.name) : undefined;
    // As written: `[Symbol.iterator]`, not the checker's internal `__@iterator@551`.
    const mname = m.name?.getText() ?? '';
    const isStatic = mods.some((x) => x.kind === ts.SyntaxKind.StaticKeyword) ? 'static ' : '';
    // Overloaded: the overload signatures are the API, the implementation's is not.
    const overloaded = (ts.isConstructorDeclaration(m) || ts.isMethodDeclaration(m)) && m.body !== undefined &&
      decl.members.some((o) => o !== m && o.kind === m.kind && o.name?.getText() === m.name?.getText());
    if (overloaded) continue;
    let line: string | null = null;
    let summary = msym ? firstSentence(docOf(checker, msym)) : '';
    if (ts.isConstructorDeclaration(m)) {
      summary = firstSentence(ts.displayPartsToString(checker.getSignatureFromDeclaration(m)!.getDocumentationComment(checker)));
      line = `constructor${signature(checker, m)};`;
    } else if (ts.isGetAccessorDeclaration(m) && msym) {
      line = `${isStatic}get ${mname}(): ${typeText(checker, m.type, m)};`;
    } else if (ts.isMethodDeclaration(m) && msym) {
      line = `${isStatic}${mname}${signature(checker, m)};`;
    } else if (ts.isPropertyDeclaration(m) && msym) {
      const ro = mods.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword) ? 'readonly ' : '';
      line = `${isStatic}${ro}${mname}${m.questionToken ? '?' : ''}: ${typeText(checker, m.type, m)};`;
    }
    // The summary goes on its own line above the member: trailing, it made lines of 200+ characters.
    if (line !== null) lines.push(...(summary ? [`  // ${summary}`] : []), `  ${line}`);
  }
  // Parameter properties (constructor(readonly x: T)) are public fields too.
  const ctor = decl.members.find(ts.isConstructorDeclaration);
  for (const p of ctor?.parameters ?? []) {
    const mods = ts.getModifiers(p) ?? [];
    if (!mods.some((x) => x.kind === ts.SyntaxKind.PublicKeyword || x.kind === ts.SyntaxKind.ReadonlyKeyword)) continue;
    if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
    // Their summary is the constructor's @param line for them.
    const summary = firstSentence(ts.getTextOfJSDocComment(ts.getJSDocParameterTags(p)[0]?.comment) ?? '');
    if (summary) lines.push(`  // ${summary}`);
    lines.push(`  ${mods.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword) ? 'readonly ' : ''}${p.name.getText()}: ${typeText(checker, p.type, p)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** The declarations to print for a function: its overloads, or the one implementation when it has none. */
function signatureDecls(sym: ts.Symbol): ts.SignatureDeclaration[] {
  const fns = (sym.declarations ?? []).filter(ts.isFunctionDeclaration);
  const overloads = fns.filter((d) => !d.body);
  return overloads.length ? overloads : fns;
}

/**
 * `<T>(a: A, b?: B): R` with the types as the source writes them (`typeof fetch`, not
 * its expansion; `Float32Array`, not `Float32Array<ArrayBufferLike>`); the checker's
 * only where the source has no annotation.
 */
function signature(checker: ts.TypeChecker, d: ts.SignatureDeclaration): string {
  const tps = d.typeParameters ? `<${d.typeParameters.map((p) => p.getText()).join(', ')}>` : '';
  const params = d.parameters.map((p) => {
    const opt = p.questionToken || p.initializer ? '?' : '';
    return `${p.dotDotDotToken ? '...' : ''}${p.name.getText()}${opt}: ${typeText(checker, p.type, p)}`;
  });
  let ret = '';
  if (!ts.isConstructorDeclaration(d)) {
    ret = `: ${d.type ? oneLine(d.type.getText()) : checker.typeToString(checker.getSignatureFromDeclaration(d)!.getReturnType(), undefined, FLAGS)}`;
  }
  return `${tps}(${params.join(', ')})${ret}`;
}

/** A type as written, on one line; inferred by the checker when there is no annotation. */
function typeText(checker: ts.TypeChecker, node: ts.TypeNode | undefined, at: ts.Node): string {
  if (node) return oneLine(node.getText());
  return checker.typeToString(checker.getTypeAtLocation(at), undefined, FLAGS);
}
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

const stripExport = (s: string) => s.replace(/^export\s+/, '');
/**
 * A member's summary: its doc comment's first sentence (to the first period followed
 * by a space or the end, not the one of an "e.g." or "i.e.").
 */
const firstSentence = (s: string) => {
  const one = s.replace(/\s+/g, ' ').trim();
  const m = /^(.*?(?<!\b(?:e\.g|i\.e))\.)(\s|$)/.exec(one);
  return m ? m[1] : one;
};
const cleanBlock = (c: string) => c.replace(/^\/\*\*?|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim();

/** docs/API.md's text. */
export function renderApi(api: ApiEntry[]): string {
  const md: string[] = ['# API reference', '',
    'Generated from the source by `npm run gen:api` (scripts/gen-api.ts): every export of the package\'s two entry points,',
    'with its signature and the doc comment it has in the code, grouped by the module that defines it. Shapes are',
    'written `[rows, cols]`, row-major, as in the comments. test/api_docs.test.ts fails when this file is stale or an export',
    'has no doc comment. The guide to using them is the README ("Use as a library") and docs/CLI.md.', ''];
  for (const e of ENTRIES) {
    const items = api.filter((a) => a.entry === e.name);
    md.push(`## \`${e.name}\``, '', e.note, '');
    const modules = [...new Set(items.map((a) => a.module))];
    // An index, one line per module with the names it exports: one line for all, it was 3000 characters of links.
    for (const m of modules) {
      md.push(`- [${m}](#${anchor(e.name, m)}): ${items.filter((a) => a.module === m).map((a) => `\`${a.name}\``).join(', ')}`);
    }
    md.push('');
    for (const m of modules) {
      md.push(`<a id="${anchor(e.name, m)}"></a>`, `### ${m}`, '');
      for (const a of items.filter((x) => x.module === m)) {
        md.push(`#### \`${a.name}\` (${a.kind})`, '');
        // The browser entry re-exports much of the Node one: the same declaration is written out once.
        const first = api.find((x) => x.module === a.module && x.name === a.name);
        if (first && first.entry !== e.name) {
          md.push(`The same as in [\`${first.entry}\`](#${anchor(first.entry, m)}).`, '');
          continue;
        }
        if (a.doc) md.push(a.doc, '');
        if (a.code) md.push('```ts', a.code, '```', '');
      }
    }
  }
  return md.join('\n').replace(/\n{3,}/g, '\n\n');
}

const anchor = (entry: string, m: string) => `${entry}-${m}`.replace(/[^a-zA-Z0-9]+/g, '-').toLowerCase();

export const API_MD = join(ROOT, 'docs', 'API.md');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderApi(collectApi());
  if (process.argv.includes('--check')) {
    const cur = readFileSync(API_MD, 'utf8');
    if (cur !== text) { console.error('docs/API.md is stale: npm run gen:api'); process.exit(1); }
  } else {
    writeFileSync(API_MD, text);
    console.log(`wrote ${relative(process.cwd(), API_MD)}`);
  }
}
