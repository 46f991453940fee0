/**
 * Generates the C glue of the compiled backends from the kernel table
 * (src/tensor/kernel_table.ts), so argument checks and unpacking are never
 * written by hand again:
 *   native/gen/napi_kernels.c   Node-API functions over typed arrays, calling gf_* (native/gf.h)
 *   native/gen/cuda_kernels.c   Node-API functions over CUDA buffers, calling gfc_* (native/cuda/gfc.h)
 * Each function checks its arguments in the order and words of
 * src/tensor/kernel_checks.ts, then calls the C kernel. The two targets differ
 * only in how an array argument is fetched (a typed array, or a device buffer
 * whose index data is read through a host mirror) and in how the call reports.
 *
 *   node --import tsx scripts/gen-glue.ts          rewrite the files
 *   node --import tsx scripts/gen-glue.ts --check  exit 1 when a committed file is stale
 * test/kernel_glue.test.ts runs the check.
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Expr, parseExpr, splitTemplate } from '../src/tensor/kernel_expr.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import {
  ENUMS, KERNEL_NAMES, cName, isArray, kernelDecl,
  type ArrayArg, type ArrayKind, type KernelDecl, type KernelName, type LenRule, type ScalarArg,
} from '../src/tensor/kernel_table.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const C_TYPE: Record<ArrayKind, string> = { f32: 'float', f64: 'double', i32: 'int32_t', u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t' };
const NAPI_TYPE: Record<ArrayKind, string> = {
  f32: 'napi_float32_array', f64: 'napi_float64_array', i32: 'napi_int32_array', u8: 'napi_uint8_array', u16: 'napi_uint16_array', u32: 'napi_uint32_array',
};

/** C string literal. */
const q = (s: string) => JSON.stringify(s);
/** Text for a printf format. */
const fmtLit = (s: string) => s.replace(/%/g, '%%');

type CType = 'i64' | 'f64' | 'bool' | 'enum' | 'str' | 'arr' | 'null';
interface CExpr { code: string; type: CType; enumValues?: readonly string[] }

/** Which glue: typed arrays and gf_* (CPU addon), or device buffers and gfc_* (CUDA addon). */
type Target = 'napi' | 'cuda';

/** Arrays whose elements the checks read on the host (ptr arrays, index arrays, last()/sumsq() arguments). */
function hostRead(d: KernelDecl): Set<string> {
  const names = new Set<string>();
  const walk = (e: Expr): void => {
    if (e.t === 'call') {
      if ((e.fn === 'last' || e.fn === 'sumsq') && e.args[0].t === 'id') names.add(e.args[0].name);
      e.args.forEach(walk);
    } else if (e.t === 'not' || e.t === 'neg') walk(e.e);
    else if (e.t === 'bin') { walk(e.l); walk(e.r); }
  };
  for (const [, e] of d.derive ?? []) walk(parseExpr(e));
  for (const r of d.rules ?? []) { walk(parseExpr(r.fail)); }
  for (const a of d.args) if (isArray(a) && (a.ptr || a.indices)) names.add(a.name);
  if (d.winners) { names.add(d.winners.argmax); names.add(d.winners.ptr); }
  return names;
}

/** One kernel's C function: the emitter keeps the types of its names. */
class KernelEmitter {
  readonly lines: string[] = [];
  private readonly types = new Map<string, { type: CType; arg?: ScalarArg | ArrayArg }>();
  private readonly d: KernelDecl;

  constructor(readonly name: KernelName, readonly target: Target) {
    this.d = kernelDecl(name);
    for (const a of this.d.args) {
      if (isArray(a)) this.types.set(a.name, { type: 'arr', arg: a });
      else this.types.set(a.name, { type: a.kind === 'number' ? 'f64' : a.kind === 'bool' ? 'bool' : a.kind === 'enum' ? 'enum' : 'i64', arg: a });
    }
    for (const [n] of this.d.derive ?? []) this.types.set(n, { type: 'i64' });
  }

  private varOf(name: string): string {
    const t = this.types.get(name);
    if (!t) throw new Error(`gen-glue: ${this.name}: unknown name '${name}'`);
    if (t.type === 'arr') return `p_${name}`;
    if (!t.arg) return `v_${name}`;
    return { i64: 's_', f64: 'd_', bool: 'b_', enum: 'e_' }[t.type as 'i64'] + name;
  }

