/**
 * Argument validation of every kernel, interpreted from the kernel table
 * (kernel_table.ts): the TypeScript backend and the wrappers of compiled backends
 * call `validate.<kernel>(...args)` with the kernel's own arguments before touching
 * memory. The C glue checks the same table again (generated, scripts/gen-glue.ts).
 *
 * A problem throws `Error("<kernel>: <what> (<shapes>)")`: a wrong array type or
 * length, a size that is not a non-negative integer, an unknown op name, an index
 * out of range, a malformed ptr array, or a broken rule of the table. Output data
 * is never read. The validator returns the kernel's sizes (arguments and derived
 * ones such as `N` or `B`) so callers don't recompute them.
 *
 * Order of the checks (the C glue keeps it too): scalars, array types and ptr
 * arrays, derived sizes, 'pre' rules, lengths, 'post' rules, index ranges.
 */
import type { Kernels } from './kernels.js';
import { type Expr, parseExpr, splitTemplate } from './kernel_expr.js';
import {
  ARRAY_KINDS, KERNEL_NAMES, type ArrayArg, type KernelDecl, type KernelName, type LenRule, type ScalarArg,
  isArray, kernelDecl,
} from './kernel_table.js';

/** Arguments and derived sizes of one call, by name. */
export type Env = Record<string, unknown>;
/** What a validator returns: sizes by name (arguments and derived). */
export type Sizes = Readonly<Record<string, number>>;

/** Throws the kernel error. */
export function fail(kernel: string, msg: string): never {
  throw new Error(`${kernel}: ${msg}`);
}

/** Class name of a value, as messages print it ('Float64Array', 'Array', 'null', 'number'). */
export function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

const CTORS: Record<string, new (n: number) => ArrayLike<number>> = {
  Float32Array, Float64Array, Int32Array, Uint8Array, Uint16Array, Uint32Array,
};

// ------------------------------------------------------ expression closures
type Fn = (env: Env) => unknown;

function sumSq(ptr: Int32Array): number {
  let s = 0;
  for (let b = 0; b + 1 < ptr.length; b++) { const n = ptr[b + 1] - ptr[b]; s += n * n; }
  return s;
}

/** Compiles an expression of the table to a closure over the call's Env. */
export function compileExpr(e: Expr): Fn {
  switch (e.t) {
    case 'num': case 'str': case 'bool': { const v = e.v; return () => v; }
    case 'null': return () => null;
    case 'id': { const n = e.name; return (env) => env[n]; }
    case 'not': { const f = compileExpr(e.e); return (env) => !f(env); }
    case 'neg': { const f = compileExpr(e.e); return (env) => -(f(env) as number); }
    case 'call': {
      const a = e.args.map(compileExpr);
      switch (e.fn) {
        case 'len': return (env) => (a[0](env) as ArrayLike<number>).length;
        case 'last': return (env) => { const p = a[0](env) as Int32Array; return p[p.length - 1]; };
        case 'sumsq': return (env) => sumSq(a[0](env) as Int32Array);
        case 'min': return (env) => Math.min(a[0](env) as number, a[1](env) as number);
        case 'isint': return (env) => Number.isSafeInteger(a[0](env));
      }
      break;
    }
    case 'bin': {
      const l = compileExpr(e.l), r = compileExpr(e.r);
      switch (e.op) {
        case '*': return (env) => (l(env) as number) * (r(env) as number);
        case '+': return (env) => (l(env) as number) + (r(env) as number);
        case '-': return (env) => (l(env) as number) - (r(env) as number);
        case '<': return (env) => (l(env) as number) < (r(env) as number);
        case '<=': return (env) => (l(env) as number) <= (r(env) as number);
        case '>': return (env) => (l(env) as number) > (r(env) as number);
        case '>=': return (env) => (l(env) as number) >= (r(env) as number);
        // `x == null` is true for an absent (null or left-out) array.
        case '==': return (env) => (l(env) ?? null) === (r(env) ?? null);
        case '!=': return (env) => (l(env) ?? null) !== (r(env) ?? null);
        case '&&': return (env) => Boolean(l(env)) && Boolean(r(env));
        case '||': return (env) => Boolean(l(env)) || Boolean(r(env));
      }
    }
  }
  throw new Error(`kernel table: cannot compile ${JSON.stringify(e)}`);
}

