/** `gradformer cache`: list the preprocessing cache; --clean deletes what the current code would never read. */
import { Command } from 'commander';
import { basename } from 'node:path';
import { cleanCache, clearCache, listCache, preprocessCacheDir, type CacheEntry } from '../data/cache.js';
import { PRE_VERSIONS } from '../data/pre_versions.js';
import { defaultCacheDir } from '../data/registry.js';
import { UsageError } from '../train/data.js';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`; // 2^20 bytes: MiB, not MB (bench:data prints MB)

function describe(e: CacheEntry): string {
  const what = e.versions ? Object.entries(e.versions).map(([k, v]) => `${k} ${v}`).join(', ')
    : e.readable ? 'no versions (written before versions existed)' : 'unreadable or temporary';
  return `${basename(e.file)}  ${mb(e.bytes)}  ${what}  ${e.current ? 'current' : 'stale'}`;
}

export function cacheCommand(): Command {
  return new Command('cache')
    .description('list the preprocessing cache (distances + PE per dataset) with the algorithm versions of each entry; --clean deletes entries of other versions')
    .option('--clean', 'delete the entries the current code never reads: other preprocessing versions, written before versions existed, damaged or temporary files')
    .option('--all', 'with --clean: delete every entry')
    .addHelpText('after', `
The cache lives in $GRADFORMER_HOME/preprocess (default ~/.cache/gradformer/preprocess).
Entries of other versions are never read (their key differs); --clean reclaims their space.

Examples:
  gradformer cache
  gradformer cache --clean`)
    .action((o: { clean?: boolean; all?: boolean }) => {
      if (o.all && !o.clean) throw new UsageError('--all goes with --clean (gradformer cache --clean --all deletes every entry)');
      const root = defaultCacheDir(), dir = preprocessCacheDir(root);
      if (o.clean) {
        if (o.all) {
          process.stdout.write(`deleted ${clearCache(root)} files from ${dir}\n`);
          return;
        }
        const gone = cleanCache(root);
        for (const e of gone) process.stdout.write(`deleted ${describe(e)}\n`);
        process.stdout.write(`deleted ${gone.length} stale files (${mb(gone.reduce((s, e) => s + e.bytes, 0))}) from ${dir}\n`);
        return;
      }
      const entries = listCache(root);
      for (const e of entries) process.stdout.write(`${describe(e)}\n`);
      const stale = entries.filter((e) => !e.current).length;
      const versions = Object.entries(PRE_VERSIONS).map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(`${entries.length} files in ${dir}, ${stale} stale${stale ? ' (gradformer cache --clean deletes them)' : ''}; current versions: ${versions}\n`);
    });
}
