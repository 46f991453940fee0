/**
 * The Predict tab: load a model shipped with the page (ZINC, ogbg-molhiv: one
 * click, nothing to train) or a trained run (drop or pick its config.json and
 * model.safetensors, or name a run folder on this site), predict for SMILES typed
 * one per line or read from a CSV's smiles column, and, for a selected molecule,
 * show the decay curve of every head and the attention over the molecule per
 * layer and head, drawn by the report's graph view. RDKit is fetched (from this
 * origin) only when a prediction is first asked for. Every failure becomes a
 * message in the tab.
 */
import { forceCenter, forceLink, forceManyBody, forceSimulation } from 'd3-force';
import { isMoleculeDataset, MOLECULE_DATASETS } from '../../../chem/molecule_graphs.js';
import { readSmilesCsv } from '../../../data/smiles.js';
import { GRAPH_DRAWING_CSS, graphDrawing, type GraphDrawing } from '../../../report/graph_draw.js';
import { predictionsCsv, type PredictionRow } from '../../../train/predict_rows.js';
import { useWasmKernels, wasmFileName } from '../../index.js';
import { loadModel, loadModelFromUrl, predictSmiles, shippedModelList, type LoadedModel, type SmilesPrediction } from '../../predict.js';
import type { ShippedModelAbout } from '../../../train/shipped_about.js';
import { el, type PageTab } from '../tabs.js';
import { atomNames } from './atoms.js';
import { decayChart } from './decay_chart.js';
import { pageRDKit, rdkitRequested } from './rdkit.js';

/** Rows shown in the table (all are predicted; a larger file is summarised). */
const MAX_ROWS = 1000;

const TAB_CSS = `
.drop { border: 2px dashed var(--line); border-radius: 6px; padding: 14px; margin-bottom: 8px; }
.drop.over { border-color: var(--accent); background: var(--soft); }
#predict-smiles { width: 100%; max-width: 640px; font-family: ui-monospace, monospace; }
table.preds { border-collapse: collapse; margin-top: 12px; font-variant-numeric: tabular-nums; }
table.preds td, table.preds th { border-bottom: 1px solid var(--line); padding: 2px 10px; text-align: left; }
table.preds tr[data-row] { cursor: pointer; }
table.preds tr.sel { background: #fff3d6; }
.pview { margin-top: 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin-top: 10px; }
`;

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

let kernelsNote: Promise<string> | null = null;
/**
 * The wasm kernels once per page; where they cannot load, or the page's URL has
 * ?kernels=ts (as for the Train tab), the TypeScript kernels stay (slower, the same numbers to ~1e-7).
 */
function kernelsReady(): Promise<string> {
  if (new URLSearchParams(location.search).get('kernels') === 'ts') return Promise.resolve('TypeScript kernels (?kernels=ts)');
  kernelsNote ??= useWasmKernels(new URL(wasmFileName(), document.baseURI)).then(
    () => 'WebAssembly kernels',
    (e: unknown) => `TypeScript kernels (the WebAssembly ones did not load: ${msg(e)})`);
  return kernelsNote;
}

/** One line on a shipped model: its run, epoch and test metric. */
function shippedSummary(a: ShippedModelAbout): string {
  return `epoch ${a.epoch} of ${a.epochs}${a.finished ? '' : ', run still training'}, test ${a.metric} ${a.test.toFixed(4)}, from ${a.source.split(',')[0]}`;
}

/** The text of a row's prediction for the table (the exact numbers are in data-values). */
function predictionText(r: PredictionRow): string[] {
  const f = (v: number) => (Number.isFinite(v) ? String(+v.toPrecision(6)) : String(v));
  if ('probabilities' in r) return [String(r.prediction), r.probabilities.map(f).join(', ')];
  if ('logits' in r) return [r.prediction.map(f).join(', ')];
  return [[r.prediction].flat().map(f).join(', ')];
}

