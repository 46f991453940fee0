/**
 * Argument validation of every kernel, interpreted from the kernel table
 * (kernel_table.ts): the TypeScript backend and the wrappers of compiled backends
 * call `validate.<kernel>(...args)` with the kernel's own arguments before touching
 * memory. The C glue checks the same table again (generated, scripts/gen-glue.ts).
 *
 * A problem throws `Error("<kernel>: <what> (<shapes>)")`: a wrong array type or
 * length, a size that is not a non-negative integer, an unknown op name, an index
 * out of range, a malformed ptr array, or a broken rule of the table. Output data
 * is never read.
 *
 * Order of the checks (the C glue keeps it too): scalars, array types and ptr
 * arrays, derived sizes, 'pre' rules, lengths, 'post' rules, index ranges.
 */
import type { Kernels } from './kernels.js';
import { type Expr, parseExpr, splitTemplate } from './kernel_expr.js';
import {
  ARRAY_KINDS, KERNEL_NAMES, type ArrayArg, type ArrayKind, type KernelDecl, type KernelName, type LenRule, type ScalarArg,
  type SegmentWinnersRule, isArray, kernelDecl,
} from './kernel_table.js';

/**
 * Arguments and derived sizes of one call, by slot: the arguments in order, then
 * the derived sizes (an array, not an object keyed by name: validation runs on
 * every kernel call, and this keeps it within a few hundred nanoseconds).
 */
type Env = unknown[];
/** Slot of each name of a kernel. */
type Slots = ReadonlyMap<string, number>;

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

/**
 * How a backend's arrays look to the checks: host typed arrays (the TypeScript and
 * C backends) or device buffers (CUDA). Everything else about validation is the table.
 */
export interface ArrayAdapter {
  /** A test for arrays of this element kind. */
  test(kind: ArrayKind): (v: unknown) => boolean;
  /** The expected type, as messages name it ('Float32Array', 'cuda Float32Array'). */
  expected(kind: ArrayKind): string;
  /** What a wrong value is called in messages. */
  describe(v: unknown): string;
  /** The elements, readable on the host (index and ptr checks). */
  host(v: unknown): ArrayLike<number>;
}

/** Host typed arrays. */
export const HOST_ARRAYS: ArrayAdapter = {
  test: (kind) => { const C = CTORS[ARRAY_KINDS[kind]]; return (v) => v instanceof C; },
  expected: (kind) => ARRAY_KINDS[kind],
  describe: typeName,
  host: (v) => v as ArrayLike<number>,
};

// ------------------------------------------------------ expression closures
type Fn = (env: Env) => unknown;

function sumSq(ptr: ArrayLike<number>): number {
  let s = 0;
  for (let b = 0; b + 1 < ptr.length; b++) { const n = ptr[b + 1] - ptr[b]; s += n * n; }
  return s;
}