/** "m=3, k=4" for the named sizes (`show` renames, e.g. P -> ptr[S]). */
function dimsText(names: readonly string[], env: Env, show: Readonly<Record<string, string>>): string {
  return names.map((n) => `${show[n] ?? n}=${String(env[n])}`).join(', ');
}

/** A message template: literal text and `{expr}` parts; `{dims}` prints the given dims. */
function compileTemplate(tpl: string, dims: readonly string[], show: Readonly<Record<string, string>>,
  extra: Record<string, Fn> = {}): (env: Env) => string {
  const parts = splitTemplate(tpl).map((p, i): Fn | string => {
    if (i % 2 === 0) return p;
    if (p === 'dims') return (env) => dimsText(dims, env, show);
    if (extra[p]) return extra[p];
    return compileExpr(parseExpr(p));
  });
  return (env) => parts.map((p) => typeof p === 'string' ? p : String(p(env))).join('');
}

/** The length rule of an array for this call (a switch picks its case). */
function lenRule(a: ArrayArg, env: Env): LenRule | undefined {
  if (a.len === undefined || !('on' in a.len)) return a.len;
  return a.len.cases[String(env[a.len.on])];
}

// ------------------------------------------------------------ the checker
/** Compiles one kernel's declaration into its validator. */
function compileKernel(K: string, d: KernelDecl): (args: unknown[]) => Env {
  const show = d.show ?? {};
  const scalars: [number, ScalarArg][] = [];
  const arrays: [number, ArrayArg, (env: Env) => string][] = [];
  d.args.forEach((a, i) => {
    if (isArray(a)) arrays.push([i, a, compileTemplate(a.label ?? a.name, [], show)]);
    else scalars.push([i, a]);
  });
  const label = (a: ArrayArg, base: (env: Env) => string, env: Env): string => lenRule(a, env)?.label ?? base(env);
  const derive = (d.derive ?? []).map(([n, e]) => [n, compileExpr(parseExpr(e))] as const);
  const rules = (d.rules ?? []).map((r) => ({ phase: r.phase ?? 'post', fail: compileExpr(parseExpr(r.fail)), msg: compileTemplate(r.msg, r.dims ?? [], show) }));
  const lens = arrays.filter(([, a]) => a.len !== undefined).map(([i, a, base]) => {
    const cases = a.len && 'on' in a.len ? Object.values(a.len.cases) : [a.len as LenRule];
    const fns = new Map(cases.map((c) => [c, compileExpr(parseExpr(c.expr))]));
    const texts = new Map(cases.filter((c) => c.text).map((c) => [c, compileTemplate(c.text as string, c.dims, show, {
      name: (env) => label(a, base, env), len: (env) => (env[a.name] as ArrayLike<number>).length,
    })]));
    return { i, a, base, fns, texts };
  });
  const indices = arrays.filter(([, a]) => a.indices).map(([, a]) => ({ a, bound: compileExpr(parseExpr(a.indices!.bound)) }));
  const winners = d.winners && { ...d.winners, when: compileExpr(parseExpr(d.winners.when)) };

  return (args) => {
    const env: Env = {};
    for (let i = 0; i < d.args.length; i++) env[d.args[i].name] = args[i];
    for (const [, a] of scalars) checkScalar(K, a, env[a.name]);
    for (const [, a, base] of arrays) {
      const v = env[a.name];
      if (a.nullable && (v === null || (a.optional && v === undefined))) { env[a.name] = null; continue; }
      const ctor = ARRAY_KINDS[a.kind];
      if (!(v instanceof CTORS[ctor])) fail(K, `${label(a, base, env)} must be a ${ctor}, got ${typeName(v)}`);
      if (a.ptr) checkPtr(K, a.name, v as Int32Array);
    }
    for (const [n, f] of derive) env[n] = f(env);
    for (const r of rules) if (r.phase === 'pre' && r.fail(env)) fail(K, r.msg(env));
    for (const { a, base, fns, texts } of lens) {
      const v = env[a.name] as ArrayLike<number> | null;
      if (v === null) continue;
      const rule = lenRule(a, env) as LenRule;
      const want = (fns.get(rule) as Fn)(env) as number;
      if (v.length === want) continue;
      const text = texts.get(rule);
      if (text) fail(K, text(env));
      const dims = dimsText(rule.dims, env, show);
      fail(K, `${label(a, base, env)} has ${v.length} elements, expected ${rule.formula ?? rule.expr} = ${want}${dims ? ` (${dims})` : ''}`);
    }
    for (const r of rules) if (r.phase === 'post' && r.fail(env)) fail(K, r.msg(env));
    for (const { a, bound } of indices) {
      const v = env[a.name] as ArrayLike<number>;
      checkIndices(K, a.name, v, bound(env) as number, a.indices!.boundName);
    }
    if (winners && winners.when(env)) {
      checkWinners(K, winners.argmax, env[winners.argmax] as Int32Array, env[winners.ptr] as Int32Array,
        env[winners.cols] as number, dimsText(winners.dims, env, show));
    }
    return env;
  };
}

