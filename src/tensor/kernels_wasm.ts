/**
 * The WebAssembly backend: the C kernels of native/ compiled to wasm32 with
 * SIMD128 (scripts/build-wasm.js -> dist/wasm/gradformer.wasm, and
 * gradformer-relaxed.wasm with relaxed SIMD's fused multiply-add in the products,
 * for engines that run it: `wasmFileName` picks), bound to the
 * `Kernels` interface. Runs anywhere WebAssembly does (browsers, Node) and
 * imports nothing from Node: loading the module's bytes is the caller's job
 * (kernels_wasm_node.ts in Node, src/web/index.ts in a browser).
 *
 * Every kernel is bound by one generic loop over its declaration in the kernel
 * table (kernel_table.ts): the arguments are validated by the table's checks
 * (kernel_checks.ts, the TypeScript twin's messages word for word), the typed
 * arrays are copied into one reusable arena in the wasm heap (an array passed
 * twice, e.g. `out === a`, is copied once, so in-place calls stay in place; 'out'
 * arrays are not copied in, as C writes all of them), the C function named by the
 * table runs with its arguments in the table's C order, and what it wrote
 * ('out', 'inout') is copied back. Arrays that already live in this module's heap
 * (`WasmArray`, the wasm device's storage: device_wasm.ts) are passed by address
 * and neither copied in nor out. Single-threaded: setThreads only records the number.
 */
import type { Kernels } from './kernels.js';
import { HOST_ARRAYS, kernelCheck, validate, type ArrayAdapter } from './kernel_checks.js';
import { ARRAY_KINDS, cName, isArray, kernelDecl, KERNEL_NAMES, type ArrayArg, type KernelName, type ScalarArg } from './kernel_table.js';
import { WasmArray, WasmHeap } from './wasm_heap.js';

type Arr = Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** The exports the build gives (scripts/build-wasm.js). */
interface WasmExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  _initialize?: () => void;
  [fn: string]: unknown;
}

/** The two builds of the kernels (scripts/build-wasm.js): the same C for SIMD128, and for
 *  SIMD128 with relaxed SIMD, whose fused multiply-add makes the products 1.2x faster. */
export const WASM_FILES = { simd128: 'gradformer.wasm', relaxed: 'gradformer-relaxed.wasm' } as const;

// A module of one function, (v128, v128, v128) -> f32x4.relaxed_madd of them: valid where the engine runs relaxed SIMD.
const RELAXED_PROBE = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11);

/** Whether this engine runs relaxed SIMD (Chromium 114+, Node 22+; Node 20 with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

/** The build of the kernels this engine runs fastest: gradformer-relaxed.wasm where relaxed SIMD runs, else gradformer.wasm. */
export function wasmFileName(relaxed = relaxedSimdSupported()): string {
  return relaxed ? WASM_FILES.relaxed : WASM_FILES.simd128;
}

/** One C argument: a table argument (by its position in the JS call) or a derived size (by its slot after them). */
type CArg = { arg: number; decl: ArrayArg | ScalarArg } | { size: number };

const ALIGN = 16;

/**
 * Imports for the module: the kernels need none (the build links only pure
 * wasi-libc), but should a future build pull in a WASI call, it fails by name
 * when called instead of at instantiation.
 */
export function wasmImports(module: WebAssembly.Module): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') throw new Error(`kernels_wasm: the module imports ${imp.kind} ${imp.module}.${imp.name}, which no host here provides; rebuild it with npm run build:wasm`);
    (imports[imp.module] ??= {})[imp.name] = () => { throw new Error(`kernels_wasm: the kernels called ${imp.module}.${imp.name}, which is not provided`); };
  }
  return imports;
}

/** The wasm kernels, with the heap of their instance (where the wasm device keeps its arrays). */
export type WasmKernels = Kernels & { readonly heap: WasmHeap };

/**
 * What the kernels take: host typed arrays (copied) or arrays in this heap (by
 * address). Host arrays get the TypeScript twin's messages word for word.
 */
function heapArrays(heap: WasmHeap): ArrayAdapter {
  const inHeap = (v: unknown): v is WasmArray => v instanceof WasmArray && v.heap === heap && v.ptr !== 0;
  return {
    test: (kind) => { const host = HOST_ARRAYS.test(kind); return (v) => host(v) || (inHeap(v) && v.kind === kind); },
    expected: HOST_ARRAYS.expected,
    describe: (v) => (v instanceof WasmArray ? `a ${v.ptr === 0 ? 'freed ' : v.heap === heap ? '' : "other module's "}wasm ${ARRAY_KINDS[v.kind]}` : HOST_ARRAYS.describe(v)),
    host: (v) => (v instanceof WasmArray ? v.view() : v as ArrayLike<number>),
  };
}