  /** C code of an expression, with its type. `u128`: every integer widened (length products). */
  expr(e: Expr, u128 = false): CExpr {
    switch (e.t) {
      case 'num': return { code: u128 ? `(u128)${e.v}` : `INT64_C(${e.v})`, type: 'i64' };
      case 'str': return { code: q(e.v), type: 'str' };
      case 'bool': return { code: e.v ? '1' : '0', type: 'bool' };
      case 'null': return { code: 'NULL', type: 'null' };
      case 'id': {
        const t = this.types.get(e.name);
        if (!t) throw new Error(`gen-glue: ${this.name}: unknown name '${e.name}'`);
        const v = this.varOf(e.name);
        if (t.type === 'enum') return { code: v, type: 'enum', enumValues: (t.arg as ScalarArg).values };
        return { code: u128 && t.type === 'i64' ? `(u128)${v}` : v, type: t.type };
      }
      case 'not': return { code: `!(${this.expr(e.e).code})`, type: 'bool' };
      case 'neg': { const x = this.expr(e.e, u128); return { code: `-(${x.code})`, type: x.type }; }
      case 'call': {
        const a = e.args[0];
        const arr = () => { if (a.t !== 'id') throw new Error(`gen-glue: ${e.fn}() takes an array name`); return a.name; };
        const w = (code: string): CExpr => ({ code: u128 ? `(u128)${code}` : code, type: 'i64' });
        switch (e.fn) {
          case 'len': return w(`(int64_t)l_${arr()}`);
          case 'last': return w(`(int64_t)hp_${arr()}[l_${arr()} - 1]`);
          case 'sumsq': return w(`gfx_sumsq(hp_${arr()}, l_${arr()})`);
          case 'min': return w(`gfx_min64(${this.expr(e.args[0]).code}, ${this.expr(e.args[1]).code})`);
          case 'isint': return { code: `gfx_isint((double)(${this.expr(a).code}))`, type: 'bool' };
        }
        break;
      }
      case 'bin': {
        const l = this.expr(e.l, u128), r = this.expr(e.r, u128);
        if (e.op === '==' || e.op === '!=') {
          const neg = e.op === '!=';
          if (l.type === 'arr' || r.type === 'arr') {
            const a = l.type === 'arr' ? l : r, o = l.type === 'arr' ? r : l;
            if (o.type !== 'null') throw new Error(`gen-glue: ${this.name}: an array compares only with null`);
            return { code: `${neg ? '' : '!'}h_${a.code.slice(2)}`, type: 'bool' };
          }
          if (l.type === 'enum' || r.type === 'enum') {
            const en = l.type === 'enum' ? l : r, s = l.type === 'enum' ? e.r : e.l;
            if (s.t !== 'str') throw new Error(`gen-glue: ${this.name}: an enum compares only with a 'string'`);
            const idx = (en.enumValues ?? []).indexOf(s.v);
            if (idx < 0) throw new Error(`gen-glue: ${this.name}: '${s.v}' is not a value of ${en.code}`);
            return { code: `(${en.code} ${e.op} ${idx})`, type: 'bool' };
          }
          return { code: `(${l.code} ${e.op} ${r.code})`, type: 'bool' };
        }
        if (e.op === '&&' || e.op === '||') return { code: `(${l.code} ${e.op} ${r.code})`, type: 'bool' };
        if (['<', '<=', '>', '>='].includes(e.op)) return { code: `(${l.code} ${e.op} ${r.code})`, type: 'bool' };
        const type: CType = l.type === 'f64' || r.type === 'f64' ? 'f64' : 'i64';
        return { code: `(${l.code} ${e.op} ${r.code})`, type };
      }
    }
    throw new Error(`gen-glue: ${this.name}: cannot emit ${JSON.stringify(e)}`);
  }

  /** A printf format and its arguments for a message template of the table. */
  template(tpl: string, dims: readonly string[], extra: Record<string, [string, string]> = {}): [string, string[]] {
    let fmt = '';
    const args: string[] = [];
    splitTemplate(tpl).forEach((p, i) => {
      if (i % 2 === 0) { fmt += fmtLit(p); return; }
      if (p === 'dims') { const [f, a] = this.dims(dims); fmt += f; args.push(...a); return; }
      if (extra[p]) { fmt += extra[p][0]; args.push(extra[p][1]); return; }
      const x = this.expr(parseExpr(p));
      switch (x.type) {
        case 'i64': fmt += '%lld'; args.push(`(long long)${x.code}`); break;
        case 'f64': fmt += '%s'; args.push(`JS(${x.code})`); break;
        case 'bool': fmt += '%s'; args.push(`(${x.code}) ? "true" : "false"`); break;
        case 'enum': fmt += '%s'; args.push(`${enumTable(x.enumValues ?? [])}[${x.code}]`); break;
        default: throw new Error(`gen-glue: ${this.name}: cannot print {${p}}`);
      }
    });
    return [fmt, args];
  }

