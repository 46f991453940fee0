// Any TU dataset by name (issue #18): a folder <root>/<NAME>/ in the TU text format
// trains under a name the code has never seen, with the generic preset; `datasets
// --data-root` describes what the folder holds; bad names and bad files fail in one
// line naming the folder, file and line.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { describeTU } from '../src/data/tu_describe.js';
import { genericTuPreset, getPreset, GENERIC_TU, PRESETS } from '../src/models/presets.js';
import { datasetInfo, loadDatasetByName } from '../src/train/data.js';
import { buildRunConfig } from '../src/train/runconfig.js';
import { cliRunner, type CliResult } from './cli_helpers.js';

const root = mkdtempSync(join(tmpdir(), 'gf-tuany-'));
after(() => rmSync(root, { recursive: true, force: true }));
const cli = cliRunner(join(root, 'home'));
const tiny = ['--layers', '1', '--channels', '24', '--heads', '2', '--epochs', '1', '--quiet'];

interface Spec { graphs: number; classes: number; nodeLabels?: number; nodeAttr?: number; edgeLabels?: number; raw?: boolean; targets?: number }

/**
 * Writes a TU dataset <root>/<name>/ (or <root>/<name>/raw/): graph g is a ring of
 * 4 + g % 5 nodes plus a chord, both directions listed, class g % classes; node labels
 * 1..k (1-based, as many TU files), attributes i * 0.5, edge labels 0..k-1; with
 * `targets`, regression values (NAME_graph_attributes.txt) instead of classes.
 */
function writeTU(name: string, s: Spec, into = root): void {
  const dir = s.raw ? join(into, name, 'raw') : join(into, name);
  mkdirSync(dir, { recursive: true });
  const A: string[] = [], ind: string[] = [], gl: string[] = [], nl: string[] = [], na: string[] = [], el: string[] = [];
  let base = 1;
  for (let g = 0; g < s.graphs; g++) {
    const n = 4 + (g % 5);
    for (let i = 0; i < n; i++) {
      ind.push(String(g + 1));
      nl.push(String(1 + ((i + g) % (s.nodeLabels ?? 1))));
      na.push(Array.from({ length: s.nodeAttr ?? 0 }, (_, c) => ((i + c) * 0.5).toFixed(6)).join(', '));
    }
    const pairs: [number, number][] = [];
    for (let i = 0; i < n; i++) pairs.push([i, (i + 1) % n]);
    pairs.push([0, 2]);
    for (const [a, b] of pairs) {
      for (const [u, v] of [[a, b], [b, a]]) { A.push(`${base + u}, ${base + v}`); el.push(String((a + b) % (s.edgeLabels ?? 1))); }
    }
    gl.push(s.targets ? Array.from({ length: s.targets }, (_, c) => (n * 0.25 + c).toFixed(3)).join(', ') : String(g % s.classes));
    base += n;
  }
  const put = (part: string, lines: string[]) => writeFileSync(join(dir, `${name}_${part}.txt`), lines.join('\n') + '\n');
  put('A', A); put('graph_indicator', ind); put(s.targets ? 'graph_attributes' : 'graph_labels', gl);
  if (s.nodeLabels) put('node_labels', nl);
  if (s.nodeAttr) put('node_attributes', na);
  if (s.edgeLabels) put('edge_labels', el);
}

// Names no registry or preset knows; one in the raw/ layout, one without node labels.
writeTU('QUUXMOL', { graphs: 30, classes: 3, nodeLabels: 4, nodeAttr: 2, edgeLabels: 3 });
writeTU('ZORB-NET', { graphs: 20, classes: 2, raw: true });
writeTU('RGX', { graphs: 20, classes: 0, nodeLabels: 2, targets: 1 });

function oneLine(r: CliResult, re: RegExp): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(add --help'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^gradformer: error: /);
  assert.match(lines[0], re);
}

test('the generic TU preset is the no-script TU presets\' model and protocol', () => {
  const g = genericTuPreset('QUUXMOL');
  assert.equal(g.name, GENERIC_TU);
  assert.equal(g.dataset, 'QUUXMOL');
  assert.deepEqual(g.model, PRESETS.PROTEINS.model);
  assert.deepEqual(g.train, PRESETS.PROTEINS.train);
  assert.equal(g.train.optimizer, 'adam');
  assert.equal(g.model.num_layers, 10);
  const r = genericTuPreset('RGX', true);
  assert.deepEqual([r.train.loss, r.train.metric, r.train.selection], ['l1', 'mae', 'min_val']);
  assert.deepEqual(r.model, g.model);
  assert.throws(() => getPreset('QUUXMOL'), /accepted: .*TU, the generic preset/);
});

