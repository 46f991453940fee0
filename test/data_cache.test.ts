// Preprocessing cache round trip, no partial files after errors; downloads via a local HTTP server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { loadDataset, registerDataset, packageRoot, presetDatasets, getDatasetEntry, dataRoots, findDatasetDir } from '../src/data/registry.js';
import { PRESETS } from '../src/models/presets.js';
import { preprocessDataset, computePre } from '../src/data/preprocess.js';
import { clearCache, preprocessCacheDir } from '../src/data/cache.js';
import type { GraphDataset } from '../src/data/dataset.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'gf-cache-'));
const files = (d: string) => (existsSync(d) ? readdirSync(d) : []);

test('cache: first run writes one file, second run reads it back identically; options change the key', async () => {
  const root = tmp();
  try {
    const ds = await loadDataset('MUTAG');
    const pe = { kind: 'rwse' as const, dim: 16 };
    const a = await preprocessDataset(ds, { pe, cacheDir: root, progress: false });
    const dir = preprocessCacheDir(root);
    assert.equal(files(dir).length, 1);
    const file = join(dir, files(dir)[0]);
    const b = await preprocessDataset(ds, { pe, cacheDir: root, progress: false });
    // the second result is a view into the cache file's bytes, not a recomputation
    assert.equal(b[0].spd.buffer.byteLength, statSync(file).size);
    const fresh = await computePre(ds.graphs, pe, false);
    for (let g = 0; g < ds.graphs.length; g++) {
      assert.deepEqual(b[g].spd, a[g].spd); assert.deepEqual(b[g].pe, a[g].pe);
      assert.deepEqual(b[g].spd, fresh[g].spd); assert.deepEqual(b[g].pe, fresh[g].pe);
    }
    await preprocessDataset(ds, { pe: { kind: 'rwse', dim: 8 }, cacheDir: root, progress: false });
    assert.equal(files(dir).length, 2);
    await preprocessDataset(ds, { pe, cacheDir: root, noCache: true, progress: false });
    assert.equal(files(dir).length, 2);
    // a damaged cache file is ignored and replaced
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    const c = await preprocessDataset(ds, { pe, cacheDir: root, progress: false });
    assert.deepEqual(c[5].pe, fresh[5].pe);
    assert.equal(statSync(file).size, b[0].spd.buffer.byteLength);
    assert.equal(clearCache(root), 2);
    assert.equal(files(dir).length, 0);
  } finally { rmSync(root, { recursive: true }); }
});

test('worker threads give exactly the single-thread results; a worker error is reported', async () => {
  const ds = await loadDataset('MUTAG');
  const pe = { kind: 'rwse' as const, dim: 12 };
  const one = await computePre(ds.graphs, pe, false, 'MUTAG', 1);
  const two = await computePre(ds.graphs, pe, false, 'MUTAG', 2);
  for (let g = 0; g < ds.graphs.length; g++) {
    assert.deepEqual(two[g].spd, one[g].spd); assert.deepEqual(two[g].pe, one[g].pe);
  }
  const bad = [...ds.graphs.slice(0, 150), { ...ds.graphs[150], edgeIndex: Int32Array.of(0, 99) }];
  await assert.rejects(computePre(bad, pe, false, 'bad', 2), /preprocess: graph 150: edge 0 \(0 -> 99\) is outside/);
});

test('cache: an error during preprocessing or writing leaves no cache file behind', async () => {
  const root = tmp();
  try {
    const ds = await loadDataset('MUTAG');
    const bad: GraphDataset = { ...ds, graphs: [...ds.graphs.slice(0, 50), { ...ds.graphs[50], edgeIndex: Int32Array.of(0, 99) }] };
    await assert.rejects(preprocessDataset(bad, { pe: { kind: 'rwse', dim: 4 }, cacheDir: root, progress: false }), /graph 50: .*outside/);
    assert.deepEqual(files(preprocessCacheDir(root)), []);
    await assert.rejects(preprocessDataset(ds, { pe: { kind: 'lappe' as any, dim: 0 }, cacheDir: root, progress: false }), /positive integer/);
    // cache folder not writable (a file is in the way): error, nothing left
    const blocked = tmp();
    writeFileSync(join(blocked, 'preprocess'), 'not a folder');
    await assert.rejects(preprocessDataset(ds, { pe: { kind: 'rwse', dim: 4 }, cacheDir: blocked, progress: false }));
    assert.deepEqual(readdirSync(blocked), ['preprocess']);
    rmSync(blocked, { recursive: true });
  } finally { rmSync(root, { recursive: true }); }
});

/** A ZIP (deflate members) of a folder's files under `top/`. */
function makeZip(top: string, dir: string): Buffer {
  const locals: Buffer[] = [], centrals: Buffer[] = [];
  let off = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt'))) {
    const data = readFileSync(join(dir, f)), comp = deflateRawSync(data), name = Buffer.from(`${top}/${f}`);
    const crc = crc32(data);
    const lh = Buffer.alloc(30); lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46); ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(comp.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(name.length, 28); ch.writeUInt32LE(off, 42);
    locals.push(lh, name, comp); centrals.push(ch, name);
    off += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(centrals.length / 2, 8); end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}