  /** "rows=%lld, cols=%lld" for named sizes. */
  dims(names: readonly string[]): [string, string[]] {
    const show = this.d.show ?? {};
    return [names.map((n) => `${fmtLit(show[n] ?? n)}=%lld`).join(', '), names.map((n) => `(long long)${this.expr(parseExpr(n)).code}`)];
  }

  private failIf(cond: string, fmt: string, args: string[]): void {
    this.lines.push(`  if (${cond}) { fail(&C, ${[q(fmt), ...args].join(', ')}); return NULL; }`);
  }

  /** The C condition under which a switch case applies. */
  private caseCond(on: string, key: string): string {
    const t = this.types.get(on);
    if (!t || !t.arg) throw new Error(`gen-glue: ${this.name}: switch on unknown '${on}'`);
    const v = this.varOf(on);
    if (t.type === 'bool') return key === 'true' ? v : `!${v}`;
    if (t.type === 'enum') return `${v} == ${((t.arg as ScalarArg).values ?? []).indexOf(key)}`;
    return `${v} == ${Number(key)}`;
  }

  /** C expression of an array's message name (labels may depend on enums and flags). */
  private label(a: ArrayArg): string {
    if (a.len && 'on' in a.len) {
      const sw = a.len;
      const withLabel = Object.entries(sw.cases).filter(([, c]) => c.label);
      if (withLabel.length) {
        return withLabel.reduceRight((acc, [k, c]) => `(${this.caseCond(sw.on, k)} ? ${q(c.label as string)} : ${acc})`, q(a.label ?? a.name));
      }
    }
    return a.label && a.label.includes('{') ? `lab_${a.name}` : q(a.label ?? a.name);
  }

