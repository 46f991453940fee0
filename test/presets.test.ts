// Official presets: each resolves to a valid config with plausible dataset dims, lookup errors
// name the accepted datasets, and NCI1/ZINC agree with ../shared/reference/bench_epoch.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveConfig, type GradformerConfig } from '../src/models/config.js';
import { PRESETS, getPreset } from '../src/models/presets.js';

/** Dataset-derived fields as the official loaders produce them (load_data.py). */
const DIMS: Record<string, Pick<GradformerConfig, 'node_dim' | 'edge_dim' | 'num_tasks' | 'task'>> = {
  NCI1: { node_dim: 37, edge_dim: 1, num_tasks: 2, task: 'multi_class' },
  PROTEINS: { node_dim: 3, edge_dim: 1, num_tasks: 2, task: 'multi_class' },
  MUTAG: { node_dim: 7, edge_dim: 1, num_tasks: 2, task: 'multi_class' },
  'IMDB-BINARY': { node_dim: 136, edge_dim: 1, num_tasks: 2, task: 'multi_class' },
  COLLAB: { node_dim: 492, edge_dim: 1, num_tasks: 3, task: 'multi_class' },
  ZINC: { node_dim: 28, edge_dim: 4, num_tasks: 1, task: 'regression' },
  CLUSTER: { node_dim: 7, edge_dim: 1, num_tasks: 6, task: 'node_multi_class' },
  PATTERN: { node_dim: 3, edge_dim: 1, num_tasks: 2, task: 'node_multi_class' },
  'ogbg-molhiv': { node_dim: 9, edge_dim: 3, num_tasks: 1, task: 'binary_class' },
};

test('the nine official datasets are present, and only they', () => {
  assert.deepEqual(Object.keys(PRESETS).sort(), Object.keys(DIMS).sort());
});

test('every preset resolves with its dataset dims and keeps its own values', () => {
  for (const [name, p] of Object.entries(PRESETS)) {
    assert.equal(p.name, name);
    for (const k of ['node_dim', 'edge_dim', 'num_tasks', 'task'] as const) {
      assert.ok(!(k in p.model), `${name}: model must not fix dataset-derived ${k}`);
    }
    const c = resolveConfig({ ...p.model, ...DIMS[name] });
    for (const [k, v] of Object.entries(p.model)) assert.deepEqual(c[k as keyof GradformerConfig], v, `${name}.${k}`);
    assert.equal(p.train.pe.dim, c.pe_origin_dim, `${name}: PE width = pe_origin_dim`);
    assert.ok(p.sources.length > 0 && p.notes.length > 0, `${name}: sources and notes`);
    // Official protocol facts shared by every preset (main.py): no effective clipping, per-epoch stepping.
    assert.equal(p.train.clip_effective, false);
    assert.equal(p.train.scheduler_step, 'epoch');
  }
});

test('resolveConfig refuses a key it does not know (a misspelt num_layers would train 10 layers silently)', () => {
  const ok = { ...PRESETS.MUTAG.model, ...DIMS.MUTAG };
  assert.equal(resolveConfig({ ...ok, decay: false }).decay, false); // ours, optional: accepted
  const typo = { ...ok, num_layer: 12, gama: 0.5 } as Partial<GradformerConfig>;
  assert.throws(() => resolveConfig(typo), /^Error: config: unknown options "num_layer" \(did you mean num_layers\?\), "gama" \(did you mean gamma\?\); accepted: mpnn, channels, nhead, num_layers, gamma, /);
});

test('protocol follows the official optimiser / split / selection rules per dataset', () => {
  for (const [name, p] of Object.entries(PRESETS)) {
    const tu = ['NCI1', 'PROTEINS', 'MUTAG', 'IMDB-BINARY', 'COLLAB'].includes(name);
    assert.equal(p.train.optimizer, tu ? 'adam' : 'adamw', name);
    assert.equal(p.train.scheduler, tu ? 'none' : 'warmup_cosine', name);
    assert.equal(p.train.split, tu ? 'random_80_10_10' : 'official', name);
    assert.equal(p.train.selection, name === 'ZINC' ? 'min_val' : 'max_val', name);
    assert.equal(p.train.pe.kind, name === 'CLUSTER' || name === 'PATTERN' ? 'lappe' : 'rwse', name);
  }
  const hiv = getPreset('ogbg-molhiv');
  assert.deepEqual(hiv.model.gatedgcn, { residual: true, equivstable_pe: true, dropout: 0 });
  assert.equal(getPreset('CLUSTER').model.gatedgcn?.equivstable_pe, false);
  assert.ok(hiv.notes.some((n) => /channels - pe_dim - 1/.test(n)), 'molhiv notes the atom encoder deviation');
});

test('getPreset is case-insensitive and lists the accepted names on error', () => {
  assert.equal(getPreset('nci1'), PRESETS.NCI1);
  assert.equal(getPreset('OGBG-MOLHIV'), PRESETS['ogbg-molhiv']);
  assert.equal(getPreset('imdb-binary'), PRESETS['IMDB-BINARY']);
  assert.throws(() => getPreset('QM9'), (e: Error) => {
    assert.match(e.message, /unknown dataset "QM9"/);
    for (const k of Object.keys(PRESETS)) assert.ok(e.message.includes(k), `lists ${k}`);
    return true;
  });
});