function header(task: string): string[] {
  if (task === 'multi_class') return ['#', 'SMILES', 'class', 'probabilities'];
  if (task === 'binary_class') return ['#', 'SMILES', 'probability'];
  return ['#', 'SMILES', 'prediction'];
}

export const predictTab: PageTab = {
  id: 'predict',
  label: 'Predict',
  mount(panel) {
    const style = document.createElement('style');
    style.textContent = GRAPH_DRAWING_CSS + TAB_CSS;
    document.head.append(style);
    let model: LoadedModel | null = null;
    let drawing: GraphDrawing | null = null;
    let csvUrl: string | null = null;

    panel.append(el('h2', undefined, 'Predict with a trained model'));
    const modelBox = el('fieldset');
    modelBox.append(el('legend', undefined, 'Model'));
    const drop = el('div', 'drop');
    drop.id = 'predict-drop';
    const files = el('input');
    files.type = 'file'; files.multiple = true; files.accept = '.json,.safetensors'; files.id = 'predict-files';
    drop.append(el('span', undefined, 'Drop a run folder\'s config.json and best/model.safetensors here, or choose them: '), files);
    const url = el('input');
    url.type = 'text'; url.id = 'predict-url'; url.size = 40; url.placeholder = 'runs/my-zinc-run (a run folder on this site)';
    const loadUrl = el('button', undefined, 'Load from URL');
    loadUrl.type = 'button'; loadUrl.id = 'predict-load-url';
    const status = el('p', 'muted', 'No model loaded.');
    status.id = 'predict-model-status';
    const shipped = el('div');
    shipped.id = 'predict-shipped';
    modelBox.append(shipped, drop, el('label', undefined, 'or a run folder\'s URL: '), url, loadUrl, status);

    const molBox = el('fieldset');
    molBox.append(el('legend', undefined, 'Molecules'));
    const text = el('textarea');
    text.id = 'predict-smiles'; text.rows = 6; text.placeholder = 'One SMILES per line, e.g.\nCCO\nc1ccccc1';
    const csv = el('input');
    csv.type = 'file'; csv.accept = '.csv,text/csv'; csv.id = 'predict-csv';
    const run = el('button', 'primary', 'Predict');
    run.type = 'button'; run.id = 'predict-run';
    molBox.append(text, el('br'), el('label', undefined, 'or a CSV file with a smiles column: '), csv, el('br'), run);

    const message = el('p', 'error');
    message.id = 'predict-message'; message.hidden = true;
    const results = el('div');
    results.id = 'predict-results';
    const view = el('div', 'pview');
    view.id = 'predict-view';
    panel.append(modelBox, molBox, message, results, view);

    const say = (m: string | null): void => { message.textContent = m ?? ''; message.hidden = !m; };
    /** Runs a handler; its failure is a message in the tab (and data-state="error" for tests). */
    const guard = (what: string, fn: () => Promise<void>) => async (): Promise<void> => {
      say(null);
      panel.dataset.state = 'busy';
      try {
        await fn();
      } catch (e) {
        say(`${what}: ${msg(e)}`);
        panel.dataset.state = 'error';
      }
    };

    const useModel = async (m: LoadedModel, from: string): Promise<void> => {
      const kernels = await kernelsReady();
      model = m;
      results.replaceChildren();
      view.replaceChildren();
      const c = m.model.config;
      const hop = Array.from(m.model.hop.toHost(), (v) => v.toFixed(2)).join(', ');
      status.className = '';
      status.textContent = `Loaded ${from}: trained on ${m.run.dataset} (${c.task}), ${c.num_layers} layers x ${c.nhead} heads, ` +
        `${c.channels} channels; hop per head ${hop}. Running on ${kernels}.` +
        (isMoleculeDataset(m.run.dataset) ? '' : ` Not a molecule model: predictions from SMILES need one trained on ${MOLECULE_DATASETS.join(' or ')}.`);
      panel.dataset.state = 'model';
    };

    const loadFiles = guard('Cannot load the model', async () => {
      const list = Array.from(files.files ?? []);
      await loadFromFiles(list);
    });
    const loadFromFiles = async (list: File[]): Promise<void> => {
      const config = list.find((f) => f.name.endsWith('.json'));
      const weights = list.find((f) => f.name.endsWith('.safetensors'));
      const other = list.filter((f) => f !== config && f !== weights).map((f) => f.name);
      if (!config || !weights || other.length) {
        throw new Error(`give two files, the run's config.json and its best/model.safetensors; got ${list.map((f) => f.name).join(', ') || 'none'}`);
      }
      const m = loadModel({ config: new Uint8Array(await config.arrayBuffer()), weights: new Uint8Array(await weights.arrayBuffer()),
        configName: config.name, weightsName: weights.name });
      await useModel(m, `${config.name} + ${weights.name}`);
    };
    files.addEventListener('change', () => void loadFiles());

    // The models shipped with the page: one button each, loaded from this origin when clicked.
    void shippedModelList(document.baseURI).then((list) => {
      if (!list.length) return;
      shipped.append(el('span', undefined, 'Shipped models, ready to predict: '));
      for (const { about, url: at } of list) {
        const b = el('button', undefined, about.name);
        b.type = 'button'; b.dataset.model = about.name; b.title = shippedSummary(about);
        b.addEventListener('click', guard('Cannot load the model', async () => {
          await useModel(await loadModelFromUrl(at, fetch, 'weights'), `the shipped ${about.name} model (${shippedSummary(about)})`);
        }));
        shipped.append(b, ' ');
      }
    }, (e: unknown) => { shipped.append(el('span', 'muted', `No shipped models: ${msg(e)}`)); });
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const list = Array.from(e.dataTransfer?.files ?? []);
      void guard('Cannot load the model', () => loadFromFiles(list))();
    });

    loadUrl.addEventListener('click', guard('Cannot load the model', async () => {
      const u = url.value.trim();
      if (!u) throw new Error('type the URL of a run folder (holding config.json and best/model.safetensors)');
      const abs = new URL(u, document.baseURI);
      // The page makes no request beyond its own origin.
      if (abs.origin !== location.origin) throw new Error(`${abs.href} is on another site; load a run folder served with this page (${location.origin})`);
      await useModel(await loadModelFromUrl(abs), abs.href);
    }));

    csv.addEventListener('change', guard('Cannot read the CSV file', async () => {
      const f = csv.files?.[0];
      if (!f) return;
      const { smiles } = readSmilesCsv(await f.text(), f.name);
      text.value = smiles.join('\n');
      panel.dataset.state = 'csv';
    }));

    const showView = async (m: LoadedModel, smiles: string, layer: number): Promise<void> => {
      const rd = await pageRDKit();
      const res = await predictSmiles(m, rd, [smiles], { attention: true });
      const g = res.graphs![0];
      const c = m.model.config;
      drawing ??= graphDrawing({ forceSimulation, forceLink, forceManyBody, forceCenter });
      const names = atomNames(m.run.dataset, g.nodeLabel);
      view.replaceChildren();
      view.append(el('h3', undefined, `${smiles}: ${g.n} atoms, ${g.edges.length} bonds, model output ${g.out.map((v) => +v.toPrecision(6)).join(', ')}`));
      const pick = el('select');
      pick.id = 'predict-layer';
      for (let l = 0; l < c.num_layers; l++) {
        const o = el('option', undefined, `layer ${l}`);
        o.value = String(l);
        o.selected = l === layer;
        pick.append(o);
      }
      pick.addEventListener('change', guard('Cannot draw the molecule', () => showView(m, smiles, Number(pick.value))));
      const chart = el('div', 'card');
      chart.append(el('div', 'legend', 'Decay per head: M = gamma ** leaky_relu(d - hop, slope), d = shortest-path distance in bonds; ' +
        'a larger hop lets the head look further before its attention is damped.'), decayChart(res.decay));
      view.append(el('label', undefined, 'Attention of '), pick, chart);
      drawing.graphView(view, {
        n: g.n, edges: g.edges, nodeLabel: g.nodeLabel, spd: Array.from(g.spd),
        mask: g.mask.map((a) => Array.from(a)), attn: g.attn[layer].map((a) => Array.from(a)),
      }, { heads: c.nhead, hop: res.decay.hop }, {
        key: 'p', title: `Atoms and bonds of ${smiles}`,
        legend: `Layer ${layer} of ${c.num_layers} (0-based).`,
        mark: (node, name) => node.setAttribute('data-chart', name),
        nodeTitle: names ? (i) => `atom ${i}: ${names[i]}` : null,
        // The element on the atom (ZINC's types carry Hs and charge: "N H1 +" shows as N).
        nodeText: names ? (i) => names[i].split(' ')[0] : null,
      });
      panel.dataset.state = 'view';
    };

    const renderTable = (m: LoadedModel, res: SmilesPrediction): void => {
      const t = el('table', 'preds');
      t.id = 'predict-table';
      const head = el('tr');
      for (const h of header(res.task)) head.append(el('th', undefined, h));
      t.append(head);
      res.predictions.slice(0, MAX_ROWS).forEach((r, i) => {
        const tr = el('tr');
        tr.dataset.row = String(i);
        tr.dataset.values = JSON.stringify(r);
        for (const c of [String(i + 1), String(r.id), ...predictionText(r)]) tr.append(el('td', undefined, c));
        tr.addEventListener('click', guard('Cannot draw the molecule', async () => {
          for (const x of t.querySelectorAll('tr.sel')) x.classList.remove('sel');
          tr.classList.add('sel');
          await showView(m, String(r.id), 0);
        }));
        t.append(tr);
      });
      // All rows, as `gradformer predict --format csv` writes them.
      const download = el('a', undefined, 'Download all predictions (CSV)');
      download.id = 'predict-download';
      download.download = 'predictions.csv';
      if (csvUrl) URL.revokeObjectURL(csvUrl);
      csvUrl = URL.createObjectURL(new Blob([predictionsCsv(res.predictions)], { type: 'text/csv' }));
      download.href = csvUrl;
      const summary = el('p', 'muted', `${res.predictions.length} molecules, ${res.dataset} model (${res.task}).` +
        (res.predictions.length > MAX_ROWS ? ` The first ${MAX_ROWS} are shown.` : '') + ' Click a row to see where each head looks. ');
      summary.append(download);
      results.replaceChildren(summary, t);
    };

    run.addEventListener('click', guard('Cannot predict', async () => {
      const m = model;
      if (!m) throw new Error('load a model first (its config.json and model.safetensors, or its run folder\'s URL)');
      const smiles = text.value.split('\n').map((s) => s.trim()).filter((s) => s !== '');
      if (smiles.length === 0) throw new Error('type SMILES, one per line, or choose a CSV file with a smiles column');
      const note = el('p', 'muted', rdkitRequested() ? 'Predicting...' : 'Loading RDKit (once), then predicting...');
      results.replaceChildren(note);
      view.replaceChildren();
      run.disabled = true;
      let res: SmilesPrediction;
      try {
        const rd = await pageRDKit();
        let shown = performance.now();
        res = await predictSmiles(m, rd, smiles, {
          // A long list: show progress and let the page handle events every ~100 ms.
          onProgress: async (done, total) => {
            if (done === total || performance.now() - shown < 100) return;
            note.textContent = `Predicted ${done} of ${total} molecules...`;
            await new Promise((resolve) => setTimeout(resolve, 0));
            shown = performance.now();
          },
        });
      } catch (e) {
        results.replaceChildren();
        throw e;
      } finally {
        run.disabled = false;
      }
      renderTable(m, res);
      panel.dataset.state = 'predicted';
    }));
  },
};