/** Kernels over an instantiated gradformer.wasm (see `instantiateWasmKernels` for bytes). */
export function wasmKernels(instance: WebAssembly.Instance): WasmKernels {
  const X = instance.exports as unknown as WasmExports;
  if (!(X.memory instanceof WebAssembly.Memory) || typeof X.malloc !== 'function' || typeof X.free !== 'function') {
    throw new Error('kernels_wasm: the module exports no memory, malloc and free, so it is not gradformer.wasm; rebuild it with npm run build:wasm');
  }
  if (typeof X._initialize === 'function') X._initialize(); // reactor: runs the C constructors once
  const heap = new WasmHeap(X);
  const arrays = heapArrays(heap);
  let arena = 0, arenaBytes = 0;
  let threads = 1;
  // Scratch per call, reused: the distinct arrays, their offsets, whether C reads and writes them.
  const seen: Arr[] = [], offs: number[] = [], reads: boolean[] = [], writes: boolean[] = [];

  const bytesOf = (a: Arr): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

  function reserve(bytes: number, kernel: string): void {
    if (bytes <= arenaBytes) return;
    if (arena !== 0) heap.release(arena);
    // Grow by half again (fewer re-allocations as batches vary), within wasm32's 4 GiB.
    const want = Math.min(Math.max(bytes, Math.ceil(arenaBytes * 1.5), 1 << 16), 2 ** 32 - (1 << 16));
    arena = 0; arenaBytes = 0; // freed: should the allocation fail, no arena is left
    // More than wasm32 can address (bytes > want) is asked as such, for alloc to refuse with the message.
    arena = heap.alloc(bytes > want ? bytes : want, `${kernel}: the WebAssembly heap cannot give ${bytes} bytes for the call's arrays`);
    arenaBytes = want;
  }

  function bind(name: KernelName): (...args: unknown[]) => unknown {
    const decl = kernelDecl(name);
    const fnName = `gf_${cName(name)}`;
    const fn = X[fnName] as ((...a: unknown[]) => number) | undefined;
    if (typeof fn !== 'function') throw new Error(`kernels_wasm: the module has no ${fnName}; rebuild it with npm run build:wasm`);
    const derived = (decl.derive ?? []).map(([n]) => n);
    const plan: CArg[] = decl.c.map((c) => {
      const arg = decl.args.findIndex((a) => a.name === c);
      if (arg >= 0) return { arg, decl: decl.args[arg] };
      if (!derived.includes(c)) throw new Error(`kernels_wasm: ${name}'s C argument '${c}' is neither an argument nor a derived size in the kernel table`);
      return { size: decl.args.length + derived.indexOf(c) };
    });
    // The array arguments, with what C does to them.
    const arrayArgs = decl.args.map((a, i) => ({ i, a })).filter(({ a }) => isArray(a)) as { i: number; a: ArrayArg }[];
    // Checks the call and appends the derived sizes to the arguments (slots after them).
    const check = kernelCheck(name, arrays);
    const cargs: unknown[] = new Array(plan.length);

    return (...args: unknown[]) => {
      check(args);
      // Lay out every distinct host array once, 16-byte aligned (SIMD loads, float64 data).
      seen.length = 0; offs.length = 0; reads.length = 0; writes.length = 0;
      let total = 0;
      for (const { i, a: { io } } of arrayArgs) {
        const a = args[i] as Arr | WasmArray | null | undefined;
        if (a == null || a instanceof WasmArray) continue; // in the heap already
        const j = seen.indexOf(a);
        if (j >= 0) { reads[j] ||= io !== 'out'; writes[j] ||= io !== 'in'; continue; }
        seen.push(a); offs.push(total); reads.push(io !== 'out'); writes.push(io !== 'in');
        total += Math.ceil(a.byteLength / ALIGN) * ALIGN;
      }
      if (seen.length > 0) reserve(total, name);
      let h = heap.u8();
      for (let j = 0; j < seen.length; j++) if (reads[j]) h.set(bytesOf(seen[j]), arena + offs[j]);
      for (let c = 0; c < plan.length; c++) {
        const p = plan[c];
        if ('size' in p) { cargs[c] = BigInt(args[p.size] as number); continue; } // derived sizes are int64_t
        const v = args[p.arg];
        switch (p.decl.kind) {
          case 'size': cargs[c] = BigInt(v as number); break; // int64_t
          case 'bool': cargs[c] = v ? 1 : 0; break;
          case 'enum': cargs[c] = ((p.decl as ScalarArg).values as readonly unknown[]).indexOf(v); break;
          case 'number': case 'axis': cargs[c] = v; break;
          default: cargs[c] = v == null ? 0 : v instanceof WasmArray ? v.ptr : arena + offs[seen.indexOf(v as Arr)]; // an array
        }
      }
      const r = fn(...cargs);
      h = heap.u8(); // a kernel's own malloc may have grown (and so replaced) the memory
      for (let j = 0; j < seen.length; j++) {
        if (writes[j]) bytesOf(seen[j]).set(h.subarray(arena + offs[j], arena + offs[j] + seen[j].byteLength));
      }
      if (decl.returns === 'status' && r !== 0) throw new Error(`${name}: out of memory in the WebAssembly heap; use smaller batches`);
      return decl.returns === 'double' ? r : undefined;
    };
  }

  const K: Record<string, unknown> = {
    name: 'wasm',
    setThreads(n: number): void { validate.setThreads(n); threads = n; },
    getThreads(): number { return threads; },
  };
  for (const name of KERNEL_NAMES) K[name] = bind(name);
  K.heap = heap;
  return K as unknown as WasmKernels;
}

/** Compiles and instantiates gradformer.wasm from its bytes (async: browsers refuse large synchronous compiles). */
export async function instantiateWasmKernels(bytes: BufferSource): Promise<WasmKernels> {
  const module = await WebAssembly.compile(bytes);
  return wasmKernels(await WebAssembly.instantiate(module, wasmImports(module)));
}
