// Builds the page served by `gradformer web` (src/web/page/) into a folder with
// esbuild: main.js (+ the training worker train/worker.js and shared chunks, ESM,
// minified, with source maps), index.html, style.css, uPlot's stylesheet,
// the kernels' two builds (gradformer.wasm, gradformer-relaxed.wasm), the bundled MUTAG's TU text files with their list
// (data/MUTAG/, fetched by the Train tab from the page's own origin), the shipped
// models with their list (models/, for the Predict tab), and
// RDKit's MinimalLib (rdkit/, fetched by the Predict tab when first needed).
// Every URL inside is relative, so the folder works from any static host or subpath.
// Called by scripts/build-web.js into dist/web/page/ (built and replaced with dist/web/).
import { bundleForBrowser } from './bundle-browser.js';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The page's entry points (relative to src/web/page/): the page script and the Web Worker that trains. */
export const PAGE_ENTRIES = ['main.ts', 'train/worker.ts'];

/** Builds the page of the package at `root` into `out` (created; expected empty), with the wasm files given. */
export async function buildPage(root, out, wasmFiles) {
  const src = join(root, 'src', 'web', 'page');
  mkdirSync(out, { recursive: true });
  await bundleForBrowser({ entryPoints: PAGE_ENTRIES.map((e) => join(src, e)), outbase: src, outdir: out, chunkNames: 'chunks/[name]-[hash]' });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(src, f), join(out, f));
  // The charts are uPlot's (as the report's); its stylesheet beside the page's.
  copyFileSync(join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(out, 'uPlot.min.css'));
  for (const w of wasmFiles) copyFileSync(w, join(out, basename(w)));
  const mutag = join(root, 'data', 'MUTAG');
  mkdirSync(join(out, 'data', 'MUTAG'), { recursive: true });
  const files = readdirSync(mutag).filter((n) => n.endsWith('.txt')).sort();
  for (const f of files) copyFileSync(join(mutag, f), join(out, 'data', 'MUTAG', f));
  // The list the page fetches (a static host cannot list a folder).
  writeFileSync(join(out, 'data', 'MUTAG', 'index.json'), JSON.stringify(files));
  // The shipped models (models/<NAME>/: config.json, model.safetensors, about.json)
  // for the Predict tab, with the list it fetches.
  const models = join(root, 'models');
  const about = [];
  for (const name of existsSync(models) ? readdirSync(models).sort() : []) {
    if (!existsSync(join(models, name, 'about.json'))) continue;
    mkdirSync(join(out, 'models', name), { recursive: true });
    for (const f of ['config.json', 'model.safetensors', 'about.json']) copyFileSync(join(models, name, f), join(out, 'models', name, f));
    about.push(JSON.parse(readFileSync(join(models, name, 'about.json'), 'utf8')));
  }
  mkdirSync(join(out, 'models'), { recursive: true });
  writeFileSync(join(out, 'models', 'index.json'), JSON.stringify(about));
  // RDKit's MinimalLib for the Predict tab, served from the page's own origin and fetched only when a prediction is asked for.
  const rdkit = join(root, 'node_modules', '@rdkit', 'rdkit', 'dist');
  mkdirSync(join(out, 'rdkit'), { recursive: true });
  for (const f of ['RDKit_minimal.js', 'RDKit_minimal.wasm']) copyFileSync(join(rdkit, f), join(out, 'rdkit', f));
}
