/**
 * Per-dataset preprocessing: shortest-path distances and the positional
 * encoding of every graph, computed once and cached on disk.
 *
 * Cache key: sha256 over a format version, the PE options and the graph
 * structure itself (node count and edge list of every graph, in order). The
 * distances and encodings depend on nothing else, so the key follows the
 * content whatever file or generator it came from; hashing costs a few ms per
 * million edges, less than reading the files.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Graph, GraphPre } from '../graph/types.js';
import { shortestPathDistances } from '../graph/spd.js';
import { randomWalkPE } from '../graph/rwse.js';
import type { GraphDataset } from './dataset.js';
import { preprocessCacheDir, readPreCache, writePreCache } from './cache.js';
import { defaultCacheDir } from './registry.js';

export interface PeOptions { kind: 'rwse' | 'lappe'; dim: number }

export interface PreprocessOptions {
  pe: PeOptions;
  /** Cache root (default defaultCacheDir()); files go to <root>/preprocess/. */
  cacheDir?: string;
  /** Compute without reading or writing the cache. */
  noCache?: boolean;
  /** Progress callback; default: a line on stderr every ~3 s for long runs. false: silent. */
  progress?: false | ((done: number, total: number, seconds: number) => void);
}

const VERSION = 'gradformer-pre-v1';

/** sha256 of the version, the PE options and the structure of every graph. */
export function structureKey(graphs: Graph[], pe: PeOptions): string {
  const h = createHash('sha256');
  h.update(`${VERSION}|${pe.kind}|${pe.dim}|${graphs.length}|`);
  const sizes = new Int32Array(2);
  for (const g of graphs) {
    sizes[0] = g.numNodes; sizes[1] = g.edgeIndex.length;
    h.update(new Uint8Array(sizes.buffer));
    h.update(new Uint8Array(g.edgeIndex.buffer, g.edgeIndex.byteOffset, g.edgeIndex.byteLength));
  }
  return h.digest('hex');
}

type PeFn = (g: Graph) => Float32Array;

async function peFunction(pe: PeOptions): Promise<PeFn> {
  if (!Number.isInteger(pe.dim) || pe.dim < 1) throw new Error(`preprocess: PE dimension must be a positive integer, got ${pe.dim}`);
  if (pe.kind === 'rwse') return (g) => randomWalkPE(g.numNodes, g.edgeIndex, pe.dim);
  if (pe.kind === 'lappe') {
    const spec = '../graph/lappe.js'; // written separately; variable specifier so this file type-checks without it
    let mod: { lapPE?: (g: Graph, k: number) => Float32Array };
    try { mod = await import(spec); } catch (e) {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new Error('preprocess: LapPE is not available in this build (src/graph/lappe.ts is missing); use pe kind rwse');
      throw e;
    }
    if (typeof mod.lapPE !== 'function') throw new Error('preprocess: src/graph/lappe.ts does not export lapPE(graph, k)');
    const f = mod.lapPE;
    return (g) => f(g, pe.dim);
  }
  throw new Error(`preprocess: unknown PE kind "${(pe as PeOptions).kind}" (expected rwse or lappe)`);
}

/** Compute distances and PE for the given graphs (no cache). */
export async function computePre(graphs: Graph[], pe: PeOptions, progress?: PreprocessOptions['progress'], label = 'graphs'): Promise<GraphPre[]> {
  const peOf = await peFunction(pe);
  const out: GraphPre[] = new Array(graphs.length);
  let maxN = 0;
  for (const g of graphs) if (g.numNodes > maxN) maxN = g.numNodes;
  const queue = new Int32Array(maxN);
  const t0 = performance.now();
  let lastReport = t0;
  const report = progress === undefined
    ? (d: number, t: number, s: number) => process.stderr.write(`preprocess ${label}: ${d}/${t} graphs, ${s.toFixed(1)} s\n`)
    : progress || null;
  for (let i = 0; i < graphs.length; i++) {
    const g = graphs[i];
    const p = peOf(g);
    if (p.length !== g.numNodes * pe.dim) throw new Error(`preprocess: PE of graph ${i} has ${p.length} values, expected ${g.numNodes}*${pe.dim}`);
    out[i] = { spd: shortestPathDistances(g.numNodes, g.edgeIndex, queue), pe: p };
    if (report && (i & 63) === 63) {
      const now = performance.now();
      if (now - lastReport > 3000) { lastReport = now; report(i + 1, graphs.length, (now - t0) / 1000); }
    }
  }
  if (report && performance.now() - t0 > 3000) report(graphs.length, graphs.length, (performance.now() - t0) / 1000);
  return out;
}

/** Cache file path for a dataset and key. */
export function cacheFile(cacheRoot: string, name: string, pe: PeOptions, key: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(preprocessCacheDir(cacheRoot), `${safe}-${pe.kind}${pe.dim}-${key.slice(0, 20)}.gfpre`);
}

/**
 * Distances + PE for every graph of the dataset (same order as ds.graphs):
 * from the cache when present, else computed and then cached.
 */
export async function preprocessDataset(ds: GraphDataset, opts: PreprocessOptions): Promise<GraphPre[]> {
  if (opts.noCache) return computePre(ds.graphs, opts.pe, opts.progress, ds.name);
  const key = structureKey(ds.graphs, opts.pe);
  const file = cacheFile(opts.cacheDir ?? defaultCacheDir(), ds.name, opts.pe, key);
  const sizes = Int32Array.from(ds.graphs, (g) => g.numNodes);
  const hit = readPreCache(file, key, sizes, opts.pe.dim);
  if (hit) return hit;
  const pre = await computePre(ds.graphs, opts.pe, opts.progress, ds.name);
  writePreCache(file, key, sizes, pre, opts.pe.dim);
  return pre;
}