  emit(): string {
    const d = this.d, L = this.lines;
    const nopt = [...d.args].reverse().findIndex((a) => !a.optional);
    L.push(`static napi_value K_${this.name}(napi_env env, napi_callback_info info) {`);
    L.push(`  BEGIN_OPT(${q(this.name)}, ${d.args.length}, ${nopt < 0 ? d.args.length : nopt});`);
    // 1. scalars, in argument order
    d.args.forEach((a, i) => {
      if (isArray(a)) return;
      const nm = q(a.label ?? a.name);
      switch (a.kind) {
        case 'size': L.push(`  int64_t s_${a.name} = arg_size(&C, ${i}, ${nm});`); break;
        case 'axis': L.push(`  int64_t s_${a.name} = arg_axis(&C, ${i}, ${nm});`); break;
        case 'number': L.push(`  double d_${a.name} = arg_num(&C, ${i}, ${nm});`); break;
        case 'bool': L.push(`  int b_${a.name} = ${a.optional ? 'arg_bool_opt' : 'arg_bool'}(&C, ${i}, ${nm});`); break;
        case 'enum': L.push(`  int e_${a.name} = arg_enum(&C, ${i}, ${nm}, ${enumTable(a.values ?? [])}, ${(a.values ?? []).length});`); break;
      }
      L.push('  CK;');
    });
    // 2. array types (labels first: they may name an enum value), ptr arrays
    for (const a of d.args.filter(isArray)) {
      if (a.label && a.label.includes('{')) {
        const [f, args] = this.template(a.label, []);
        L.push(`  char lab_${a.name}[64];`, `  snprintf(${[`lab_${a.name}`, `sizeof lab_${a.name}`, q(f), ...args].join(', ')});`);
      }
    }
    const host = hostRead(d);
    d.args.forEach((a, i) => {
      if (!isArray(a)) return;
      const T = C_TYPE[a.kind], flags = `${NAPI_TYPE[a.kind]}, ${a.nullable ? 1 : 0}, ${a.optional ? 1 : 0}`;
      L.push(`  size_t l_${a.name};`, `  int h_${a.name};`);
      if (this.target === 'napi') {
        L.push(`  ${T} *p_${a.name} = (${T} *)arg_array(&C, ${i}, ${this.label(a)}, ${flags}, &l_${a.name}, &h_${a.name});`);
        L.push(`  (void)h_${a.name};`, '  CK;');
        if (host.has(a.name)) L.push(`  const ${T} *hp_${a.name} = p_${a.name};`);
      } else {
        L.push(`  GfcBuf *d_${a.name} = arg_dev(&C, ${i}, ${this.label(a)}, ${flags}, &l_${a.name}, &h_${a.name});`);
        L.push(`  ${T} *p_${a.name} = d_${a.name} ? (${T} *)d_${a.name}->p : NULL;`, `  (void)h_${a.name};`, '  CK;');
        // Index data is checked on the host: the mirror kept at upload, else one download.
        if (host.has(a.name)) L.push(`  const ${T} *hp_${a.name} = h_${a.name} ? (const ${T} *)dev_host(&C, d_${a.name}) : NULL;`, '  CK;');
      }
      if (a.ptr) L.push(`  check_ptr(&C, ${q(a.name)}, hp_${a.name}, l_${a.name});`, '  CK;');
    });
    // 3. derived sizes
    for (const [n, e] of d.derive ?? []) L.push(`  int64_t v_${n} = ${this.expr(parseExpr(e)).code};`, `  (void)v_${n};`);
    // 4. pre rules, 5. lengths, 6. post rules
    const rules = (phase: 'pre' | 'post') => {
      for (const r of (d.rules ?? []).filter((r) => (r.phase ?? 'post') === phase)) {
        const [f, args] = this.template(r.msg, r.dims ?? []);
        this.failIf(this.expr(parseExpr(r.fail)).code, f, args);
      }
    };
    rules('pre');
    for (const a of d.args.filter(isArray)) {
      if (!a.len) continue;
      const cases: [string | null, LenRule][] = 'on' in a.len ? Object.entries(a.len.cases) : [[null, a.len]];
      const sw = 'on' in a.len ? a.len.on : '';
      cases.forEach(([key, rule], ci) => {
        const guard = key === null ? `h_${a.name}` : `h_${a.name} && ${this.caseCond(sw, key)}`;
        const want = this.expr(parseExpr(rule.expr), true).code;
        const lab = rule.label ? q(rule.label) : this.label(a);
        L.push(`  ${ci ? 'else ' : ''}if (${guard}) {`);
        if (rule.text) {
          const [f, args] = this.template(rule.text, rule.dims, { name: ['%s', lab], len: ['%zu', `l_${a.name}`] });
          L.push(`    if ((u128)l_${a.name} != ${want}) { fail(${[`&C`, q(f), ...args].join(', ')}); return NULL; }`);
        } else {
          // The dims text is built only on a mismatch: this runs on every kernel call.
          const [f, args] = this.dims(rule.dims);
          L.push(`    u128 want = ${want};`, `    if ((u128)l_${a.name} != want) {`);
          L.push(`      char dims[200];`, `      snprintf(${['dims', 'sizeof dims', q(f), ...args].join(', ')});`);
          L.push(`      expect_len(&C, ${lab}, l_${a.name}, want, ${q(rule.formula ?? rule.expr)}, dims);`, '    }');
        }
        L.push('  }');
      });
      L.push('  CK;');
    }
    rules('post');
    // 7. index ranges, segment winners
    for (const a of d.args.filter(isArray)) {
      if (!a.indices) continue;
      if (a.kind !== 'i32' && a.kind !== 'u16') throw new Error(`gen-glue: ${this.name}.${a.name}: indices must be i32 or u16`);
      L.push(`  check_indices_${a.kind}(&C, ${q(a.name)}, hp_${a.name}, l_${a.name}, ${this.expr(parseExpr(a.indices.bound)).code}, ${q(a.indices.boundName)});`);
      L.push('  CK;');
    }
    if (d.winners) {
      const w = d.winners;
      const [f, args] = this.dims(w.dims);
      L.push(`  if (${this.expr(parseExpr(w.when)).code}) {`, '    char dims[200];', `    snprintf(${['dims', 'sizeof dims', q(f), ...args].join(', ')});`);
      L.push(`    check_winners(&C, ${q(w.argmax)}, hp_${w.argmax}, hp_${w.ptr}, l_${w.ptr}, ${this.expr(parseExpr(w.cols)).code}, dims);`, '  }', '  CK;');
    }
    // 8. the call
    const cargs = d.c.map((n) => this.varOf(n));
    if (this.target === 'napi') {
      const call = `gf_${cName(this.name)}(${cargs.join(', ')})`;
      if (d.returns === 'void') L.push(`  ${call};`, '  return NULL;');
      else if (d.returns === 'status') L.push(`  if (${call} != 0) return oom(&C);`, '  return NULL;');
      else L.push(`  return num(env, ${call});`);
    } else {
      // Every gfc_ call returns a status; a double result comes back through a last pointer.
      if (d.returns === 'double') L.push('  double result = 0;', '  (void)result;');
      const call = `gfc_${cName(this.name)}(${[...cargs, ...(d.returns === 'double' ? ['&result'] : [])].join(', ')})`;
      L.push(`  int rc = ${call};`);
      // What the device wrote, its host mirror no longer shows.
      for (const a of d.args.filter(isArray)) if (a.io !== 'in') L.push(`  dev_touch(d_${a.name});`);
      L.push('  if (rc != 0) return dev_fail(&C);');
      L.push(d.returns === 'double' ? '  return num(env, result);' : '  return NULL;');
    }
    L.push('}');
    return L.join('\n');
  }
}