test('download: fetched once into the cache, sha256 recorded then enforced; offline and corrupt archives fail cleanly', async () => {
  const cacheDir = tmp();
  const src = tmp();
  for (const f of readdirSync(join(packageRoot(), 'data', 'MUTAG'))) {
    if (f.endsWith('.txt')) writeFileSync(join(src, f.replace('MUTAG', 'GFTESTTU')), readFileSync(join(packageRoot(), 'data', 'MUTAG', f)));
  }
  let body = makeZip('GFTESTTU', src);
  let hits = 0;
  const server = createServer((_req, res) => { hits++; res.end(body); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    registerDataset({ name: 'GFTESTTU', format: 'tu', description: 'test', url: `http://127.0.0.1:${port}/GFTESTTU.zip` });
    const quiet = { cacheDir, log: () => {} };
    const ds = await loadDataset('GFTESTTU', quiet);
    assert.equal(ds.graphs.length, 188);
    await loadDataset('GFTESTTU', quiet);
    assert.equal(hits, 1);
    const sums = JSON.parse(readFileSync(join(cacheDir, 'checksums.json'), 'utf8'));
    assert.match(sums[`http://127.0.0.1:${port}/GFTESTTU.zip`], /^[0-9a-f]{64}$/);
    // upstream changed: refused, and the old folder stays gone (no half state)
    rmSync(join(cacheDir, 'GFTESTTU'), { recursive: true });
    writeFileSync(join(src, 'GFTESTTU_graph_labels.txt'), '1\n'.repeat(188));
    body = makeZip('GFTESTTU', src);
    await assert.rejects(loadDataset('GFTESTTU', quiet), /checksum mismatch/);
    // a corrupt archive (first download of another URL): error, no folder, no temporary left
    registerDataset({ name: 'GFTESTTU2', format: 'tu', description: 'test', url: `http://127.0.0.1:${port}/x.zip` });
    body = Buffer.from('this is not a zip');
    await assert.rejects(loadDataset('GFTESTTU2', quiet), /not a ZIP/);
    assert.deepEqual(readdirSync(cacheDir).sort(), ['checksums.json']);
    await assert.rejects(loadDataset('GFTESTTU2', { ...quiet, download: false }), /downloads are off/);
  } finally {
    server.close();
  }
  // offline: one clear line naming the URL and --data-root
  registerDataset({ name: 'GFTESTTU3', format: 'tu', description: 'test', url: `http://127.0.0.1:${port}/gone.zip` });
  await assert.rejects(loadDataset('GFTESTTU3', { cacheDir, log: () => {} }), (e: Error) => {
    assert.match(e.message, new RegExp(`cannot download GFTESTTU3 from http://127\\.0\\.0\\.1:${port}/gone\\.zip`));
    assert.match(e.message, /--data-root/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  rmSync(cacheDir, { recursive: true }); rmSync(src, { recursive: true });
});

test('registry: unknown names, missing local folders, TU folders by name, lazily wired loaders', async () => {
  await assert.rejects(loadDataset('NOPE'), /unknown dataset "NOPE". Known: MUTAG/);
  const root = tmp();
  try {
    await assert.rejects(loadDataset('PROTEINS', { root }), /does not exist/);
    mkdirSync(join(root, 'MYTU'));
    for (const f of readdirSync(join(packageRoot(), 'data', 'MUTAG'))) {
      if (f.endsWith('.txt')) writeFileSync(join(root, 'MYTU', f.replace('MUTAG', 'MYTU')), readFileSync(join(packageRoot(), 'data', 'MUTAG', f)));
    }
    assert.equal((await loadDataset('MYTU', { root })).graphs.length, 188);
  } finally { rmSync(root, { recursive: true }); }
  await assert.rejects(loadDataset('molecule-csv'), /needs a file: pass loadDataset\('molecule-csv', \{ path: 'file.csv' \}\)/);
  // lazily wired generator: options pass through
  const sbm = await loadDataset('CLUSTER', { options: { seed: 1, sizes: { train: 3, val: 1, test: 1 } } });
  assert.equal(sbm.graphs.length, 5);
  assert.deepEqual(Array.from(sbm.officialSplit!.test), [4]);
});

test('registry: the preset datasets are exactly the presets\' ones; edge features as loaded; search roots', async () => {
  const presetNames = new Set(Object.values(PRESETS).map((p) => p.dataset));
  assert.deepEqual(new Set(presetDatasets().map((e) => e.name)), presetNames);
  assert.equal(getDatasetEntry('proteins')?.name, 'PROTEINS');
  assert.equal(getDatasetEntry('IMDB-MULTI')?.preset, undefined); // known, loadable, but no preset
  // edgeFeatures says what loading gives (bundled MUTAG has edge labels; PROTEINS from the staged folder none).
  assert.equal(getDatasetEntry('MUTAG')!.edgeFeatures, true);
  assert.equal((await loadDataset('MUTAG')).edgeCatDims.length > 0, true);
  const shared = join(packageRoot(), '..', 'shared', 'datasets');
  if (existsSync(join(shared, 'PROTEINS'))) {
    assert.equal(!!getDatasetEntry('PROTEINS')!.edgeFeatures, (await loadDataset('PROTEINS', { root: shared })).edgeCatDims.length > 0);
  }
  assert.equal(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).name, 'gradformer');
  assert.deepEqual(dataRoots('some/dir'), [join(process.cwd(), 'some', 'dir')]);
  assert.ok(dataRoots().includes(join(packageRoot(), 'data')));
  assert.equal(findDatasetDir('MUTAG', join(packageRoot(), 'data')), join(packageRoot(), 'data', 'MUTAG'));
  assert.equal(findDatasetDir('NOPE', join(packageRoot(), 'data')), null);
});

test('LapPE through the preprocessing path equals lapPE()', async () => {
  const { lapPE } = await import('../src/graph/lappe.js');
  const ds = await loadDataset('MUTAG');
  const pre = await computePre(ds.graphs.slice(0, 20), { kind: 'lappe', dim: 4 }, false);
  for (let g = 0; g < 20; g++) assert.deepEqual(pre[g].pe, lapPE(ds.graphs[g].numNodes, ds.graphs[g].edgeIndex, 4));
});
