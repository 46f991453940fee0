// Data-layer figures: load time, preprocessing throughput (SPD + RWSE-20) and
// cache load time for NCI1, ZINC and ogbg-molhiv. Prints numbers, never fails on time.
// Usage: npm run bench:data [-- --root <datasets folder>] [--pe <dim>] [--datasets A,B] [--workers N|auto]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/data/registry.js';
import { cacheFile, computePre, preprocessDataset, structureKey } from '../src/data/preprocess.js';
import { writePreCache } from '../src/data/cache.js';
import { cacheVersions } from '../src/data/pre_versions.js';
import { datasetTotals } from '../src/data/dataset.js';
import { shortestPathDistances } from '../src/graph/spd.js';
import { benchArgs } from './args.js';

const A = benchArgs('bench:data', { strings: ['root', 'pe', 'datasets', 'workers'] });
const root = A.str('root', fileURLToPath(new URL('../../shared/datasets/', import.meta.url)))!;
const dim = A.num('pe', 20, true)!;
const names = A.str('datasets', 'NCI1,ZINC,ogbg-molhiv')!.split(',');
const workers = A.str('workers', '1')!;
const W = workers === 'auto' ? 'auto' as const : Number(workers);
const cacheDir = mkdtempSync(join(tmpdir(), 'gf-bench-'));
const sec = (t: number) => ((performance.now() - t) / 1000).toFixed(2);

console.log(`data bench: root ${root}, PE rwse${dim}, workers ${workers}, node ${process.version}`);
console.log('dataset      graphs   nodes     edges    load_s  spd_s  pre_s  graphs/s  write_s  cache_MB  cacheload_s');
try {
  for (const name of names) {
    let t = performance.now();
    const ds = await loadDataset(name, { root });
    const load = sec(t);
    const { nodes, edges } = datasetTotals(ds);
    t = performance.now();
    for (const g of ds.graphs) shortestPathDistances(g.numNodes, g.edgeIndex);
    const spd = sec(t);
    t = performance.now();
    const pre = await computePre(ds.graphs, { kind: 'rwse', dim }, false, name, W);
    const preS = (performance.now() - t) / 1000;
    t = performance.now();
    const pe = { kind: 'rwse' as const, dim };
    const key = structureKey(ds.graphs, pe);
    writePreCache(cacheFile(cacheDir, ds.name, pe, key), key, Int32Array.from(ds.graphs, (g) => g.numNodes), pre, dim,
      { peKind: 'rwse', versions: cacheVersions('rwse') });
    const write = sec(t);
    t = performance.now();
    const cached = await preprocessDataset(ds, { pe: { kind: 'rwse', dim }, cacheDir, progress: false });
    const cload = sec(t);
    const fileMb = (cached[0].spd.buffer.byteLength / 1e6).toFixed(1);
    console.log(`${name.padEnd(12)} ${String(ds.graphs.length).padStart(6)} ${String(nodes).padStart(8)} ${String(edges).padStart(9)}  ` +
      `${load.padStart(6)} ${spd.padStart(6)} ${preS.toFixed(2).padStart(6)} ${String(Math.round(ds.graphs.length / preS)).padStart(9)}  ` +
      `${write.padStart(7)} ${fileMb.padStart(9)}  ${cload.padStart(11)}`);
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
console.log('pre_s = SPD + RWSE for all graphs (no cache); write_s = hashing + writing the cache file (fsync); cacheload_s = second run (hash + read).');