/** Name of the C table of an enum's values (ENUMS of kernel_table.ts). */
function enumTable(values: readonly string[]): string {
  const hit = Object.entries(ENUMS).find(([, v]) => v.join() === values.join());
  if (!hit) throw new Error(`gen-glue: enum [${values.join(', ')}] is not in ENUMS`);
  return `ENUM_${hit[0]}`;
}

const HEADER = (what: string) => `/*
 * GENERATED by scripts/gen-glue.ts from src/tensor/kernel_table.ts: do not edit.
 * ${what}
 * Regenerate with \`node --import tsx scripts/gen-glue.ts\`; test/kernel_glue.test.ts checks it is current.
 */`;

/** The Node-API glue of one addon: the CPU one (typed arrays, gf_*) or the CUDA one (device buffers, gfc_*). */
function glue(target: Target): string {
  const out = target === 'napi'
    ? [HEADER('Node-API functions over typed arrays: argument checks (kernel_checks.ts wording), then gf_* of native/gf.h.'),
      '#include "../napi_check.h"', '#include "../gf.h"', '']
    : [HEADER('Node-API functions over CUDA buffers: argument checks (kernel_checks.ts wording), then gfc_* of native/cuda/gfc.h.'),
      '#include "../cuda_glue.h"', '#include "../cuda/gfc.h"', ''];
  for (const [k, v] of Object.entries(ENUMS)) out.push(`static const char *const ENUM_${k}[] = {${v.map(q).join(', ')}};`);
  out.push('');
  for (const name of KERNEL_NAMES) out.push(new KernelEmitter(name, target).emit(), '');
  out.push('/* Adds every kernel of the table to `exports`. */',
    `napi_status ${target === 'napi' ? 'gf' : 'gfc'}_define_kernels(napi_env env, napi_value exports) {`,
    '  napi_property_descriptor d[] = {',
    ...KERNEL_NAMES.map((n) => `      {${q(n)}, NULL, K_${n}, NULL, NULL, NULL, napi_enumerable, NULL},`),
    '  };',
    '  return napi_define_properties(env, exports, sizeof d / sizeof *d, d);',
    '}', '');
  return out.join('\n');
}

/** Every generated file, by path relative to the repository root. */
export function generateGlue(): Record<string, string> {
  return { 'native/gen/napi_kernels.c': glue('napi'), 'native/gen/cuda_kernels.c': glue('cuda') };
}

/** Paths whose committed content differs from what the table generates. */
export function staleGlue(): string[] {
  return Object.entries(generateGlue()).filter(([p, text]) => {
    try { return readFileSync(resolve(ROOT, p), 'utf8') !== text; } catch { return true; }
  }).map(([p]) => p);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleGlue();
    if (stale.length) {
      console.error(`gen-glue: ${stale.join(', ')} out of date with src/tensor/kernel_table.ts; run node --import tsx scripts/gen-glue.ts`);
      process.exit(1);
    }
  } else {
    for (const [p, text] of Object.entries(generateGlue())) {
      mkdirSync(dirname(resolve(ROOT, p)), { recursive: true });
      writeFileAtomic(resolve(ROOT, p), text);
      console.log(`wrote ${p}`);
    }
  }
}

