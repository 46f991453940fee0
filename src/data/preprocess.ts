/**
 * Per-dataset preprocessing: shortest-path distances and the positional
 * encoding of every graph, computed once and cached on disk.
 *
 * Cache key: sha256 over a format version, the versions of the algorithms
 * (src/data/pre_versions.ts: distances and the PE kind), the PE options and the
 * graph structure itself (node count and edge list of every graph, in order).
 * The distances and encodings depend on nothing else, so the key follows the
 * content whatever file or generator it came from, and an entry written by code
 * that computed other values is never read; hashing costs a few ms per million
 * edges, less than reading the files.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Graph, GraphPre } from '../graph/types.js';
import { makePeFunction, preprocessMany, type PeOptions } from './pre_compute.js';
import type { GraphDataset } from './dataset.js';
import { preprocessCacheDir, readPreCache, writePreCache } from './cache.js';
import { defaultCacheDir } from './registry.js';
import { cacheVersions, PRE_VERSIONS, type PreVersions } from './pre_versions.js';
import { checkKeys } from '../util/options.js';

export type { PeOptions } from './pre_compute.js';

/**
 * Options of preprocessDataset: the positional encoding, the cache and the worker
 * threads; an unknown key is an error.
 */
export interface PreprocessOptions {
  /** The positional encoding to compute. */
  pe: PeOptions;
  /** Cache root (default defaultCacheDir()); files go to <root>/preprocess/. */
  cacheDir?: string;
  /** Compute without reading or writing the cache. */
  noCache?: boolean;
  /** Progress callback; default: a line on stderr every ~3 s for long runs. false: silent. */
  progress?: false | ((done: number, total: number, seconds: number) => void);
  /**
   * Worker threads: a count, or 'auto' = min(cores, 8) above 2000 graphs.
   * Default 1 (no workers): a speedup could not be measured on the shared
   * 2-core development machine, so parallelism is opt-in.
   */
  workers?: number | 'auto';
  /** Algorithm versions the cache key is made with (default PRE_VERSIONS, the code's own; tests pass others). */
  versions?: Readonly<PreVersions>;
}

const VERSION = 'gradformer-pre-v1';

/** sha256 of the format version, the algorithm versions, the PE options and the structure of every graph. */
export function structureKey(graphs: Graph[], pe: PeOptions, versions: Readonly<PreVersions> = PRE_VERSIONS): string {
  const h = createHash('sha256');
  h.update(`${VERSION}|${JSON.stringify(cacheVersions(pe.kind, versions))}|${pe.kind}|${pe.dim}|${graphs.length}|`);
  const sizes = new Int32Array(2);
  for (const g of graphs) {
    sizes[0] = g.numNodes; sizes[1] = g.edgeIndex.length;
    h.update(new Uint8Array(sizes.buffer));
    h.update(new Uint8Array(g.edgeIndex.buffer, g.edgeIndex.byteOffset, g.edgeIndex.byteLength));
  }
  return h.digest('hex');
}

/** Relative cost of one graph (dense RWSE powers + BFS), to balance worker chunks. */
function cost(g: Graph): number {
  return g.numNodes * (g.numNodes + (g.edgeIndex.length >>> 1)) + 64;
}

/**
 * Compute distances and PE for the given graphs (no cache). With more than
 * one worker the graphs are cut into contiguous chunks of similar cost and
 * run in worker threads; results are identical to the single-thread path.
 */
export async function computePre(graphs: Graph[], pe: PeOptions, progress?: PreprocessOptions['progress'], label = 'graphs', workers: number | 'auto' = 1): Promise<GraphPre[]> {
  const peOf = await makePeFunction(pe); // validates options before any work
  const t0 = performance.now();
  let lastReport = t0, done = 0;
  const report = progress === undefined
    ? (d: number, t: number, s: number) => process.stderr.write(`preprocess ${label}: ${d}/${t} graphs, ${s.toFixed(1)} s\n`)
    : progress || null;
  const tick = (k: number) => {
    done += k;
    if (!report) return;
    const now = performance.now();
    if (now - lastReport > 3000) { lastReport = now; report(done, graphs.length, (now - t0) / 1000); }
  };
  const W = workers === 'auto' ? (graphs.length > 2000 ? Math.min(availableParallelism(), 8) : 1) : Math.max(1, Math.floor(workers));
  let out: GraphPre[] | null = null;
  if (W > 1 && graphs.length >= W) {
    try {
      out = await computeInWorkers(graphs, pe, W, tick);
    } catch (e) {
      if (!(e instanceof WorkerStartError)) throw e;
      process.stderr.write(`preprocess ${label}: worker threads unavailable (${e.message}); computing on one thread\n`);
    }
  }
  if (!out) out = preprocessMany(graphs, peOf, pe.dim, tick);
  if (report && performance.now() - t0 > 3000) report(graphs.length, graphs.length, (performance.now() - t0) / 1000);
  return out;
}

