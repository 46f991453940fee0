/** `gradformer datasets`: what is known, where it is, and `--download NAME`. */
import { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DATASETS, datasetInfo, dataRoots, findDatasetDir, UsageError } from '../train/data.js';
import { extractZip } from './unzip.js';

export function datasetsCommand(): Command {
  return new Command('datasets')
    .description('list the known datasets, where they are found and whether a preprocessing cache exists; --download NAME fetches one')
    .option('--data-root <dir>', 'folder holding one sub-folder per dataset (default search: $GRADFORMER_DATA, <package>/data, ../shared/datasets)')
    .option('--download <name>', 'download a dataset into --data-root (or the first default root) and unpack it; needs internet')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  gradformer datasets\n  gradformer datasets --download PROTEINS --data-root ./data')
    .action(async (o: { dataRoot?: string; download?: string; json?: boolean }) => {
      if (o.download) {
        const info = datasetInfo(o.download);
        const root = resolve(o.dataRoot ?? dataRoots()[0]);
        const dest = join(root, info.name);
        if (existsSync(dest) && readdirSync(dest).length > 0) {
          process.stdout.write(`${info.name} is already at ${dest}\n`);
          return;
        }
        process.stderr.write(`downloading ${info.url}\n`);
        let buf: Uint8Array;
        try {
          const res = await fetch(info.url);
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          buf = new Uint8Array(await res.arrayBuffer());
        } catch (e) {
          throw new UsageError(`download of ${info.name} from ${info.url} failed (${(e as Error).message}); ` +
            `download it by hand and unpack it into ${dest}`);
        }
        mkdirSync(dest, { recursive: true });
        const files = extractZip(buf, dest);
        writeFileSync(join(dest, '.source'), `${info.url}\n`);
        process.stdout.write(`${info.name}: ${files} files unpacked into ${dest}\n`);
        return;
      }
      const rows = DATASETS.map((d) => {
        const dir = findDatasetDir(d.name, o.dataRoot);
        const cached = dir !== null && ['processed', '.cache', 'cache'].some((c) => existsSync(join(dir, c)));
        return { name: d.name, description: d.description, path: dir, cached };
      });
      if (o.json) { process.stdout.write(JSON.stringify(rows, null, 1) + '\n'); return; }
      const w = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) {
        process.stdout.write(`${r.name.padEnd(w)}  ${r.path ? `found  ${r.path}${r.cached ? ' (cached)' : ''}` : 'missing (gradformer datasets --download ' + r.name + ')'}\n` +
          `${''.padEnd(w)}  ${r.description}\n`);
      }
      process.stdout.write(`searched: ${dataRoots(o.dataRoot).join(', ')}\n`);
    });
}
