/**
 * The kernel table and what is generated from it: the committed C glue is what
 * scripts/gen-glue.ts makes of the table today, and every kernel's C call matches
 * its prototype in native/gf.h (argument count, pointers where the table passes
 * arrays), so a kernel added or changed in one place fails here, not at run time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateGlue, staleGlue } from '../scripts/gen-glue.js';
import { KERNEL_NAMES, cName, isArray, kernelDecl } from '../src/tensor/kernel_table.js';
import { parseExpr, exprIds } from '../src/tensor/kernel_expr.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';

/** Parameter lists of the gf_* (gfc_*) prototypes of a header, by function name. */
function prototypes(header = 'native/gf.h', prefix = 'gf_'): Map<string, string[]> {
  const text = readFileSync(header, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const out = new Map<string, string[]>();
  const re = new RegExp(`\\b(${prefix}[a-z0-9_]+)\\s*\\(([^)]*)\\)\\s*;`, 'g');
  for (const m of text.matchAll(re)) out.set(m[1], m[2].split(',').map((s) => s.trim()));
  return out;
}

describe('kernel table', () => {
  it('the committed native/gen files are what scripts/gen-glue.ts generates', () => {
    assert.deepEqual(staleGlue(), [], 'run: node --import tsx scripts/gen-glue.ts');
    assert.deepEqual(Object.keys(generateGlue()).sort(), ['native/gen/cuda_kernels.c', 'native/gen/napi_kernels.c']);
  });

  it("every kernel's C call has the arity and pointer positions of its gf.h prototype", () => {
    const protos = prototypes();
    for (const name of KERNEL_NAMES) {
      const d = kernelDecl(name);
      const params = protos.get(`gf_${cName(name)}`);
      assert.ok(params, `native/gf.h declares gf_${cName(name)}`);
      assert.equal(d.c.length, params.length, `${name}: ${d.c.length} C arguments, gf_${cName(name)} takes ${params.length}`);
      d.c.forEach((arg, i) => {
        const a = d.args.find((x) => x.name === arg);
        const isPtr = params[i].includes('*');
        assert.equal(a !== undefined && isArray(a), isPtr, `${name}: C argument ${i} '${arg}' vs '${params[i]}'`);
      });
    }
  });

  it('every kernel has its gfc_ twin in native/cuda/gfc.h: the same parameters, plus double *result where gf_ returns a double', () => {
    const gf = prototypes(), gfc = prototypes('native/cuda/gfc.h', 'gfc_');
    for (const name of KERNEL_NAMES) {
      const d = kernelDecl(name), c = cName(name);
      const want = [...(gf.get(`gf_${c}`) ?? []), ...(d.returns === 'double' ? ['double *result'] : [])];
      const got = gfc.get(`gfc_${c}`);
      assert.ok(got, `native/cuda/gfc.h declares gfc_${c}`);
      // Types only: 'const float *a' -> 'const float *'.
      const norm = (ps: string[]) => ps.map((p) => p.replace(/\s*\*\s*/g, ' * ').trim().split(/\s+/).slice(0, -1).join(' '));
      assert.deepEqual(norm(got), norm(want), `gfc_${c} parameter types`);
    }
  });

  it('every name an expression or C call uses is an argument or a derived size', () => {
    for (const name of KERNEL_NAMES) {
      const d = kernelDecl(name);
      const known = new Set([...d.args.map((a) => a.name), ...(d.derive ?? []).map(([n]) => n)]);
      const exprs = [...(d.derive ?? []).map(([, e]) => e), ...(d.rules ?? []).map((r) => r.fail),
        ...d.args.flatMap((a) => isArray(a) ? [...(a.len ? ('on' in a.len ? Object.values(a.len.cases) : [a.len]).map((l) => l.expr) : []),
          ...(a.indices ? [a.indices.bound] : [])] : [])];
      for (const e of exprs) for (const id of exprIds(parseExpr(e))) assert.ok(known.has(id), `${name}: '${id}' in '${e}'`);
      for (const c of d.c) assert.ok(known.has(c), `${name}: C argument '${c}'`);
    }
  });

  it('the table declares exactly the kernels of the TypeScript backend, with their arity', () => {
    const fns = Object.keys(tsKernels).filter((k) => typeof (tsKernels as unknown as Record<string, unknown>)[k] === 'function' && k !== 'setThreads' && k !== 'getThreads');
    assert.deepEqual([...fns].sort(), [...KERNEL_NAMES].sort());
    for (const name of KERNEL_NAMES) {
      const f = (tsKernels as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
      const optional = kernelDecl(name).args.filter((a) => a.optional).length; // trailing optional arrays and bools
      assert.equal(f.length + optional, kernelDecl(name).args.length, `${name}: ${f.length} parameters before defaults`);
    }
  });

  it('the expression language rejects what it cannot compile to C and TypeScript alike', () => {
    assert.throws(() => parseExpr('a ** b'), /kernel table: /);
    assert.throws(() => parseExpr('foo(x)'), /unknown function foo\(\)/);
    assert.throws(() => parseExpr('(a + b'), /expected \)/);
    assert.deepEqual(exprIds(parseExpr("op == 'max' && argmax == null || min(xRows, outRows) > 2*n")), ['op', 'argmax', 'xRows', 'outRows', 'n']);
  });
});
