/**
 * Known datasets and loadDataset(): the one entry point from a name to a
 * GraphDataset. Three ways to get the files, tried in this order:
 *   1. a local folder: <root>/<NAME>/ (the layout of ../shared/datasets) when `root` is given;
 *   2. the copy bundled in the package (MUTAG, data/MUTAG/): zero setup;
 *   3. the download cache <cacheDir>/<NAME>/ (default $GRADFORMER_HOME or
 *      ~/.cache/gradformer), downloading the archive there first when allowed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphDataset } from './dataset.js';
import { downloadDataset, isComplete } from './download.js';
import { loadOgb, type OgbOptions } from './ogb.js';
import { isTUFolder, loadTU, type TUOptions } from './tu.js';
import { loadZinc } from './zinc.js';
import { checkKeys } from '../util/options.js';

export type DatasetFormat = 'tu' | 'zinc' | 'ogb' | 'sbm' | 'zinc_full' | 'molcsv';

/**
 * One dataset the registry knows: its name, file format, and where its files come
 * from (bundled with the package, downloaded into the cache, or found under a data root).
 */
export interface DatasetEntry {
  /** The name `--dataset` and loadDataset take. */
  name: string;
  /** Which loader reads it. */
  format: DatasetFormat;
  /** One line for `gradformer datasets`. */
  description: string;
  /** Whether the graphs carry categorical edge features (GINE / GatedGCN read them); absent = none. */
  edgeFeatures?: boolean;
  /** Has an official Gradformer preset: the datasets `gradformer train --dataset` accepts. */
  preset?: boolean;
  /** Archive to download into the cache (ZIP). */
  url?: string;
  /** Known sha256 of the archive; when absent the first download's hash is recorded and enforced afterwards. */
  sha256?: string;
  /** Folder name under data/ in the package when bundled. */
  bundled?: boolean;
  /** Options passed to loadTU (TU datasets). */
  tu?: TUOptions;
  /** Options passed to the OGB loader. */
  ogb?: OgbOptions;
}

const TU_URL = (n: string) => `https://www.chrsmrrs.com/graphkerneldatasets/${n}.zip`;
const tu = (name: string, description: string, extra: Partial<DatasetEntry> = {}): DatasetEntry =>
  ({ name, format: 'tu', description, url: TU_URL(name), ...extra });

const ENTRIES: DatasetEntry[] = [
  tu('MUTAG', '188 nitro compounds, 2 classes (bundled; the default dataset)', { bundled: true, edgeFeatures: true, preset: true }),
  tu('PROTEINS', '1113 proteins, 2 classes', { preset: true }),
  tu('NCI1', '4110 chemical compounds, 2 classes', { preset: true }),
  tu('IMDB-BINARY', '1000 ego networks, 2 classes, no node labels (degree features)', { preset: true }),
  tu('IMDB-MULTI', '1500 ego networks, 3 classes, no node labels (degree features)'),
  tu('COLLAB', '5000 ego networks, 3 classes, no node labels (degree features)', { preset: true }),
  tu('PTC_MR', '344 compounds, 2 classes', { edgeFeatures: true }),
  tu('ENZYMES', '600 enzymes, 6 classes'),
  tu('DD', '1178 proteins, 2 classes'),
  tu('REDDIT-BINARY', '2000 threads, 2 classes, no node labels (normalised degree: max degree >= 1000)'),
  { name: 'ZINC', format: 'zinc', description: 'ZINC 12k subset, regression (MAE), official split 10000/1000/1000', edgeFeatures: true, preset: true },
  {
    name: 'ogbg-molhiv', format: 'ogb', description: '41127 molecules, binary HIV activity (ROC-AUC), scaffold split', edgeFeatures: true, preset: true,
    url: 'http://snap.stanford.edu/ogb/data/graphproppred/csv_mol_download/hiv.zip', ogb: { task: 'binary_class', metric: 'rocauc' },
  },
  { name: 'CLUSTER', format: 'sbm', description: 'SBM node classification, 6 classes (generated; src/data/sbm.ts)', preset: true },
  { name: 'PATTERN', format: 'sbm', description: 'SBM node classification, 2 classes, weighted accuracy (generated; src/data/sbm.ts)', preset: true },
  { name: 'ZINC-full', format: 'zinc_full', description: 'ZINC 250k full split from SMILES (src/data/zinc_full.ts)', edgeFeatures: true },
  { name: 'molecule-csv', format: 'molcsv', description: 'any CSV of SMILES + targets, featurised as OGB (src/data/molcsv.ts); pass path', edgeFeatures: true },
];