test('an unseen TU name loads from the data root (node attributes and edge labels; raw/ layout; degree features)', async () => {
  assert.equal(datasetInfo('QUUXMOL', root).format, 'tu');
  assert.equal(datasetInfo('quuxmol', root).name, 'QUUXMOL'); // another case of the folder's name
  const ds = await loadDatasetByName('QUUXMOL', root);
  assert.equal(ds.graphs.length, 30);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual(ds.nodeCatDims, [4]);
  assert.equal(ds.nodeFeatDim, 4); // attributes off for training, as PyG's default in the official code
  assert.deepEqual(ds.edgeCatDims, [3]);
  assert.equal(ds.graphs[0].numNodes, 4);
  assert.equal(ds.graphs[0].edgeIndex.length / 2, 10); // 5 undirected pairs (ring of 4 + chord 0-2), both directions
  const z = await loadDatasetByName('ZORB-NET', root);
  assert.equal(z.graphs.length, 20);
  // No node labels: one-hot degree; the largest degree is 3 (chord ends of a ring), so width 4.
  assert.equal(z.nodeFeatDim, 4);
  assert.match(z.nodeFeatNote ?? '', /one-hot out-degree \(max degree 3/);
  const run = buildRunConfig(z, GENERIC_TU, {}, 0);
  assert.equal(run.preset, GENERIC_TU);
  assert.equal(run.model.node_dim, 4);
  assert.equal(run.model.num_tasks, 2);
});

test('describeTU reports graphs, classes and the widths of labels and attributes', () => {
  const d = describeTU(join(root, 'QUUXMOL'), 'QUUXMOL');
  assert.deepEqual(d, {
    name: 'QUUXMOL', graphs: 30, classes: 3, targets: 0, nodeLabels: [4], nodeAttributes: 2, edgeLabels: [3], edgeAttributes: 0,
    nodeFeatures: 'one-hot node labels (4)',
  });
  const z = describeTU(join(root, 'ZORB-NET'), 'ZORB-NET');
  assert.equal(z.graphs, 20);
  assert.deepEqual(z.nodeLabels, []);
  assert.equal(z.nodeFeatures, 'degree (no node labels)');
});

test('gradformer train / experiment take the unseen names; datasets --data-root lists them', async () => {
  const [tr, ex, ls, rg] = await Promise.all([
    cli('train', '--data-root', root, '--dataset', 'QUUXMOL', ...tiny, '--out', join(root, 'runs', 'q')),
    cli('experiment', '--data-root', root, '--preset', 'ZORB-NET', '--runs', '2', ...tiny, '--out', join(root, 'runs', 'z')),
    cli('datasets', '--data-root', root),
    cli('train', '--data-root', root, '--dataset', 'RGX', ...tiny, '--out', join(root, 'runs', 'r'))]);
  assert.equal(tr.code, 0, tr.stderr);
  // A regression set (graph attributes) trains with the L1 loss and MAE.
  assert.equal(rg.code, 0, rg.stderr);
  assert.match(rg.stdout, /^RGX: best epoch 1, val mae [\d.]+, test mae/);
  const rcfg = JSON.parse(readFileSync(join(root, 'runs', 'r', 'config.json'), 'utf8'));
  assert.deepEqual([rcfg.preset, rcfg.train.loss, rcfg.train.metric, rcfg.train.selection, rcfg.model.task], [GENERIC_TU, 'l1', 'mae', 'min_val', 'regression']);
  assert.match(tr.stdout, /^QUUXMOL: best epoch 1, val accuracy/);
  const cfg = JSON.parse(readFileSync(join(root, 'runs', 'q', 'config.json'), 'utf8'));
  assert.equal(cfg.dataset, 'QUUXMOL');
  assert.equal(cfg.preset, GENERIC_TU);
  assert.equal(cfg.model.node_dim, 4);
  assert.equal(cfg.model.num_tasks, 3);
  assert.equal(cfg.train.batch_size, 32);
  // The run's dataset reloads by name from its recorded data root: eval and predict need no --data-root.
  const [ev, pr] = await Promise.all([
    cli('eval', '--checkpoint', join(root, 'runs', 'q'), '--json'),
    cli('predict', '--checkpoint', join(root, 'runs', 'q'), '--split', 'all', '--format', 'json')]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.deepEqual({ ...JSON.parse(ev.stdout), value: 0, checkpoint: '' }, { checkpoint: '', dataset: 'QUUXMOL', split: 'test', graphs: 3, epoch: 1, metric: 'accuracy', value: 0 });
  assert.equal(pr.code, 0, pr.stderr);
  assert.equal(JSON.parse(pr.stdout).dataset, 'QUUXMOL');
  assert.equal(JSON.parse(pr.stdout).predictions.length, 30);
  assert.equal(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, /^ZORB-NET \(preset TU\) \(seeds, 2 runs\)/);
  assert.match(readFileSync(join(root, 'runs', 'z', 'results.md'), 'utf8'), /^# preset TU on ZORB-NET: 2 runs/);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /^ {2}QUUXMOL\s+30\s+3\s+4\s+2\s+3\s+-\s+TU \(generic\)$/m);
  assert.match(ls.stdout, /^ {2}ZORB-NET\s+20\s+2\s+-\s+-\s+-\s+-\s+TU \(generic\)$/m);
  assert.match(ls.stdout, /^ {2}RGX\s+20\s+regression \(1\)\s+2\s+-\s+-\s+-\s+TU \(generic\)$/m);
});

test('unknown names list what the data root holds; malformed files name the file and line', async () => {
  const bad = join(root, 'bad');
  writeTU('BROKEN', { graphs: 4, classes: 2, nodeLabels: 2 }, bad);
  writeFileSync(join(bad, 'BROKEN', 'BROKEN_A.txt'), '1, 2\n2, x\n');
  writeTU('SHORT', { graphs: 4, classes: 2, edgeLabels: 2 }, bad);
  writeFileSync(join(bad, 'SHORT', 'SHORT_edge_labels.txt'), '0\n1\n');
  writeTU('TWO', { graphs: 6, classes: 0, targets: 2 }, bad);
  const [unknown, broken, short, pre, listing, two] = await Promise.all([
    cli('train', '--data-root', root, '--dataset', 'NOPE', ...tiny, '--out', join(root, 'runs', 'n')),
    cli('train', '--data-root', bad, '--dataset', 'BROKEN', ...tiny, '--out', join(root, 'runs', 'b')),
    cli('train', '--data-root', bad, '--dataset', 'SHORT', ...tiny, '--out', join(root, 'runs', 's')),
    cli('experiment', '--data-root', root, '--preset', 'TU', ...tiny, '--out', join(root, 'runs', 't')),
    cli('datasets', '--data-root', bad),
    cli('train', '--data-root', bad, '--dataset', 'TWO', ...tiny, '--out', join(root, 'runs', 'two'))]);
  oneLine(two, /dataset TWO has 2 regression targets per graph, and the L1 loss \(as the official code\) takes one/);
  oneLine(unknown, /unknown dataset 'NOPE': no preset, and no TU folder NOPE\/ .* holds the TU datasets QUUXMOL, RGX, ZORB-NET\); datasets with a preset: MUTAG/);
  oneLine(broken, /bad\/BROKEN\/BROKEN_A\.txt:2: "x" is not an integer/);
  oneLine(short, /SHORT_edge_labels\.txt:3: file ends after 2 lines; expected \d+/);
  oneLine(pre, /--preset TU is the generic preset of any TU dataset; name the dataset with --dataset NAME/);
  assert.equal(listing.code, 0, listing.stderr);
  assert.match(listing.stdout, /^ {2}BROKEN\s+error: .*BROKEN_A\.txt:2: /m);
});

test('a TU dataset whose graphs all have one class is refused (cross-entropy over one class learns nothing and scores 1)', async () => {
  const one = join(root, 'single');
  writeTU('MONO', { graphs: 20, classes: 1 }, one);
  oneLine(await cli('train', '--data-root', one, '--dataset', 'MONO', '--epochs', '1', '--out', join(root, 'mono-run')),
    /^gradformer: error: dataset MONO has graphs of one class only: nothing to learn; graph classification needs 2 or more classes in its labels$/);
  assert.equal(existsSync(join(root, 'mono-run')), false);
});
