/**
 * The trainer's and CLI's front to the data layer: user errors (UsageError) and
 * name lookup/loading that fail as UsageErrors listing what is accepted.
 * Everything else lives in src/data/: the dataset registry and the search roots
 * (registry.ts), splits (splits.ts), batching (loader.ts), cached
 * preprocessing (preprocess.ts).
 */
import { dirname, resolve } from 'node:path';
import type { GraphDataset } from '../data/dataset.js';
import { dataRoots, findDatasetDir, getDatasetEntry, loadDataset, presetDatasets, type DatasetEntry } from '../data/registry.js';

// runconfig.ts and the public API take the split names from here.
export { SPLITS, type SplitKind } from '../data/splits.js';

/** A user error (bad option, unknown name, impossible combination): the CLI prints it without a stack. */
export class UsageError extends Error {
  constructor(msg: string) { super(msg); this.name = 'UsageError'; }
}

/** The registry entry of a dataset with a preset (case-insensitive); a UsageError listing the accepted names otherwise. */
export function datasetInfo(name: string): DatasetEntry {
  const e = getDatasetEntry(String(name));
  if (!e?.preset) throw new UsageError(`unknown dataset '${name}'; accepted: ${presetDatasets().map((x) => x.name).join(', ')}`);
  return e;
}

/**
 * Loads a dataset with a preset through the registry: from the first of
 * dataRoots(dataRoot) holding its folder, else the bundled copy or the
 * download cache (never downloading here). The SBM sets are generated.
 */
export async function loadDatasetByName(name: string, dataRoot?: string): Promise<GraphDataset> {
  const info = datasetInfo(name);
  const fetch = info.url ? `\`gradformer datasets --download ${info.name}\` fetches it` : `it has no download: put its files in <dir>/${info.name}/ and pass --data-root <dir>`;
  if (info.format === 'sbm') return await loadDataset(info.name, { download: false });
  const dir = findDatasetDir(info.name, dataRoot);
  // An explicit folder is never silently replaced by the bundled copy or the cache.
  if (dataRoot && !dir) {
    throw new UsageError(`dataset ${info.name}: no folder ${info.name}/ in --data-root ${resolve(dataRoot)}; ` +
      `point --data-root at the folder that holds ${info.name}/, or drop it to use the bundled copy or the download cache (${fetch})`);
  }
  try {
    if (dir) return await loadDataset(info.name, { root: dirname(dir), download: false });
    return await loadDataset(info.name, { download: false });
  } catch (e) {
    if ((e as Error).name === 'DataError') throw e;
    throw new UsageError(`${(e as Error).message} (searched ${dataRoots(dataRoot).join(', ')}; ${fetch})`);
  }
}