function checkScalar(K: string, a: ScalarArg, v: unknown): void {
  const name = a.label ?? a.name;
  switch (a.kind) {
    case 'size':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(K, `${name} must be a non-negative integer, got ${String(v)}`);
      return;
    case 'number':
      if (typeof v !== 'number') fail(K, `${name} must be a number, got ${typeName(v)}`);
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(K, `${name} must be a boolean, got ${typeName(v)}`);
      return;
    case 'axis':
      if (v !== 0 && v !== 1) fail(K, `${name} must be 0 or 1, got ${String(v)}`);
      return;
    case 'enum':
      if (!(a.values as readonly unknown[]).includes(v)) fail(K, `unknown ${name} '${String(v)}', expected one of ${(a.values as readonly string[]).join(', ')}`);
  }
}

/** Every idx[r] must be in [0, bound). */
function checkIndices(K: string, name: string, idx: ArrayLike<number>, bound: number, boundName: string): void {
  for (let r = 0; r < idx.length; r++) {
    const v = idx[r];
    if (v < 0 || v >= bound) {
      fail(K, `${name}[${r}] = ${v} is out of range [0, ${boundName}) (${boundName}=${bound}, ${name} has ${idx.length} elements)`);
    }
  }
}

/** A ptr array [S+1]: at least one element, ptr[0] = 0, non-decreasing. */
function checkPtr(K: string, name: string, ptr: Int32Array): void {
  if (ptr.length < 1) fail(K, `${name} has 0 elements, expected at least 1 (S+1 for S segments)`);
  if (ptr[0] !== 0) fail(K, `${name}[0] = ${ptr[0]}, expected 0 (${name} has ${ptr.length} elements)`);
  for (let s = 0; s + 1 < ptr.length; s++) {
    if (ptr[s + 1] < ptr[s]) {
      fail(K, `${name} is not non-decreasing: ${name}[${s}] = ${ptr[s]} > ${name}[${s + 1}] = ${ptr[s + 1]} (${name} has ${ptr.length} elements)`);
    }
  }
}

/** The winner of segment s must lie in its segment (-1 only for an empty one), or the gradient lands elsewhere. */
function checkWinners(K: string, name: string, argmax: Int32Array, ptr: Int32Array, cols: number, dims: string): void {
  for (let s = 0; s + 1 < ptr.length; s++) {
    const lo = ptr[s], hi = ptr[s + 1];
    for (let c = 0; c < cols; c++) {
      const r = argmax[s * cols + c];
      const ok = lo === hi ? r === -1 : r >= lo && r < hi;
      if (!ok) fail(K, `${name}[${s * cols + c}] = ${r} is outside segment ${s} rows [${lo}, ${hi}) (${dims})`);
    }
  }
}

/** A validator per kernel, with exactly the kernel's arguments. */
export type Validators = { [K in KernelName]: (...args: Parameters<Kernels[K]>) => Sizes } & {
  setThreads(n: number): void;
  getThreads(): void;
};

function buildValidators(): Validators {
  const v: Record<string, unknown> = {
    setThreads(n: number): void {
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) fail('setThreads', `n must be an integer >= 1, got ${String(n)}`);
    },
    getThreads(): void {},
  };
  for (const name of KERNEL_NAMES) {
    const check = compileKernel(name, kernelDecl(name));
    v[name] = (...args: unknown[]) => check(args);
  }
  return v as Validators;
}

/** `validate.<kernel>(...args)`: throws the kernel error on bad input, else returns the call's sizes. */
export const validate: Validators = buildValidators();