const REGISTRY = new Map<string, DatasetEntry>(ENTRIES.map((e) => [e.name.toLowerCase(), e]));

/** All registered datasets. */
export function listDatasets(): DatasetEntry[] {
  return [...REGISTRY.values()];
}

/** Look a dataset up by name (case-insensitive). */
export function getDatasetEntry(name: string): DatasetEntry | undefined {
  return REGISTRY.get(name.toLowerCase());
}

/** The datasets with an official preset (what `gradformer train` / `datasets` list), in registry order. */
export function presetDatasets(): DatasetEntry[] {
  return listDatasets().filter((e) => e.preset);
}

/** Add or replace an entry (e.g. another TU dataset with its URL). */
export function registerDataset(entry: DatasetEntry): void {
  REGISTRY.set(entry.name.toLowerCase(), entry);
}

/** $GRADFORMER_HOME, else ~/.cache/gradformer. */
export function defaultCacheDir(): string {
  return process.env.GRADFORMER_HOME ? resolve(process.env.GRADFORMER_HOME) : join(homedir(), '.cache', 'gradformer');
}

/**
 * The package root: the nearest folder above this module whose package.json is
 * gradformer's (from src/ under tsx or dist/src/ when compiled; a package.json
 * of another name, e.g. an enclosing project's, is skipped).
 */
export function packageRoot(): string {
  const here = fileURLToPath(import.meta.url);
  for (let d = dirname(here); ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      try { if (JSON.parse(readFileSync(p, 'utf8')).name === 'gradformer') return d; } catch { /* unreadable: keep walking */ }
    }
    if (dirname(d) === d) throw new Error(`cannot find gradformer's package.json above ${here}; reinstall the package`);
  }
}

/**
 * Folders searched for <root>/<NAME>/ when no --data-root is given, in order:
 * $GRADFORMER_DATA, <package>/data, <package>/../shared/datasets (not when the
 * package is installed under node_modules/). With an explicit root, only that one.
 */
export function dataRoots(explicit?: string): string[] {
  if (explicit) return [resolve(explicit)];
  const roots: string[] = [];
  if (process.env.GRADFORMER_DATA) roots.push(resolve(process.env.GRADFORMER_DATA));
  const pkg = packageRoot();
  roots.push(join(pkg, 'data'));
  // A development checkout sits next to shared/ (../shared/datasets); an installed package sits in node_modules/.
  if (basename(dirname(pkg)) !== 'node_modules') roots.push(resolve(pkg, '..', 'shared', 'datasets'));
  return roots;
}

/** The folder of a dataset under the first of dataRoots(explicit) that has it, or null. */
export function findDatasetDir(name: string, explicitRoot?: string): string | null {
  for (const r of dataRoots(explicitRoot)) {
    const d = join(r, name);
    if (existsSync(d)) return d;
  }
  return null;
}

/**
 * The TU datasets in a folder: every sub-folder NAME holding NAME_A.txt (directly
 * or in raw/), sorted by name. An absent folder holds none.
 */
export function tuDatasetsIn(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isTUFolder(join(root, d.name), d.name)).map((d) => d.name)
    .sort((a, b) => a.localeCompare(b, 'en'));
}

/** The bundled data folder of a dataset, or null. */
export function bundledDir(name: string): string | null {
  const e = getDatasetEntry(name);
  if (!e?.bundled) return null;
  const d = join(packageRoot(), 'data', e.name);
  return existsSync(d) ? d : null;
}

/** Options of loadDataset; an unknown key is an error. */
export interface LoadOptions {
  /** Folder holding <NAME>/ subfolders (as ../shared/datasets). */
  root?: string;
  /** Download cache (default defaultCacheDir()). */
  cacheDir?: string;
  /** Allow downloading when the data is not found locally (default true). */
  download?: boolean;
  /** File path for file-based loaders (molecule CSV). */
  path?: string;
  /** Passed through to the format loader (TU options, SBM generator options, CSV columns, ...). */
  options?: Record<string, unknown>;
  /** Receives the download's progress lines; default: written to stderr. */
  log?: (s: string) => void;
}

