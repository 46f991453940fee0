// The browser bundle (gradformer/web, scripts/build-web.js): it builds, its sizes
// are printed (JS raw and gzip, wasm), no Node built-in is imported anywhere in
// it (esbuild's metafile lists every input and import), and it trains and
// predicts in a bare `vm` context, which has the JavaScript and WebAssembly
// built-ins and none of Node's (no process, require, Buffer, fs): the same bits
// as the same code run from the sources in Node, on the TypeScript and on the
// wasm kernels. Needs the wasm build (`npm run build:wasm`), as CI makes it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import * as web from '../src/web/index.js';
import { wasmPath } from '../src/tensor/kernels_wasm_node.js';

const dir = mkdtempSync(join(tmpdir(), 'gf-web-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const out = join(dir, 'web');
const built = spawnSync(process.execPath, ['scripts/build-web.js', out], { encoding: 'utf8' });

const BUILTINS = new Set(builtinModules);
/** Every place a Node built-in enters a bundle: "<input> imports <module>", or the input itself. */
function nodeImports(meta: Metafile): string[] {
  const isBuiltin = (p: string) => p.startsWith('node:') || BUILTINS.has(p) || BUILTINS.has(p.split('/')[0]);
  const found: string[] = [];
  for (const [input, info] of Object.entries(meta.inputs)) {
    if (isBuiltin(input)) found.push(input);
    for (const imp of info.imports) if (isBuiltin(imp.path)) found.push(`${input} imports ${imp.path}`);
  }
  return found;
}

/**
 * Trains one step and predicts with a small Gradformer on two graphs: run from
 * the sources in Node and, as its source text, inside the vm on the bundle.
 * Self-contained (no closure), plain JS after tsx strips the types.
 */
async function demo(GF: typeof web, wasm: Uint8Array | null): Promise<{ kernels: string; before: number[]; loss: number; after: number[]; reloaded: number[] }> {
  if (wasm) await GF.useWasmKernels(new Uint8Array(wasm));
  else GF.useKernels(GF.tsKernels);
  const ring = (n: number) => Int32Array.from([...Array.from({ length: n }, (_, i) => i), ...Array.from({ length: n }, (_, i) => (i + 1) % n)]);
  const both = (e: Int32Array) => { const E = e.length / 2; return Int32Array.from([...e.subarray(0, E), ...e.subarray(E), ...e.subarray(E), ...e.subarray(0, E)]); };
  const graph = (n: number, edges: Int32Array, label: number) => ({
    numNodes: n, edgeIndex: both(edges), nodeFeat: Float32Array.from({ length: n * 3 }, (_, i) => (i % 3 === i % n % 3 ? 1 : 0)),
    nodeCat: null, edgeFeat: null, edgeCat: null, y: Float32Array.of(label), nodeY: null,
  });
  const graphs = [graph(5, ring(5), 0), graph(4, Int32Array.of(0, 1, 2, 1, 2, 3), 1)];
  const peOf = await GF.makePeFunction({ kind: 'rwse', dim: 8 });
  const pre = graphs.map((g) => GF.preprocessOne(g.numNodes, g.edgeIndex, peOf, 8, new Int32Array(g.numNodes)));
  const batch = GF.collate(graphs, pre, [0, 1]);
  const config = {
    mpnn: 'GIN' as const, channels: 16, nhead: 4, num_layers: 2, gamma: 0.6, n_hop: 2, node_method: 'add' as const, pool: 'add' as const,
    projection: 'lin' as const, pe_origin_dim: 8, pe_dim: 8, attn_dropout: 0, node_dim: 3, num_tasks: 2, task: 'multi_class' as const,
  };
  const model = new GF.Gradformer(config, new GF.Rng(7));
  model.eval();
  const before = Array.from(GF.noGrad(() => model.forward(batch).out).data);
  model.train();
  const opt = new GF.Optimizer('adam', model.namedParameters(), { lr: 1e-2, weightDecay: 0 });
  model.zeroGrad();
  const lossT = GF.computeLoss('cross_entropy', model.forward(batch).out, batch, false);
  const loss = lossT.data[0];
  lossT.backward();
  opt.step();
  model.eval();
  const afterStep = Array.from(GF.noGrad(() => model.forward(batch).out).data);
  // The trained weights through safetensors bytes into a fresh model.
  const bytes = GF.serializeSafetensors(GF.stateTensors(model));
  const copy = new GF.Gradformer(config, new GF.Rng(99));
  GF.loadStateTensors(copy, GF.parseSafetensors(bytes, 'weights.safetensors').tensors, 'weights.safetensors');
  copy.eval();
  const reloaded = Array.from(GF.noGrad(() => copy.forward(batch).out).data);
  return { kernels: GF.kernels().name, before, loss, after: afterStep, reloaded };
}

describe('browser bundle (gradformer/web)', () => {
  it('builds, and its sizes are', (t) => {
    assert.equal(built.status, 0, built.stderr);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Metafile;
    const outputs = Object.entries(meta.outputs).filter(([p]) => p.endsWith('.js')).map(([p, o]) => ({ file: basename(p), o }));
    const entry = outputs.find((x) => x.o.entryPoint !== undefined);
    assert.ok(entry && entry.file === 'index.js', 'index.js is the entry');
    // Loaded with the page: the entry and what it imports statically; on demand: the dynamic imports.
    const eager = [entry.file, ...entry.o.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path))];
    const lazy = outputs.map((x) => x.file).filter((f) => !eager.includes(f));
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const size = (files: string[]) => {
      const bytes = files.map((f) => readFileSync(join(out, f)));
      return `${kb(bytes.reduce((a, b) => a + b.length, 0))} (gzip ${kb(bytes.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0))})`;
    };
    const line = `JS with the page ${size(eager)} [${eager.join(', ')}], on demand ${size(lazy)} [${lazy.join(', ')}], ` +
      `gradformer.wasm ${size(['gradformer.wasm'])}, gradformer-relaxed.wasm ${size(['gradformer-relaxed.wasm'])} (one of the two is loaded)`;
    t.diagnostic(line);
    console.log(`web bundle: ${line}`);
    // The page (`gradformer web`) ready to predict: index.html, what it links (stylesheets, main.js),
    // the chunks main.js imports statically, and the larger of the two wasm builds (a browser loads
    // one); RDKit (rdkit/, fetched on the first
    // prediction), the training worker and on-demand chunks apart.
    const page = join(out, 'page');
    const pageMeta = JSON.parse(readFileSync(join(page, 'meta.json'), 'utf8')) as Metafile;
    assert.deepEqual(nodeImports(pageMeta), [], 'the page imports no Node built-in');
    const main = Object.entries(pageMeta.outputs).find(([p]) => p.endsWith('/page/main.js'));
    assert.ok(main, 'page/main.js is built');
    const html = readFileSync(join(page, 'index.html'), 'utf8');
    const linked = [...html.matchAll(/<(?:link rel="stylesheet" href|script type="module" src)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(linked.includes('main.js'), 'index.html loads main.js');
    const gzOf = (f: string) => gzipSync(readFileSync(join(page, f)), { level: 9 }).length;
    const wasmFile = gzOf('gradformer.wasm') >= gzOf('gradformer-relaxed.wasm') ? 'gradformer.wasm' : 'gradformer-relaxed.wasm';
    const ready = ['index.html', ...linked, ...main[1].imports.filter((i) => i.kind === 'import-statement').map((i) => i.path.slice(i.path.lastIndexOf('/page/') + 6)), wasmFile];
    const gz = ready.reduce((a, f) => a + gzOf(f), 0);
    const rdkit = ['RDKit_minimal.js', 'RDKit_minimal.wasm'].reduce((a, f) => a + gzipSync(readFileSync(join(page, 'rdkit', f)), { level: 9 }).length, 0);
    // A shipped model (models/<NAME>/) is fetched when its button is clicked.
    const shipped = (JSON.parse(readFileSync(join(page, 'models', 'index.json'), 'utf8')) as { name: string }[]).map((m) => m.name);
    assert.deepEqual(shipped, ['ZINC', 'ogbg-molhiv'], 'the page lists the shipped models');
    const models = shipped.map((m) => `${m} ${size(['config.json', 'model.safetensors'].map((f) => join('page', 'models', m, f)))}`).join(', ');
    const pageLine = `page ready to predict (without RDKit) ${size(ready.map((f) => join('page', f)))} [${ready.join(', ')}]; RDKit on the first prediction gzip ${kb(rdkit)}; ` +
      `a shipped model when chosen: ${models}`;
    t.diagnostic(pageLine);
    console.log(`web bundle: ${pageLine}`);
    // The limit for the page ready to predict: under 1 MB compressed.
    assert.ok(gz < 1e6, `the page ready to predict is ${kb(gz)} compressed, over the 1 MB limit`);
  });

  it('imports no Node built-in (and the check finds one where there is)', async () => {
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Metafile;
    assert.ok(Object.keys(meta.inputs).some((p) => p.endsWith('src/models/gradformer.ts')), 'the metafile lists the model');
    assert.deepEqual(nodeImports(meta), []);
    // The check itself: the Node entry, bundled for Node, is full of built-ins.
    const nodeBuild = await build({ entryPoints: ['src/index.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', write: false, metafile: true, logLevel: 'silent' });
    assert.ok(nodeImports(nodeBuild.metafile).some((s) => s.includes('imports node:fs')), 'the Node entry imports node:fs');
  });

  it('a module that is not the kernels is refused, naming where it came from, and the kernels in use stay', async () => {
    web.useKernels(web.tsKernels);
    await assert.rejects(web.useWasmKernels(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)), /gradformer\/web: the given bytes is not a usable gradformer\.wasm \(kernels_wasm: the module exports no memory, malloc and free, so it is not gradformer\.wasm; rebuild it with npm run build:wasm\)$/);
    await assert.rejects(web.useWasmKernels('data:application/wasm;base64,AAAA'), /gradformer\/web: data:application\/wasm;base64,AAAA is not a usable gradformer\.wasm \(.+\); rebuild it with npm run build:wasm$/);
    assert.equal(web.kernels().name, 'ts');
  });

  const sources: [string, BuildOptions][] = [
    ['the bundle', { entryPoints: [join(out, 'index.js')] }],
    // What a bundler gets from the package's `module` condition: the unbundled ESM of dist/src/web/,
    // pruned by the package's sideEffects list (so a module it wrongly calls pure would be missing here).
    ['the unbundled ESM through the package\'s module entry', { stdin: { contents: "export * from 'gradformer/web';", resolveDir: process.cwd(), loader: 'js' } }],
  ];
  for (const [what, from] of sources) {
    it(`trains a step and predicts in a bare vm context from ${what}: the same bits as Node, TypeScript and wasm kernels`, async () => {
      // As a script the vm can run (one global, GF).
      const iife = await build({ ...from, bundle: true, format: 'iife', globalName: 'GF', platform: 'browser', write: false, logLevel: 'silent' });
      const context = vm.createContext({ TextEncoder, TextDecoder });
      assert.equal(vm.runInContext('typeof process + typeof require + typeof Buffer + typeof WebAssembly', context), 'undefinedundefinedundefinedobject');
      // tsx compiles `demo` with esbuild's keepNames, whose source text calls __name(fn, "name").
      vm.runInContext('var __name = (f) => f;', context);
      vm.runInContext(iife.outputFiles[0].text, context);
      const wasmBytes = readFileSync(wasmPath() ?? 'dist/wasm/gradformer.wasm');
      for (const wasm of [null, wasmBytes]) {
        context.wasm = wasm === null ? null : Array.from(wasm);
        const inVm = await (vm.runInContext(`(${demo.toString()})(GF, wasm && Uint8Array.from(wasm))`, context) as Promise<unknown>);
        const inNode = await demo(web, wasm);
        // Plain data out of the vm's realm, so deepEqual compares values, not prototypes.
        const got = JSON.parse(JSON.stringify(inVm)) as typeof inNode;
        assert.equal(got.kernels, wasm ? 'wasm' : 'ts');
        assert.deepEqual(got, JSON.parse(JSON.stringify(inNode)));
        assert.ok(got.loss > 0 && Number.isFinite(got.loss), `loss ${got.loss}`);
        assert.notDeepEqual(got.after, got.before, 'the step changed the predictions');
        assert.deepEqual(got.reloaded, got.after, 'weights survive safetensors bytes');
      }
      web.useKernels(web.tsKernels);
    });
  }

  it('tree-shakes: through the package\'s module entry a bundler keeps only what is imported', async (t) => {
    // A consumer's bundle (esbuild, minified, resolving 'gradformer/web' as a bundler does: the
    // `module` condition, the sideEffects list); the shipped bundle in one file keeps ~64 KiB for `accuracy`.
    const consumer = async (code: string) => (await build({ stdin: { contents: code, resolveDir: process.cwd(), loader: 'js' },
      bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' })).outputFiles[0].text;
    const metric = await consumer("import { accuracy } from 'gradformer/web'; console.log(accuracy);");
    const safetensors = await consumer("import { parseSafetensors } from 'gradformer/web'; console.log(parseSafetensors);");
    const model = await consumer("import { Gradformer, useWasmKernels } from 'gradformer/web'; console.log(Gradformer, useWasmKernels);");
    const whole = await consumer("import * as GF from 'gradformer/web'; console.log(GF);");
    const kb = (s: string) => `${(s.length / 1024).toFixed(1)} KiB`;
    const line = `consumer bundles: accuracy ${kb(metric)}, parseSafetensors ${kb(safetensors)}, Gradformer + useWasmKernels ${kb(model)}, everything ${kb(whole)}`;
    t.diagnostic(line);
    console.log(`web bundle: ${line}`);
    assert.ok(metric.length < 1024, `accuracy alone bundles to ${kb(metric)}`);
    assert.ok(safetensors.length < 4096, `parseSafetensors alone bundles to ${kb(safetensors)}`);
    for (const [name, code] of [['accuracy', metric], ['parseSafetensors', safetensors]]) {
      assert.doesNotMatch(code, /gradformer-relaxed\.wasm|softmax|decay/i, `${name}'s bundle keeps kernel or model code`);
    }
    assert.ok(model.length < whole.length, 'the model without the rest is smaller than everything');
    // The wasm builds sit beside the unbundled entry, where its new URL('./gradformer*.wasm', import.meta.url) points.
    for (const f of ['gradformer.wasm', 'gradformer-relaxed.wasm']) assert.ok(existsSync(join('dist', 'src', 'web', f)), `dist/src/web/${f} is missing (npm run build:wasm)`);
  });
});
