/**
 * The small expression language of the kernel table (kernel_table.ts): length
 * rules, index bounds, derived sizes and extra rules are written once as text
 * such as `H*sumNb2`, `off + srcCols > outCols` or `op == 'max' && argmax == null`,
 * then compiled to closures by kernel_checks.ts (TypeScript backends) and to C
 * by scripts/gen-glue.ts (Node-API and CUDA glue), so the two checks cannot drift.
 *
 * Grammar: identifiers (kernel arguments and derived sizes), integers, 'strings'
 * (enum values), true/false, null, calls of FUNCTIONS, unary ! and -, binary
 * * + - < <= > >= == != && ||, parentheses. Usual precedence; nothing else.
 */

export type Expr =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' }
  | { t: 'id'; name: string }
  | { t: 'call'; fn: KernelFn; args: Expr[] }
  | { t: 'not'; e: Expr }
  | { t: 'neg'; e: Expr }
  | { t: 'bin'; op: BinOp; l: Expr; r: Expr };

export type BinOp = '*' | '+' | '-' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

/**
 * Functions an expression may call: len(array) its element count, last(ptr) its
 * last element, sumsq(ptr) the sum over segments of (ptr[s+1]-ptr[s])^2,
 * min(a, b), and isint(x) (a safe integer).
 */
export const FUNCTIONS = ['len', 'last', 'sumsq', 'min', 'isint'] as const;
export type KernelFn = (typeof FUNCTIONS)[number];

const TOKEN = /\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|'([^']*)'|(<=|>=|==|!=|&&|\|\||[-*+<>!(),]))/y;

/** Binding power of each binary operator (higher binds tighter). */
const PREC: Record<BinOp, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6 };

const memo = new Map<string, Expr>();

/** Parses an expression of the table (memoised); throws naming the text on a syntax error. */
export function parseExpr(src: string): Expr {
  const hit = memo.get(src);
  if (hit) return hit;
  const toks: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`kernel table: cannot parse '${src}' at '${src.slice(pos)}'`);
    toks.push(m[1] !== undefined ? `#${m[1]}` : m[2] !== undefined ? `@${m[2]}` : m[3] !== undefined ? `'${m[3]}` : m[4]);
    pos = TOKEN.lastIndex;
  }
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const take = (want?: string): string => {
    const t = toks[i++];
    if (t === undefined || (want !== undefined && t !== want)) throw new Error(`kernel table: in '${src}' expected ${want ?? 'more'}, got ${t ?? 'the end'}`);
    return t;
  };
  const primary = (): Expr => {
    const t = take();
    if (t === '(') { const e = binary(0); take(')'); return e; }
    if (t === '!') return { t: 'not', e: primary() };
    if (t === '-') return { t: 'neg', e: primary() };
    if (t[0] === '#') return { t: 'num', v: Number(t.slice(1)) };
    if (t[0] === "'") return { t: 'str', v: t.slice(1) };
    if (t[0] !== '@') throw new Error(`kernel table: in '${src}' unexpected '${t}'`);
    const name = t.slice(1);
    if (name === 'true' || name === 'false') return { t: 'bool', v: name === 'true' };
    if (name === 'null') return { t: 'null' };
    if (peek() !== '(') return { t: 'id', name };
    if (!(FUNCTIONS as readonly string[]).includes(name)) throw new Error(`kernel table: in '${src}' unknown function ${name}()`);
    take('(');
    const args: Expr[] = [binary(0)];
    while (peek() === ',') { take(','); args.push(binary(0)); }
    take(')');
    return { t: 'call', fn: name as KernelFn, args };
  };
  const binary = (min: number): Expr => {
    let l = primary();
    for (;;) {
      const op = peek() as BinOp | undefined;
      const p = op !== undefined ? PREC[op] : undefined;
      if (p === undefined || p <= min) return l;
      take();
      l = { t: 'bin', op: op as BinOp, l, r: binary(p) };
    }
  };
  const e = binary(0);
  if (i !== toks.length) throw new Error(`kernel table: trailing '${toks.slice(i).join(' ')}' in '${src}'`);
  memo.set(src, e);
  return e;
}

/** The identifiers an expression reads, in order of first use. */
export function exprIds(e: Expr, out: string[] = []): string[] {
  switch (e.t) {
    case 'id': if (!out.includes(e.name)) out.push(e.name); break;
    case 'call': for (const a of e.args) exprIds(a, out); break;
    case 'not': case 'neg': exprIds(e.e, out); break;
    case 'bin': exprIds(e.l, out); exprIds(e.r, out); break;
    default: break;
  }
  return out;
}

/** `{expr}` pieces of a message template: literal text at even, expressions at odd indices. */
export function splitTemplate(tpl: string): string[] {
  return tpl.split(/\{([^}]*)\}/);
}
