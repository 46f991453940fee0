// The one esbuild configuration of the browser builds (gradformer/web and the page):
// ESM for browsers, minified, with source maps, split into chunks where code is
// imported on demand or shared between entries, and esbuild's metafile written as
// meta.json beside the output (read by the bundle tests: every input and import).
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bundles `entryPoints` into `outdir` (chunks named by `chunkNames`; `outbase` keeps entry paths). */
export async function bundleForBrowser({ entryPoints, outdir, chunkNames, outbase }) {
  const result = await build({
    entryPoints, outdir, chunkNames, ...(outbase ? { outbase } : {}),
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
}
