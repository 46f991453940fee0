/** `gradformer datasets`: what is known, where it is, and `--download NAME`. */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { basename, join, resolve } from 'node:path';
import { listCache } from '../data/cache.js';
import { isComplete, downloadDataset } from '../data/download.js';
import { dataRoots, defaultCacheDir, findDatasetDir, getDatasetEntry, presetDatasets, tuDatasetsIn } from '../data/registry.js';
import { describeTU, type TUDescription } from '../data/tu_describe.js';
import { GENERIC_TU } from '../models/presets.js';
import { datasetInfo, UsageError } from '../train/data.js';

export function datasetsCommand(): Command {
  return new Command('datasets')
    .description('list the known datasets, where they are found and whether a preprocessing cache exists; with --data-root also every TU dataset there (graphs, classes, label/attribute widths, preset); --download NAME fetches one')
    .option('--data-root <dir>', 'folder holding one sub-folder per dataset (default search: $GRADFORMER_DATA, <package>/data, ../shared/datasets)')
    .option('--download <name>', 'download a dataset into the cache ($GRADFORMER_HOME or ~/.cache/gradformer; --data-root to choose) and unpack it; needs internet')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  gradformer datasets\n  gradformer datasets --data-root ~/tu          # + every TU dataset folder in ~/tu\n  gradformer datasets --download PROTEINS --data-root ./data')
    .action(async (o: { dataRoot?: string; download?: string; json?: boolean }) => {
      if (o.download) {
        const entry = datasetInfo(o.download), info = entry;
        if (!entry.url) throw new UsageError(`dataset ${info.name} has no download (${info.format === 'sbm' ? 'it is generated on first use' : 'put its files under --data-root'})`);
        const cacheDir = o.dataRoot ? resolve(o.dataRoot) : defaultCacheDir();
        try {
          const dir = await downloadDataset({ name: entry.name, url: entry.url, sha256: entry.sha256 }, cacheDir);
          process.stdout.write(`${info.name}: ready in ${dir}\n`);
        } catch (e) {
          throw new UsageError(`download of ${info.name} from ${entry.url} failed (${(e as Error).message}); download it by hand and unpack it into ${join(cacheDir, info.name)}`);
        }
        return;
      }
      if (o.dataRoot && !existsSync(o.dataRoot)) throw new UsageError(`--data-root ${o.dataRoot} does not exist; pass the folder that holds one sub-folder per dataset`);
      // Only entries the current code reads (stale versions are listed by `gradformer cache`).
      const cachedPre = listCache(defaultCacheDir()).filter((e) => e.current).map((e) => basename(e.file));
      const rows = presetDatasets().map((d) => {
        const dir = findDatasetDir(d.name, o.dataRoot);
        // With --data-root a run reads DIR/<NAME>/ and nowhere else, so the download cache does not count.
        const inCache = !o.dataRoot && isComplete(join(defaultCacheDir(), d.name));
        return { name: d.name, description: d.description, generated: d.format === 'sbm', download: d.url !== undefined, path: dir ?? (inCache ? join(defaultCacheDir(), d.name) : null), cached: cachedPre.filter((f) => f.startsWith(`${d.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-`)).map((f) => f.split('-').slice(-2, -1)[0]) };
      });
      // --data-root: also every TU dataset folder there, described (trainable by name, with or without a preset).
      const tu = o.dataRoot ? tuListing(resolve(o.dataRoot)) : null;
      if (o.json) { process.stdout.write(JSON.stringify(tu ? { known: rows, tu_in_data_root: tu } : rows, null, 1) + '\n'); return; }
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        const where = r.path ? `found  ${r.path}` : r.generated ? 'generated on first use (seeded SBM generator)'
          : r.download ? `missing (gradformer datasets --download ${r.name}${o.dataRoot ? ` --data-root ${o.dataRoot}` : ''})`
            : `missing (no download: put its files in <dir>/${r.name}/ and pass --data-root <dir>)`;
        const pre = r.cached.length ? ` (preprocessing cached: ${r.cached.join(', ')})` : '';
        process.stdout.write(`${r.name.padEnd(w)}  ${where}${pre}\n` +
          `${''.padEnd(w)}  ${r.description}\n`);
      }
      process.stdout.write(o.dataRoot ? `searched: ${resolve(o.dataRoot)} only (--data-root: no bundled copy, no download cache)\n`
        : `searched: ${dataRoots().join(', ')}, bundled data, download cache ${defaultCacheDir()}\n`);
      if (tu) printTuListing(resolve(o.dataRoot!), tu);
    });
}

/** One TU dataset folder of --data-root: its description, or the error that stops it loading. */
type TuRow = { name: string; preset: string } & ({ description: TUDescription } | { error: string });

function tuListing(root: string): TuRow[] {
  return tuDatasetsIn(root).map((name) => {
    const entry = getDatasetEntry(name);
    const preset = entry?.preset ? entry.name : GENERIC_TU;
    try {
      return { name, preset, description: describeTU(join(root, name), name) };
    } catch (e) {
      if ((e as Error).name !== 'DataError') throw e;
      return { name, preset, error: (e as Error).message };
    }
  });
}

function printTuListing(root: string, rows: TuRow[]): void {
  process.stdout.write(`\nTU datasets in ${root} (train any with --data-root ${root} --dataset NAME):\n`);
  if (rows.length === 0) {
    process.stdout.write('  none: a TU dataset is a folder NAME/ holding NAME_A.txt, NAME_graph_indicator.txt, NAME_graph_labels.txt (directly or in raw/)\n');
    return;
  }
  const widths = (w: number[]) => (w.length ? w.join('+') : '-');
  const table = [['name', 'graphs', 'classes', 'node labels', 'node attr', 'edge labels', 'edge attr', 'preset'], ...rows.map((r) => {
    if ('error' in r) return [r.name, `error: ${r.error}`];
    const d = r.description;
    return [r.name, String(d.graphs), d.classes ? String(d.classes) : `regression (${d.targets})`, widths(d.nodeLabels),
      d.nodeAttributes ? String(d.nodeAttributes) : '-', widths(d.edgeLabels), d.edgeAttributes ? String(d.edgeAttributes) : '-',
      r.preset === GENERIC_TU ? `${GENERIC_TU} (generic)` : r.preset];
  })];
  const w = table[0].map((_, c) => Math.max(...table.filter((r) => r.length > 1 && r.length === table[0].length).map((r) => (r[c] ?? '').length)));
  for (const r of table) process.stdout.write(`  ${r.length === 2 ? `${r[0].padEnd(w[0])}  ${r[1]}` : r.map((c, k) => c.padEnd(w[k])).join('  ').trimEnd()}\n`);
  process.stdout.write('  (widths: one-hot width per label column; attribute columns are listed but not trained on, as the official code; no node labels: degree features)\n');
}
