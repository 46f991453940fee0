/**
 * The trainer's and CLI's front to the data layer: user errors (UsageError) and
 * name lookup/loading that fail as UsageErrors listing what is accepted.
 * Everything else lives in src/data/: the dataset registry and the search roots
 * (registry.ts), splits (splits.ts), batching (loader.ts), cached
 * preprocessing (preprocess.ts).
 */
import { dirname, join, resolve } from 'node:path';
import type { GraphDataset } from '../data/dataset.js';
import { UsageError } from './usage_error.js';
import { dataRoots, findDatasetDir, getDatasetEntry, loadDataset, presetDatasets, tuDatasetsIn, type DatasetEntry } from '../data/registry.js';

export { UsageError } from './usage_error.js';

/**
 * The registry entry of a dataset the CLI trains (case-insensitive): one with a
 * preset, a registered TU dataset, or any TU dataset in a folder of
 * dataRoots(dataRoot) (<root>/<NAME>/NAME_A.txt, or raw/NAME_A.txt), which trains
 * with the generic TU preset. A UsageError listing what is accepted otherwise,
 * including the TU datasets the searched folders hold.
 */
export function datasetInfo(name: string, dataRoot?: string): DatasetEntry {
  const e = getDatasetEntry(String(name));
  if (e?.preset || e?.format === 'tu') return e;
  if (/[/\\]/.test(name) || name === '' || name === '.' || name === '..') {
    throw new UsageError(`dataset name '${name}' is not a folder name; give the name of the dataset's folder under --data-root (e.g. --data-root ~/tu --dataset ENZYMES)`);
  }
  const roots = dataRoots(dataRoot);
  const held = roots.map((r) => ({ root: r, names: tuDatasetsIn(r) }));
  for (const { root, names } of held) {
    // Folder names are case-sensitive on most systems; accept another case when it is unambiguous.
    const hit = names.includes(name) ? name : names.filter((n) => n.toLowerCase() === name.toLowerCase()).at(0);
    if (hit !== undefined) return { name: hit, format: 'tu', description: `TU dataset from ${join(root, hit)}` };
  }
  throw new UsageError(`unknown dataset '${name}': no preset, and no TU folder ${name}/ with ${name}_A.txt in ${dataRoot ? `--data-root ${resolve(dataRoot)}` : 'the searched folders'} (${holdings(held)}); ` +
    `datasets with a preset: ${presetDatasets().map((x) => x.name).join(', ')}`);
}

/** "ROOT holds the TU datasets A, B" for each searched folder, for error messages. */
function holdings(held: { root: string; names: string[] }[]): string {
  return held.map(({ root, names }) => `${root} holds ${names.length ? `the TU datasets ${names.join(', ')}` : 'no TU dataset folder'}`).join('; ');
}

/**
 * Loads a dataset datasetInfo accepts through the registry: from the first of
 * dataRoots(dataRoot) holding its folder, else the bundled copy or the
 * download cache (never downloading here). The SBM sets are generated.
 */
export async function loadDatasetByName(name: string, dataRoot?: string): Promise<GraphDataset> {
  const info = datasetInfo(name, dataRoot);
  const fetch = info.url ? `\`gradformer datasets --download ${info.name}\` fetches it` : `it has no download: put its files in <dir>/${info.name}/ and pass --data-root <dir>`;
  if (info.format === 'sbm') return await loadDataset(info.name, { download: false });
  const dir = findDatasetDir(info.name, dataRoot);
  // An explicit folder is never silently replaced by the bundled copy or the cache.
  if (dataRoot && !dir) {
    throw new UsageError(`dataset ${info.name}: no folder ${info.name}/ in --data-root ${resolve(dataRoot)}; ` +
      `point --data-root at the folder that holds ${info.name}/ (${holdings([{ root: resolve(dataRoot), names: tuDatasetsIn(resolve(dataRoot)) }])}), ` +
      `or drop it to use the bundled copy or the download cache (${fetch})`);
  }
  try {
    if (dir) return await loadDataset(info.name, { root: dirname(dir), download: false });
    return await loadDataset(info.name, { download: false });
  } catch (e) {
    if ((e as Error).name === 'DataError') throw e;
    throw new UsageError(`${(e as Error).message} (searched ${dataRoots(dataRoot).join(', ')}; ${fetch})`);
  }
}
