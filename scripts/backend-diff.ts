/**
 * Where do two kernel backends part? Runs a gradformer command on the native kernels while
 * every kernel call is repeated on another backend (wasm or ts) with copies of the same
 * inputs, then prints per kernel how many calls wrote different numbers and the largest
 * difference, next to the largest value among those that differ (so that one float32 ulp
 * there can be read off). Both backends always see identical inputs, so a difference is that kernel's own
 * rounding, never one inherited from earlier kernels. The command's own output is the
 * native one.
 *
 *   node --import tsx scripts/backend-diff.ts [--against wasm|ts] <gradformer command and options>
 *   e.g. node --import tsx scripts/backend-diff.ts predict --model ZINC --smiles c1ccccc1
 *
 * Native's dense products and attention round each multiply-add once (FMA), SIMD128 has
 * no FMA and rounds twice, so those two kernels differ by an ulp or two; the others match bit for bit.
 */
import type { Kernels } from '../src/tensor/kernels.js';
import { KERNEL_NAMES } from '../src/tensor/kernel_table.js';
import { useKernels } from '../src/tensor/backend.js';
import { loadNativeKernels } from '../src/tensor/kernels_native.js';
import { loadWasmKernels } from '../src/tensor/kernels_wasm_node.js';
import { tsKernels } from '../src/tensor/kernels_ts.js';

type Num = ArrayLike<number> & ArrayBufferView;
interface Diff { calls: number; differing: number; maxDiff: number; maxOut: number }

const argv = process.argv.slice(2);
let against = 'wasm';
if (argv[0] === '--against') { against = argv[1]; argv.splice(0, 2); }
if (against !== 'wasm' && against !== 'ts') {
  process.stderr.write(`backend-diff: --against takes 'wasm' or 'ts', not '${against}'\n`);
  process.exit(2);
}
const native = loadNativeKernels();
if (native === null) {
  process.stderr.write('backend-diff: the native addon is not built (npm run install)\n');
  process.exit(2);
}
const other: Kernels = against === 'wasm' ? loadWasmKernels() : tsKernels;

const isArray = (x: unknown): x is Num => ArrayBuffer.isView(x) && !(x instanceof DataView);
const diffs = new Map<string, Diff>();
const wrapped: Record<string, unknown> = { name: native.name };
for (const key of Object.keys(native) as (keyof Kernels)[]) {
  const f = native[key] as unknown;
  if (typeof f !== 'function') { wrapped[key] = f; continue; }
  const nf = f as (...a: unknown[]) => unknown, of = other[key] as unknown as (...a: unknown[]) => unknown;
  // Only the table's kernels have twins to compare (not the thread calls or the pool's zero-fill).
  if (!(KERNEL_NAMES as string[]).includes(key)) { wrapped[key] = nf.bind(native); continue; }
  wrapped[key] = (...args: unknown[]) => {
    const copies = args.map((a) => (isArray(a) ? (a as unknown as Float32Array).slice() : a));
    const got = of.apply(other, copies);
    const want = nf.apply(native, args);
    // element-wise families are told apart by their op ('binary add')
    const tag = typeof args[0] === 'string' ? `${key} ${args[0]}` : key;
    let d = diffs.get(tag);
    if (!d) diffs.set(tag, d = { calls: 0, differing: 0, maxDiff: 0, maxOut: 0 });
    d.calls++;
    let differs = typeof want === 'number' && !Object.is(want, got);
    args.forEach((a, i) => {
      if (!isArray(a)) return;
      const b = copies[i] as Num;
      for (let j = 0; j < a.length; j++) {
        if (Object.is(a[j], b[j])) continue;
        differs = true;
        d!.maxDiff = Math.max(d!.maxDiff, Math.abs(a[j] - b[j]));
        d!.maxOut = Math.max(d!.maxOut, Math.abs(a[j]));
      }
    });
    if (differs) d.differing++;
    return want;
  };
}
useKernels(wrapped as unknown as Kernels);
process.on('exit', () => {
  process.stderr.write(`\nbackend-diff: native vs ${against}, identical inputs per call\n`);
  process.stderr.write(`${'kernel'.padEnd(28)} ${'calls'.padStart(7)} ${'differ'.padStart(7)}  largest difference (largest |value| among those that differ)\n`);
  for (const [k, d] of [...diffs].sort((a, b) => b[1].maxDiff - a[1].maxDiff)) {
    const where = d.differing ? `${d.maxDiff.toExponential(2)} (${d.maxOut.toPrecision(4)})` : 'bit for bit';
    process.stderr.write(`${k.padEnd(28)} ${String(d.calls).padStart(7)} ${String(d.differing).padStart(7)}  ${where}\n`);
  }
});
process.argv = [process.argv[0], 'gradformer', ...argv];
await import('../src/cli/main.js');