/** Compiles an expression of the table to a closure over the call's Env. */
function compileExpr(e: Expr, slots: Slots, host: ArrayAdapter['host']): Fn {
  const compile = (x: Expr) => compileExpr(x, slots, host);
  switch (e.t) {
    case 'num': case 'str': case 'bool': { const v = e.v; return () => v; }
    case 'null': return () => null;
    case 'id': {
      const i = slots.get(e.name);
      if (i === undefined) throw new Error(`kernel table: unknown name '${e.name}'`);
      return (env) => env[i];
    }
    case 'not': { const f = compile(e.e); return (env) => !f(env); }
    case 'neg': { const f = compile(e.e); return (env) => -(f(env) as number); }
    case 'call': {
      const a = e.args.map(compile);
      switch (e.fn) {
        case 'len': return (env) => (a[0](env) as ArrayLike<number>).length;
        case 'last': return (env) => { const p = host(a[0](env)); return p[p.length - 1]; };
        case 'sumsq': return (env) => sumSq(host(a[0](env)));
        case 'min': return (env) => Math.min(a[0](env) as number, a[1](env) as number);
        case 'isint': return (env) => Number.isSafeInteger(a[0](env));
      }
      break;
    }
    case 'bin': {
      const l = compile(e.l), r = compile(e.r);
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
function dimsText(names: readonly string[], env: Env, slots: Slots, show: Readonly<Record<string, string>>): string {
  return names.map((n) => `${show[n] ?? n}=${String(env[slots.get(n) as number])}`).join(', ');
}

/** A message template: literal text and `{expr}` parts; `{dims}` prints the given dims. */
function compileTemplate(tpl: string, dims: readonly string[], slots: Slots, show: Readonly<Record<string, string>>,
  host: ArrayAdapter['host'], extra: Record<string, Fn> = {}): (env: Env) => string {
  const parts = splitTemplate(tpl).map((p, i): Fn | string => {
    if (i % 2 === 0) return p;
    if (p === 'dims') return (env) => dimsText(dims, env, slots, show);
    if (extra[p]) return extra[p];
    return compileExpr(parseExpr(p), slots, host);
  });
  return (env) => parts.map((p) => typeof p === 'string' ? p : String(p(env))).join('');
}

/** One array's checks, compiled: its length cases ([when, want, rule]) and message name. */
interface ArrayPlan {
  slot: number;
  a: ArrayArg;
  is: (v: unknown) => boolean;
  /** The length rule that applies to this call (a switch picks its case), or -1 for none. */
  pick: (env: Env) => number;
  rules: { rule: LenRule; want: Fn; text?: (env: Env) => string }[];
  label: (env: Env) => string;
}

// ------------------------------------------------------------ the checker
/** Compiles one kernel's declaration into its validator. */
function compileKernel(K: string, d: KernelDecl, adapter: ArrayAdapter): (args: unknown[]) => void {
  const show = d.show ?? {};
  const slots = new Map<string, number>();
  d.args.forEach((a, i) => slots.set(a.name, i));
  (d.derive ?? []).forEach(([n], j) => slots.set(n, d.args.length + j));
  const expr = (e: string) => compileExpr(parseExpr(e), slots, adapter.host);
  const template = (tpl: string, dims: readonly string[], extra?: Record<string, Fn>) => compileTemplate(tpl, dims, slots, show, adapter.host, extra);
  const slotOf = (n: string) => slots.get(n) as number;

  const scalars = d.args.flatMap((a, i) => isArray(a) ? [] : [[i, a] as const]);
  const arrays: ArrayPlan[] = d.args.flatMap((a, slot): ArrayPlan[] => {
    if (!isArray(a)) return [];
    const cases: [string | null, LenRule][] = a.len === undefined ? [] : 'on' in a.len ? Object.entries(a.len.cases) : [[null, a.len]];
    const on = a.len && 'on' in a.len ? slotOf(a.len.on) : -1;
    const keys = cases.map(([k]) => k);
    const pick = on < 0 ? () => cases.length ? 0 : -1 : (env: Env) => keys.indexOf(String(env[on]));
    const base = template(a.label ?? a.name, []);
    const label = (env: Env) => { const r = cases[pick(env)]?.[1]; return r?.label ?? base(env); };
    const rules = cases.map(([, rule]) => ({
      rule, want: expr(rule.expr),
      text: rule.text === undefined ? undefined : template(rule.text, rule.dims, {
        name: label, len: (env) => (env[slot] as ArrayLike<number>).length,
      }),
    }));
    return [{ slot, a, is: adapter.test(a.kind), pick, rules, label }];
  });
  const derive = (d.derive ?? []).map(([n, e]) => [slotOf(n), expr(e)] as const);
  const rules = (phase: 'pre' | 'post') => (d.rules ?? []).filter((r) => (r.phase ?? 'post') === phase)
    .map((r) => ({ fail: expr(r.fail), msg: template(r.msg, r.dims ?? []) }));
  const pre = rules('pre'), post = rules('post');
  const indices = arrays.filter((p) => p.a.indices).map((p) => ({ p, bound: expr(p.a.indices!.bound) }));
  const w = d.winners;
  const winners = w && { when: expr(w.when), argmax: slotOf(w.argmax), ptr: slotOf(w.ptr), cols: slotOf(w.cols) };

  return (env) => {
    for (const [i, a] of scalars) {
      if (a.optional && env[i] === undefined) { env[i] = false; continue; } // a left-out optional bool
      checkScalar(K, a, env[i]);
    }
    for (const p of arrays) {
      const v = env[p.slot];
      if (p.a.nullable && (v === null || (p.a.optional && v === undefined))) { env[p.slot] = null; continue; }
      if (!p.is(v)) fail(K, `${p.label(env)} must be a ${adapter.expected(p.a.kind)}, got ${adapter.describe(v)}`);
      if (p.a.ptr) checkPtr(K, p.a.name, adapter.host(v));
    }
    for (const [i, f] of derive) env[i] = f(env);
    for (const r of pre) if (r.fail(env)) fail(K, r.msg(env));
    for (const p of arrays) {
      const v = env[p.slot] as ArrayLike<number> | null;
      const c = p.pick(env);
      if (v === null || c < 0) continue;
      const { rule, want, text } = p.rules[c];
      const n = want(env) as number;
      if (v.length === n) continue;
      if (text) fail(K, text(env));
      const dims = dimsText(rule.dims, env, slots, show);
      fail(K, `${p.label(env)} has ${v.length} elements, expected ${rule.formula ?? rule.expr} = ${n}${dims ? ` (${dims})` : ''}`);
    }
    for (const r of post) if (r.fail(env)) fail(K, r.msg(env));
    for (const { p, bound } of indices) checkIndices(K, p.a.name, adapter.host(env[p.slot]), bound(env) as number, p.a.indices!.boundName);
    if (winners && winners.when(env)) {
      checkWinners(K, (w as SegmentWinnersRule).argmax, adapter.host(env[winners.argmax]), adapter.host(env[winners.ptr]),
        env[winners.cols] as number, dimsText((w as SegmentWinnersRule).dims, env, slots, show));
    }
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
function checkPtr(K: string, name: string, ptr: ArrayLike<number>): void {
  if (ptr.length < 1) fail(K, `${name} has 0 elements, expected at least 1 (S+1 for S segments)`);
  if (ptr[0] !== 0) fail(K, `${name}[0] = ${ptr[0]}, expected 0 (${name} has ${ptr.length} elements)`);
  for (let s = 0; s + 1 < ptr.length; s++) {
    if (ptr[s + 1] < ptr[s]) {
      fail(K, `${name} is not non-decreasing: ${name}[${s}] = ${ptr[s]} > ${name}[${s + 1}] = ${ptr[s + 1]} (${name} has ${ptr.length} elements)`);
    }
  }
}

/** The winner of segment s must lie in its segment (-1 only for an empty one), or the gradient lands elsewhere. */
function checkWinners(K: string, name: string, argmax: ArrayLike<number>, ptr: ArrayLike<number>, cols: number, dims: string): void {
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
export type Validators = { [K in KernelName]: (...args: Parameters<Kernels[K]>) => void } & {
  setThreads(n: number): void;
  getThreads(): void;
};

/**
 * The validators of every kernel for one kind of array (the host's typed arrays by
 * default; the CUDA backend passes its device buffers' adapter).
 */
export function makeValidators(arrays: ArrayAdapter = HOST_ARRAYS): Validators {
  const v: Record<string, unknown> = {
    setThreads(n: number): void {
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) fail('setThreads', `n must be an integer >= 1, got ${String(n)}`);
    },
    getThreads(): void {},
  };
  for (const name of KERNEL_NAMES) {
    // The rest array is the call's Env: derived sizes are appended to it.
    const check = compileKernel(name, kernelDecl(name), arrays);
    v[name] = (...args: unknown[]) => check(args);
  }
  return v as Validators;
}

/**
 * The check of one kernel over its call's arguments as an array (`env`), which it
 * extends with the derived sizes, in the table's `derive` order: for a binding
 * that passes those sizes on to C itself (the WebAssembly backend).
 */
export function kernelCheck(name: KernelName, arrays: ArrayAdapter = HOST_ARRAYS): (env: unknown[]) => void {
  return compileKernel(name, kernelDecl(name), arrays);
}

/** `validate.<kernel>(...args)`: throws the kernel error on bad input (host typed arrays). */
export const validate: Validators = makeValidators();