// bench_epoch.py encodes the official NCI1 and ZINC settings; read the values out of its source.
const BENCH = readFileSync(new URL('../../shared/reference/bench_epoch.py', import.meta.url), 'utf8');
function kw(src: string, key: string): string {
  const m = new RegExp(`[(,\\s]${key}=([^,)\\n]+)`).exec(src);
  assert.ok(m, `bench_epoch.py: no ${key}=`);
  return m[1].trim();
}
function argDefault(flag: string): string {
  const m = new RegExp(`'--${flag}'[^\\n]*default=([^,)\\s]+)`).exec(BENCH);
  assert.ok(m, `bench_epoch.py: no --${flag} default`);
  return m[1];
}

test('NCI1 agrees with bench_epoch.py (official NCI1 settings)', () => {
  const tuPart = BENCH.slice(BENCH.indexOf('def main():'), BENCH.indexOf('def main_zinc'));
  const p = getPreset('NCI1');
  assert.equal(p.model.num_layers, Number(argDefault('layers')));
  assert.equal(p.model.channels, Number(argDefault('channels')));
  assert.equal(p.model.nhead, Number(argDefault('heads')));
  assert.equal(p.train.batch_size, Number(argDefault('batch')));
  assert.equal(p.model.gamma, Number(argDefault('gamma')));
  assert.equal(p.model.n_hop, Number(argDefault('n_hop')));
  assert.equal(p.model.slope, Number(kw(tuPart, 'slope')));
  assert.equal(p.model.pe_norm, kw(tuPart, 'pe_norm') === 'True');
  assert.equal(`'${p.model.projection}'`, kw(tuPart, 'projection'));
  assert.equal(`'${p.model.node_method}'`, kw(tuPart, 'node_method'));
  assert.equal(`'${p.model.edge_method}'`, kw(tuPart, 'edge_method'));
  assert.equal(p.model.pe_origin_dim, Number(kw(tuPart, 'pe_origin_dim')));
  assert.equal(p.model.dropout, Number(kw(tuPart, 'dropout')));
  assert.equal(p.model.attn_dropout, Number(kw(tuPart, 'attn_dropout')));
  assert.match(tuPart, new RegExp(`G\\.Gradformer\\(args, [^)]*'${p.model.mpnn}', '${p.model.pool}'\\)`));
  assert.match(tuPart, /torch\.optim\.Adam\(/);
  assert.equal(p.train.optimizer, 'adam');
  assert.equal(p.train.lr, Number(kw(tuPart, 'lr')));
  assert.equal(p.train.weight_decay, Number(kw(tuPart, 'weight_decay')));
  assert.match(tuPart, /random_walk_pe\([^)]*, 20\)/);
  assert.equal(p.train.pe.dim, 20);
  assert.match(tuPart, /\* 0\.8\)/); // 80 % training share, as the official random split
  assert.match(tuPart, /loss_fn\('multi_class'/);
  assert.equal(p.train.loss, 'cross_entropy');
});

test('ZINC agrees with bench_epoch.py (official ZINC settings)', () => {
  const z = BENCH.slice(BENCH.indexOf('def main_zinc'));
  const p = getPreset('ZINC');
  assert.match(z, new RegExp(`layers if a\\.layers != 4 else ${p.model.num_layers}\\b`));
  assert.match(z, new RegExp(`batch if a\\.batch != 128 else ${p.train.batch_size}\\b`));
  assert.equal(p.model.gamma, Number(kw(z, 'gamma')));
  assert.equal(p.model.n_hop, Number(kw(z, 'n_hop')));
  assert.equal(p.model.slope, Number(kw(z, 'slope')));
  assert.equal(p.model.pe_norm, kw(z, 'pe_norm') === 'True');
  assert.equal(`'${p.model.projection}'`, kw(z, 'projection'));
  assert.equal(`'${p.model.node_method}'`, kw(z, 'node_method'));
  assert.equal(`'${p.model.edge_method}'`, kw(z, 'edge_method'));
  assert.equal(p.model.pe_origin_dim, Number(kw(z, 'pe_origin_dim')));
  assert.equal(p.model.pe_dim, Number(kw(z, 'pe_dim')));
  assert.equal(p.model.dropout, Number(kw(z, 'dropout')));
  assert.equal(p.model.attn_dropout, Number(kw(z, 'attn_dropout')));
  assert.match(z, new RegExp(`G\\.Gradformer\\(args, 28, 4, 1, '${p.model.mpnn}', '${p.model.pool}'\\)`));
  assert.match(z, /torch\.optim\.AdamW\(/);
  assert.equal(p.train.optimizer, 'adamw');
  assert.equal(p.train.lr, Number(kw(z, 'lr')));
  assert.equal(p.train.weight_decay, Number(kw(z, 'weight_decay')));
  assert.match(z, /loss_fn\('regression'/);
  assert.equal(p.train.loss, 'l1');
  assert.equal(p.model.channels, 64);
  assert.equal(p.model.nhead, 4);
});
