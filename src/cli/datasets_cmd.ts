/** `gradformer datasets`: what is known, where it is, and `--download NAME`. */
import { Command } from 'commander';
import { basename, join, resolve } from 'node:path';
import { listCache } from '../data/cache.js';
import { isComplete, downloadDataset } from '../data/download.js';
import { dataRoots, defaultCacheDir, findDatasetDir, presetDatasets } from '../data/registry.js';
import { datasetInfo, UsageError } from '../train/data.js';

export function datasetsCommand(): Command {
  return new Command('datasets')
    .description('list the known datasets, where they are found and whether a preprocessing cache exists; --download NAME fetches one')
    .option('--data-root <dir>', 'folder holding one sub-folder per dataset (default search: $GRADFORMER_DATA, <package>/data, ../shared/datasets)')
    .option('--download <name>', 'download a dataset into the cache ($GRADFORMER_HOME or ~/.cache/gradformer; --data-root to choose) and unpack it; needs internet')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  gradformer datasets\n  gradformer datasets --download PROTEINS --data-root ./data')
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
      // Only entries the current code reads (stale versions are listed by `gradformer cache`).
      const cachedPre = listCache(defaultCacheDir()).filter((e) => e.current).map((e) => basename(e.file));
      const rows = presetDatasets().map((d) => {
        const dir = findDatasetDir(d.name, o.dataRoot);
        const inCache = isComplete(join(defaultCacheDir(), d.name));
        return { name: d.name, description: d.description, generated: d.format === 'sbm', download: d.url !== undefined, path: dir ?? (inCache ? join(defaultCacheDir(), d.name) : null), cached: cachedPre.filter((f) => f.startsWith(`${d.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-`)).map((f) => f.split('-').slice(-2, -1)[0]) };
      });
      if (o.json) { process.stdout.write(JSON.stringify(rows, null, 1) + '\n'); return; }
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        const where = r.path ? `found  ${r.path}` : r.generated ? 'generated on first use (seeded SBM generator)'
          : r.download ? `missing (gradformer datasets --download ${r.name})` : `missing (no download: put its files in <dir>/${r.name}/ and pass --data-root <dir>)`;
        const pre = r.cached.length ? ` (preprocessing cached: ${r.cached.join(', ')})` : '';
        process.stdout.write(`${r.name.padEnd(w)}  ${where}${pre}\n` +
          `${''.padEnd(w)}  ${r.description}\n`);
      }
      process.stdout.write(`searched: ${dataRoots(o.dataRoot).join(', ')}, bundled data, download cache ${defaultCacheDir()}\n`);
    });
}
