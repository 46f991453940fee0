// Pins the exact values (sha256 of the bytes, so every bit) of each preprocessing
// algorithm on real graphs to its version in src/data/pre_versions.ts: a change of
// values without a version bump fails, and so does a bump without new pins.
// Also: a bumped version makes the cache recompute, and `cleanCache` removes the
// entries of other versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../src/data/registry.js';
import { cacheFile, computePre, preprocessDataset, structureKey } from '../src/data/preprocess.js';
import { cleanCache, listCache, preprocessCacheDir, writePreCache } from '../src/data/cache.js';
import { cacheVersions, PRE_VERSIONS, PRE_VERSIONS_FILE, type PreVersions } from '../src/data/pre_versions.js';
import { shortestPathDistances } from '../src/graph/spd.js';
import { randomWalkPE } from '../src/graph/rwse.js';
import { lapPE } from '../src/graph/lappe.js';
import { loadRDKit } from '../src/chem/rdkit.js';
import { ogbFeaturiser } from '../src/chem/ogb.js';
import { zincFeaturiser } from '../src/chem/zinc.js';
import type { MolGraphParts } from '../src/chem/featuriser.js';

type Algo = keyof PreVersions;

/**
 * The pinned values: per algorithm, the version they belong to and the sha256 of
 * the output bytes for each graph. To re-pin after a deliberate change: bump the
 * version in src/data/pre_versions.ts, run this test, and copy the digests its
 * failure message prints.
 */
const PINS: Record<Algo, { version: number; digests: Record<string, string> }> = {
  spd: {
    version: 1,
    digests: {
      'MUTAG #0': '57e9ec2dde288cf859619a9b462d0e11c7bd145f97d17326587efa6e04129803',
      'MUTAG #1': 'cfe9f07fef22c3103144ad0104fac6c28382ff3543a4de346ef916d9cc447b7a',
      'NCI1 #548': 'f74dc8ef8edc8ebd535307c28c3c58d248accb6dd51f3be8c71668319625f3d3',
      'ZINC test #0': '2c260c4efcbcee0f7f1fabe2220d9ee542d090052155537a7e28fa9875fb12b9',
    },
  },
  rwse: {
    version: 2,
    digests: {
      'MUTAG #0': 'ba30c6a17df738dab5c354a80b25091b1a7ec8b00a1c5336df10b703725f190a',
      'MUTAG #1': 'dee793402105b31fe29df953a827d8ccd4ccb6d9847b11cc5d5a34b70e96190d',
      'NCI1 #548': '2d22b88751fda3d159a5d0cbf06cc80bafe8b7dc2172cd50e772432a238a94cf',
      'ZINC test #0': '31e0ee3e32209a56552074bfb9fb205b3d92ee8063486365f7ecce8a589ef6c1',
    },
  },
  lappe: {
    version: 1,
    digests: {
      'MUTAG #0': '298471e95630b0f4cf2a59e58950dc1a310e1c05ad7c5a68ae292b8b9afedb8f',
      'MUTAG #1': '5cee6db3531247922b4c43c3ff355496019133a08544b01a1ec4b08915742408',
      'NCI1 #548': '1a496247df2e792291f25cacface62569c5edfb03caa63c5b85dde15b13d7240',
      'ZINC test #0': '11daff742da6fbb93323e7f4e890ae98fbb0a382752e869e61494533e37ef7c7',
    },
  },
  featuriser_ogb: {
    version: 1,
    digests: {
      'Clc1ccc(CNc2ncccc2Cl)cn1': 'a63dbed35dda8d12218d6f5befe2affaf76aa88b9833e033efc1b5ce9047ea69',
    },
  },
  featuriser_zinc: {
    version: 1,
    digests: {
      'Clc1ccc(CNc2ncccc2Cl)cn1': '35f23bbd34afa854bc9b09d436786aa3d808ba026b510a987f0f4cc87b4f7b3f',
    },
  },
};

/** A ZINC molecule (ZINC/subset/test.jsonl, idx 0): 16 atoms, two aromatic rings. */
const ZINC_SMILES = 'Clc1ccc(CNc2ncccc2Cl)cn1';