/** Turn a failed lazy import into a clear error naming the missing module. */
function moduleError(e: unknown, file: string, what: string): Error {
  if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(file)) {
    return new Error(`${what} is not available in this build (module src/data/${file}.ts is missing)`);
  }
  return e as Error;
}

function loadFolder(entry: DatasetEntry, dir: string, opts: LoadOptions): GraphDataset {
  switch (entry.format) {
    case 'tu': return loadTU(dir, entry.name, { ...entry.tu, ...(opts.options as TUOptions | undefined) });
    case 'zinc': return loadZinc(dir);
    case 'ogb': return loadOgb(dir, entry.name, { ...entry.ogb, ...(opts.options as OgbOptions | undefined) });
    default: throw new Error(`dataset ${entry.name}: format ${entry.format} is not folder-based`);
  }
}

/**
 * Load a dataset by name. Unknown names that have a TU folder under `root`
 * (<root>/<NAME>/<NAME>_A.txt, or its raw/ sub-folder) load as TU datasets.
 */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<GraphDataset> {
  checkKeys('loadDataset', opts, ['root', 'cacheDir', 'download', 'path', 'options', 'log']);
  let entry = getDatasetEntry(name);
  if (!entry && opts.root && isTUFolder(join(opts.root, name), name)) {
    entry = { name, format: 'tu', description: 'TU dataset from a local folder' };
  }
  if (!entry) {
    throw new Error(`unknown dataset "${name}". Known: ${listDatasets().map((e) => e.name).join(', ')}. ` +
      'Any TU dataset loads from a local folder: --data-root <dir> with <dir>/<NAME>/<NAME>_A.txt ...');
  }
  const extra = opts.options ?? {};
  switch (entry.format) {
    // Loaders of other modules, imported on demand (the CSV and ZINC-full ones pull in RDKit).
    case 'sbm': {
      const m = await import('./sbm.js').catch((e) => { throw moduleError(e, 'sbm', `dataset ${entry!.name} (SBM generator)`); });
      return m.loadSBM(entry.name as 'CLUSTER' | 'PATTERN', { seed: 0, ...extra });
    }
    case 'zinc_full': {
      const m = await import('./zinc_full.js').catch((e) => { throw moduleError(e, 'zinc_full', 'dataset ZINC-full'); });
      // The full lists live next to the subset: <root>/ZINC/full/ (or the cache's ZINC/ folder).
      return m.loadZincFull(join(opts.root ?? opts.cacheDir ?? defaultCacheDir(), 'ZINC'), extra);
    }
    case 'molcsv': {
      if (!opts.path) throw new Error("dataset molecule-csv needs a file: pass loadDataset('molecule-csv', { path: 'file.csv' }) (library only; the CLI has no molecule-csv option)");
      const m = await import('./molcsv.js').catch((e) => { throw moduleError(e, 'molcsv', 'molecule CSV loader'); });
      return m.loadMoleculeCsv(opts.path, extra as unknown as import('./molcsv.js').MoleculeCsvOptions);
    }
    default: break;
  }
  // 1. explicit local folder
  if (opts.root) {
    const dir = join(opts.root, entry.name);
    if (!existsSync(dir)) {
      throw new Error(`dataset ${entry.name}: folder ${dir} does not exist (data root ${opts.root}); ` +
        (entry.url ? `drop --data-root to download it from ${entry.url}` : 'put the files there'));
    }
    return loadFolder(entry, dir, opts);
  }
  // 2. bundled copy
  const b = bundledDir(entry.name);
  if (b) return loadFolder(entry, b, opts);
  // 3. download cache
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const cached = join(cacheDir, entry.name);
  if (isComplete(cached)) return loadFolder(entry, cached, opts);
  if (!entry.url) {
    throw new Error(`dataset ${entry.name} has no download; put its files in <dir>/${entry.name}/ and pass --data-root <dir>`);
  }
  if (opts.download === false) {
    throw new Error(`dataset ${entry.name} is not in ${cacheDir} and downloads are off; download ${entry.url} or pass --data-root <dir> with <dir>/${entry.name}/`);
  }
  const dir = await downloadDataset({ name: entry.name, url: entry.url, sha256: entry.sha256 }, cacheDir, opts.log);
  return loadFolder(entry, dir, opts);
}
