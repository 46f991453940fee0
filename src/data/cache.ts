/**
 * On-disk cache of per-dataset preprocessing (distances + PE), one binary file
 * per (graph structure, PE options):
 *
 *   "GFPRE001" | u32 JSON length | JSON {key, numGraphs, peDim, nodes, spd, peKind, versions} | pad to 8
 *   | Int32 numNodes[G] | pad 8 | Float32 pe[sum n*peDim] | pad 8 | Uint16 spd[sum n^2]
 *
 * Written to a temporary name and renamed into place, so a reader never sees a
 * partial file; an unreadable or mismatching file is ignored (recomputed).
 * `versions` (the algorithm versions, src/data/pre_versions.ts) is also part of
 * the key; it is stored in the header so that `gradformer cache --clean` can tell
 * entries of other versions without recomputing anything. Files written before
 * versions existed have none in their header.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphPre } from '../graph/types.js';
import { defaultCacheDir } from './registry.js';
import { cacheVersions, PRE_VERSIONS } from './pre_versions.js';

const MAGIC = 'GFPRE001';
const pad8 = (x: number) => (x + 7) & ~7;

/** Folder of the preprocessing cache files under a cache root. */
export function preprocessCacheDir(cacheRoot: string): string {
  return join(cacheRoot, 'preprocess');
}

/** What an entry was computed with: the PE kind and the algorithm versions it depends on. */
export interface PreCacheMeta { peKind: 'rwse' | 'lappe'; versions: Record<string, number> }

/** Write pre (for graphs of the given sizes) atomically to `file`. */
export function writePreCache(file: string, key: string, numNodes: Int32Array, pre: GraphPre[], peDim: number, meta: PreCacheMeta): void {
  const G = numNodes.length;
  let totN = 0, totS = 0;
  for (let g = 0; g < G; g++) { totN += numNodes[g]; totS += numNodes[g] * numNodes[g]; }
  const header = Buffer.from(JSON.stringify({ key, numGraphs: G, peDim, nodes: totN, spd: totS, peKind: meta.peKind, versions: meta.versions }), 'utf8');
  const hEnd = pad8(12 + header.length);
  const peOff = pad8(hEnd + 4 * G), spdOff = pad8(peOff + 4 * totN * peDim), size = spdOff + 2 * totS;
  const buf = Buffer.alloc(size);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(header.length, 8);
  header.copy(buf, 12);
  new Int32Array(buf.buffer, buf.byteOffset + hEnd, G).set(numNodes);
  const pe = new Float32Array(buf.buffer, buf.byteOffset + peOff, totN * peDim);
  const spd = new Uint16Array(buf.buffer, buf.byteOffset + spdOff, totS);
  let po = 0, so = 0;
  for (let g = 0; g < G; g++) {
    pe.set(pre[g].pe, po); po += pre[g].pe.length;
    spd.set(pre[g].spd, so); so += pre[g].spd.length;
  }
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally { closeSync(fd); }
    renameSync(tmp, file);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}

/**
 * Read a cache file; null when missing, not ours, for another key or another
 * set of graph sizes. Entries are views into one buffer (no per-graph copies).
 */
export function readPreCache(file: string, key: string, numNodes: Int32Array, peDim: number): GraphPre[] | null {
  if (!existsSync(file)) return null;
  let raw: Buffer;
  try { raw = readFileSync(file); } catch { return null; }
  if (raw.length < 12 || raw.toString('latin1', 0, 8) !== MAGIC) return null;
  const hl = raw.readUInt32LE(8);
  let h: { key: string; numGraphs: number; peDim: number; nodes: number; spd: number };
  try { h = JSON.parse(raw.toString('utf8', 12, 12 + hl)); } catch { return null; }
  const G = numNodes.length;
  if (h.key !== key || h.numGraphs !== G || h.peDim !== peDim) return null;
  const hEnd = pad8(12 + hl);
  const peOff = pad8(hEnd + 4 * G), spdOff = pad8(peOff + 4 * h.nodes * peDim);
  if (raw.length !== spdOff + 2 * h.spd) return null;
  // Typed views need aligned offsets: copy once into a fresh ArrayBuffer when the Buffer is not 8-aligned.
  const buf = raw.byteOffset % 8 === 0 ? raw : Buffer.from(new Uint8Array(raw));
  const nodes = new Int32Array(buf.buffer, buf.byteOffset + hEnd, G);
  for (let g = 0; g < G; g++) if (nodes[g] !== numNodes[g]) return null;
  const pe = new Float32Array(buf.buffer, buf.byteOffset + peOff, h.nodes * peDim);
  const spd = new Uint16Array(buf.buffer, buf.byteOffset + spdOff, h.spd);
  const out: GraphPre[] = new Array(G);
  let po = 0, so = 0;
  for (let g = 0; g < G; g++) {
    const n = nodes[g];
    out[g] = { pe: pe.subarray(po, po + n * peDim), spd: spd.subarray(so, so + n * n) };
    po += n * peDim; so += n * n;
  }
  if (po !== h.nodes * peDim || so !== h.spd) return null;
  return out;
}

/** One file of the preprocessing cache, as `gradformer cache` lists it. */
export interface CacheEntry {
  file: string;
  bytes: number;
  /** Whether the file has a cache header (false: not ours, damaged, or a leftover temporary file). */
  readable: boolean;
  /** From the header; null when unreadable or written before versions existed. */
  peKind: string | null;
  /** From the header; null when the file predates versions (or is unreadable). */
  versions: Record<string, number> | null;
  /** Whether the current code would read it: its versions are those of PRE_VERSIONS for its PE kind. */
  current: boolean;
}

/** The header of a cache file (first bytes only), or null when it is not one. */
function readHeader(file: string): { peKind?: string; versions?: Record<string, number> } | null {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12 || head.toString('latin1', 0, 8) !== MAGIC) return null;
    const json = Buffer.alloc(head.readUInt32LE(8));
    if (readSync(fd, json, 0, json.length, 12) !== json.length) return null;
    return JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

const sameVersions = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** Every file of the preprocessing cache under a cache root (default defaultCacheDir()), sorted by name. */
export function listCache(cacheRoot: string = defaultCacheDir()): CacheEntry[] {
  const dir = preprocessCacheDir(cacheRoot);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.gfpre') || f.includes('.gfpre.tmp-')).sort().map((f) => {
    const file = join(dir, f);
    const h = f.endsWith('.gfpre') ? readHeader(file) : null;
    const peKind = h && (h.peKind === 'rwse' || h.peKind === 'lappe') ? h.peKind : null;
    const versions = h?.versions ?? null;
    const current = peKind !== null && versions !== null && sameVersions(versions, cacheVersions(peKind, PRE_VERSIONS));
    return { file, bytes: statSync(file).size, readable: h !== null, peKind, versions, current };
  });
}

/**
 * Delete the cache files the current code would never read: entries of other
 * algorithm versions, entries written before versions existed, unreadable files
 * and leftover temporary files. Returns the deleted entries.
 */
export function cleanCache(cacheRoot: string = defaultCacheDir()): CacheEntry[] {
  const stale = listCache(cacheRoot).filter((e) => !e.current);
  for (const e of stale) rmSync(e.file, { force: true });
  return stale;
}

/** Delete every preprocessing cache file (and leftover temporary files) under a cache root (default defaultCacheDir()); returns how many. */
export function clearCache(cacheRoot: string = defaultCacheDir()): number {
  const dir = preprocessCacheDir(cacheRoot);
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.gfpre') || f.includes('.gfpre.tmp-')) { rmSync(join(dir, f), { force: true }); n++; }
  }
  return n;
}