const sha = (...parts: ArrayBufferView[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
};
const featDigest = (m: MolGraphParts) => sha(Int32Array.of(m.numNodes), m.edgeIndex, m.nodeCat, m.edgeCat);

/**
 * NCI1 graph 548 (11 nodes, 20 directed edges; node 0 isolated): one of the 4 NCI1
 * graphs whose RWSE values commit ec1307d changed (2 of 220 values, in the last
 * bits), the change that motivated versions. RWSE v1 (before ec1307d) gave these
 * bytes the sha256 below; MUTAG's and the ZINC molecule's values did not change.
 */
const NCI1_548 = { n: 11, edgeIndex: Int32Array.of(
  1, 1, 2, 3, 4, 4, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
  8, 9, 4, 10, 2, 5, 6, 7, 4, 8, 4, 9, 4, 10, 1, 5, 1, 6, 3, 7) };
const NCI1_548_RWSE_V1 = '7a33e7a6c77c0ff3db4995eed7bf2e7ae650f6f259f8718fd56923b9afbcc594';

/** The structures pinned: MUTAG graphs 0 and 1 (bundled in data/), NCI1 graph 548 and the ZINC molecule. */
async function pinnedGraphs(): Promise<Record<string, { n: number; edgeIndex: Int32Array }>> {
  const mutag = await loadDataset('MUTAG');
  const mol = zincFeaturiser(await loadRDKit()).featurise(ZINC_SMILES);
  return {
    'MUTAG #0': { n: mutag.graphs[0].numNodes, edgeIndex: mutag.graphs[0].edgeIndex },
    'MUTAG #1': { n: mutag.graphs[1].numNodes, edgeIndex: mutag.graphs[1].edgeIndex },
    'NCI1 #548': NCI1_548,
    'ZINC test #0': { n: mol.numNodes, edgeIndex: mol.edgeIndex },
  };
}

/** Output of each algorithm on each pinned input; `alter` may change an output before it is hashed (the negative test). */
async function outputs(alter?: (algo: Algo, graph: string, values: Float32Array | Uint16Array) => void): Promise<Record<Algo, Record<string, string>>> {
  const graphs = await pinnedGraphs();
  const out = { spd: {}, rwse: {}, lappe: {}, featuriser_ogb: {}, featuriser_zinc: {} } as Record<Algo, Record<string, string>>;
  for (const [name, g] of Object.entries(graphs)) {
    const values: [Algo, Float32Array | Uint16Array][] = [
      ['spd', shortestPathDistances(g.n, g.edgeIndex)], ['rwse', randomWalkPE(g.n, g.edgeIndex, 20)], ['lappe', lapPE(g.n, g.edgeIndex, 8)],
    ];
    for (const [algo, v] of values) { alter?.(algo, name, v); out[algo][name] = sha(v); }
  }
  const rd = await loadRDKit();
  out.featuriser_ogb[ZINC_SMILES] = featDigest(ogbFeaturiser(rd).featurise(ZINC_SMILES));
  out.featuriser_zinc[ZINC_SMILES] = featDigest(zincFeaturiser(rd).featurise(ZINC_SMILES));
  return out;
}

/** Why the values of `algo` at `version` do not match the pins, or null when they do. */
function pinFailure(algo: Algo, version: number, actual: Record<string, string>): string | null {
  const pin = PINS[algo];
  const now = JSON.stringify(actual);
  if (version !== pin.version) {
    return `${algo} is version ${version} in ${PRE_VERSIONS_FILE} but pinned for version ${pin.version}: ` +
      `set PINS.${algo} in test/pre_versions.test.ts to { version: ${version}, digests: ${now} }`;
  }
  for (const [g, d] of Object.entries(actual)) {
    if (pin.digests[g] !== d) {
      return `${algo} values of ${g} changed without a version bump (sha256 ${d}, pinned ${pin.digests[g] ?? 'none'}): ` +
        `bump the version of ${algo} in ${PRE_VERSIONS_FILE} (cached values of the old version must not be reused), then re-pin: digests ${now}`;
    }
  }
  return null;
}

test('preprocessing values match the pins of their versions (SPD, RWSE, LapPE, featurisers)', async () => {
  const out = await outputs();
  for (const algo of Object.keys(PINS) as Algo[]) {
    assert.equal(pinFailure(algo, PRE_VERSIONS[algo], out[algo]), null);
  }
});

test('a changed RWSE value without a version bump fails the pin check, naming the file to bump; a bump without new pins fails too', async () => {
  // One RWSE value of one graph moves by one unit in the last place, as a reordered sum would move it.
  const out = await outputs((algo, graph, v) => {
    if (algo === 'rwse' && graph === 'MUTAG #1') new Uint32Array(v.buffer, v.byteOffset, v.length)[37] ^= 1;
  });
  const msg = pinFailure('rwse', PRE_VERSIONS.rwse, out.rwse);
  assert.match(msg ?? '', /^rwse values of MUTAG #1 changed without a version bump .*bump the version of rwse in src\/data\/pre_versions\.ts/);
  // the other algorithms and graphs are untouched
  assert.equal(pinFailure('spd', PRE_VERSIONS.spd, out.spd), null);
  assert.equal(pinFailure('rwse', PRE_VERSIONS.rwse, { ...out.rwse, 'MUTAG #1': PINS.rwse.digests['MUTAG #1'] }), null);
  assert.match(pinFailure('rwse', PRE_VERSIONS.rwse + 1, out.rwse) ?? '', /but pinned for version/);
});

test('the pins tell RWSE v1 from v2: the values before ec1307d fail the check at version 2', async () => {
  const out = await outputs();
  assert.notEqual(NCI1_548_RWSE_V1, PINS.rwse.digests['NCI1 #548']);
  assert.match(pinFailure('rwse', 2, { ...out.rwse, 'NCI1 #548': NCI1_548_RWSE_V1 }) ?? '', /^rwse values of NCI1 #548 changed without a version bump/);
});

test('cache: an entry of another version is not reused (recomputed), and cleanCache removes it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gf-versions-'));
  try {
    const ds = await loadDataset('MUTAG');
    const pe = { kind: 'rwse' as const, dim: 8 };
    const old: PreVersions = { ...PRE_VERSIONS, rwse: PRE_VERSIONS.rwse - 1 };
    const fresh = await computePre(ds.graphs, pe, false);
    // A cache written by the older version, whose values differ (here: all PE zero), as a user who upgrades has it.
    const sizes = Int32Array.from(ds.graphs, (g) => g.numNodes);
    const oldKey = structureKey(ds.graphs, pe, old);
    writePreCache(cacheFile(root, ds.name, pe, oldKey), oldKey, sizes, fresh.map((p) => ({ spd: p.spd, pe: new Float32Array(p.pe.length) })),
      pe.dim, { peKind: 'rwse', versions: cacheVersions('rwse', old) });
    // the old code reads its own entry back...
    const reused = await preprocessDataset(ds, { pe, cacheDir: root, progress: false, versions: old });
    assert.ok(reused.every((p) => p.pe.every((x) => x === 0)));
    // ...the current version does not: it recomputes and writes its own entry
    const now = await preprocessDataset(ds, { pe, cacheDir: root, progress: false });
    for (let g = 0; g < ds.graphs.length; g++) assert.deepEqual(now[g].pe, fresh[g].pe);
    assert.equal(readdirSync(preprocessCacheDir(root)).length, 2);
    // a file from before versions existed (no versions in its header) is stale too
    const legacy = Buffer.from(JSON.stringify({ key: 'x', numGraphs: 0, peDim: 8, nodes: 0, spd: 0 }));
    const head = Buffer.alloc(12); head.write('GFPRE001', 0, 'latin1'); head.writeUInt32LE(legacy.length, 8);
    mkdirSync(preprocessCacheDir(root), { recursive: true });
    writeFileSync(join(preprocessCacheDir(root), 'MUTAG-rwse8-legacy.gfpre'), Buffer.concat([head, legacy]));
    const entries = listCache(root);
    assert.deepEqual(entries.map((e) => [e.current, e.versions?.rwse ?? null, e.readable]).sort(),
      [[false, null, true], [false, PRE_VERSIONS.rwse - 1, true], [true, PRE_VERSIONS.rwse, true]].sort());
    const gone = cleanCache(root);
    assert.equal(gone.length, 2);
    const left = listCache(root);
    assert.equal(left.length, 1);
    assert.ok(left[0].current);
    // what is left is the current entry, read back without recomputing
    const again = await preprocessDataset(ds, { pe, cacheDir: root, progress: false });
    assert.deepEqual(again[3].pe, fresh[3].pe);
  } finally { rmSync(root, { recursive: true }); }
});