class WorkerStartError extends Error {}

/** Run contiguous chunks of similar cost in W worker threads. */
async function computeInWorkers(graphs: Graph[], pe: PeOptions, W: number, tick: (k: number) => void): Promise<GraphPre[]> {
  let total = 0;
  for (const g of graphs) total += cost(g);
  const bounds = [0];
  let acc = 0;
  for (let i = 0; i < graphs.length && bounds.length < W; i++) {
    acc += cost(graphs[i]);
    if (acc >= (total * bounds.length) / W) bounds.push(i + 1);
  }
  bounds.push(graphs.length);
  // The worker module next to this one: .ts under tsx (src/), .js when compiled (dist/src/).
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./pre_worker${ext}`, import.meta.url);
  const out: GraphPre[] = new Array(graphs.length);
  const pool: Worker[] = [];
  try {
    await Promise.all(bounds.slice(0, -1).map((lo, c) => new Promise<void>((resolve, reject) => {
      const hi = bounds[c + 1];
      if (hi <= lo) { resolve(); return; }
      let w: Worker;
      try {
        // Under tsx (src/*.ts) workers do not inherit its loader: register it first, then load the module.
        w = ext === '.ts'
          ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true })
          : new Worker(url);
      } catch (e) { reject(new WorkerStartError((e as Error).message)); return; }
      pool.push(w);
      let started = false;
      w.on('message', (m: { progress?: number; spd?: Uint16Array; pe?: Float32Array; error?: string }) => {
        started = true;
        if (m.error) { reject(new Error(`preprocess: ${m.error}`)); return; }
        if (m.progress) tick(m.progress);
        if (m.spd && m.pe) {
          let so = 0, po = 0;
          for (let i = lo; i < hi; i++) {
            const n = graphs[i].numNodes;
            out[i] = { spd: m.spd.subarray(so, so + n * n), pe: m.pe.subarray(po, po + n * pe.dim) };
            so += n * n; po += n * pe.dim;
          }
          resolve();
        }
      });
      w.on('error', (e) => reject(started ? e : new WorkerStartError(e.message)));
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`preprocess worker exited with code ${code}`)); });
      const numNodes = new Int32Array(hi - lo), edgePtr = new Int32Array(hi - lo + 1);
      for (let i = lo; i < hi; i++) { numNodes[i - lo] = graphs[i].numNodes; edgePtr[i - lo + 1] = edgePtr[i - lo] + graphs[i].edgeIndex.length; }
      const edges = new Int32Array(edgePtr[hi - lo]);
      for (let i = lo; i < hi; i++) edges.set(graphs[i].edgeIndex, edgePtr[i - lo]);
      w.postMessage({ pe, first: lo, numNodes, edgePtr, edges }, [numNodes.buffer, edgePtr.buffer, edges.buffer]);
    })));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}

/** Cache file path for a dataset and key. */
export function cacheFile(cacheRoot: string, name: string, pe: PeOptions, key: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(preprocessCacheDir(cacheRoot), `${safe}-${pe.kind}${pe.dim}-${key.slice(0, 20)}.gfpre`);
}

/**
 * Distances + PE for graphs outside a dataset (from SMILES, a one-off folder):
 * computed, silently, without reading or writing the cache. Same order as `graphs`.
 */
export function preprocessGraphs(graphs: Graph[], pe: PeOptions): Promise<GraphPre[]> {
  return computePre(graphs, pe, false);
}

/**
 * Distances + PE for every graph of the dataset (same order as ds.graphs):
 * from the cache when present, else computed and then cached.
 */
export async function preprocessDataset(ds: GraphDataset, opts: PreprocessOptions): Promise<GraphPre[]> {
  checkKeys('preprocessDataset', opts, ['pe', 'cacheDir', 'noCache', 'progress', 'workers', 'versions']);
  if (opts.noCache) return computePre(ds.graphs, opts.pe, opts.progress, ds.name, opts.workers);
  const versions = opts.versions ?? PRE_VERSIONS;
  const key = structureKey(ds.graphs, opts.pe, versions);
  const file = cacheFile(opts.cacheDir ?? defaultCacheDir(), ds.name, opts.pe, key);
  const sizes = Int32Array.from(ds.graphs, (g) => g.numNodes);
  const hit = readPreCache(file, key, sizes, opts.pe.dim);
  if (hit) return hit;
  const pre = await computePre(ds.graphs, opts.pe, opts.progress, ds.name, opts.workers);
  writePreCache(file, key, sizes, pre, opts.pe.dim, { peKind: opts.pe.kind, versions: cacheVersions(opts.pe.kind, versions) });
  return pre;
}
