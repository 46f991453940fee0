/**
 * The Train tab: train a Gradformer on the bundled MUTAG or an uploaded TU zip in
 * a Web Worker (worker.ts) on the WebAssembly kernels, watch the loss, the
 * validation/test metric and the learned hop of every head per epoch, and
 * download the best epoch's weights as a run folder's model.safetensors +
 * config.json (`gradformer eval --checkpoint DIR` and `predict` read that folder).
 */
import { PRESETS } from '../../../models/presets.js';
import { liveChart, type LiveChart } from '../chart.js';
import { el, type PageTab } from '../tabs.js';
import type { TrainRequest, WorkerMessage } from './protocol.js';

const MUTAG = PRESETS.MUTAG;

function numberField(label: string, name: string, value: number, min: number, max: number): { wrap: HTMLLabelElement; input: HTMLInputElement } {
  const input = el('input');
  Object.assign(input, { type: 'number', name, value: String(value), min: String(min), max: String(max), step: '1', required: true });
  const wrap = el('label', undefined, `${label} `);
  wrap.append(input);
  return { wrap, input };
}

/** A whole number in [min, max] from a field, or an error naming the field. */
function readInt(input: HTMLInputElement, label: string): number {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < Number(input.min) || v > Number(input.max)) throw new Error(`${label} must be a whole number from ${input.min} to ${input.max}; got '${input.value}'`);
  return v;
}

/** Offers bytes as a file download. */
function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function mount(panel: HTMLElement): void {
  panel.append(el('h2', undefined, 'Train a Gradformer in this tab'),
    el('p', 'muted', 'Training runs in a Web Worker on WebAssembly kernels compiled from the same C as the native addon, with the same training loop as gradformer train: the same seed gives the same losses.'));
  const form = el('form');
  const data = el('fieldset');
  data.append(el('legend', undefined, 'Data'));
  const radio = (value: string, text: string, checked: boolean) => {
    const r = el('input');
    Object.assign(r, { type: 'radio', name: 'data', value, checked });
    const l = el('label');
    l.append(r, ` ${text}`);
    data.append(l);
    return r;
  };
  const bundled = radio('bundled', 'bundled MUTAG (188 molecules, 2 classes)', true);
  const upload = radio('zip', 'a TU dataset zip:', false);
  const file = el('input');
  Object.assign(file, { type: 'file', accept: '.zip,application/zip', name: 'zip' });
  file.addEventListener('change', () => { upload.checked = true; });
  data.append(file, el('div', 'muted', 'The TU download layout: NAME/NAME_A.txt, NAME_graph_indicator.txt, NAME_graph_labels.txt, optional NAME_node_labels.txt, ... Datasets with a preset (MUTAG, PROTEINS, NCI1, ...) train with it, others with the generic TU preset.'));
  const settings = el('fieldset');
  settings.append(el('legend', undefined, 'Run (other settings: the dataset\'s preset)'));
  const epochs = numberField('epochs', 'epochs', MUTAG.train.epochs, 1, 10000);
  const seed = numberField('seed', 'seed', 0, 0, 2 ** 31 - 1);
  const layers = numberField('layers', 'layers', MUTAG.model.num_layers ?? 10, 1, 64);
  settings.append(epochs.wrap, seed.wrap, layers.wrap);
  const trainBtn = el('button', 'primary', 'Train');
  trainBtn.type = 'submit';
  const stopBtn = el('button', undefined, 'Stop');
  stopBtn.type = 'button';
  stopBtn.disabled = true;
  const dlWeights = el('button', undefined, 'Download model.safetensors');
  const dlConfig = el('button', undefined, 'Download config.json');
  for (const b of [dlWeights, dlConfig]) { b.type = 'button'; b.disabled = true; }
  const actions = el('div', 'actions');
  actions.append(trainBtn, ' ', stopBtn, ' ', dlWeights, ' ', dlConfig);
  form.append(data, settings, actions);
  const status = el('p', 'status');
  status.dataset.role = 'status';
  const kernelsLine = el('p', 'muted');
  kernelsLine.dataset.role = 'kernels';
  const message = el('p', 'error');
  message.dataset.role = 'message';
  message.setAttribute('role', 'alert');
  const about = el('details');
  about.append(el('summary', undefined, 'What the charts show'), el('p', 'muted',
    'Loss: mean training loss of the epoch. Metric: validation and test metric after the epoch (the best validation epoch\'s weights are what you download). ' +
    'Hop: each head h multiplies its attention scores by gamma ** leaky_relu(d(i,j) - hop_h, slope), d the shortest-path distance; a larger hop_h reaches further before the decay starts.'));
  const charts = el('div', 'charts');
  const table = el('table', 'epochs');
  panel.append(form, kernelsLine, status, message, about, charts, table);

  let worker: Worker | null = null;
  let best: { epoch: number; weights: ArrayBuffer; config: string } | null = null;
  const finish = () => {
    worker?.terminate();
    worker = null;
    trainBtn.disabled = false;
    stopBtn.disabled = true;
    panel.dataset.state = 'idle';
  };
  dlWeights.addEventListener('click', () => { if (best) download('model.safetensors', best.weights, 'application/octet-stream'); });
  dlConfig.addEventListener('click', () => { if (best) download('config.json', best.config, 'application/json'); });
  stopBtn.addEventListener('click', () => {
    finish();
    status.textContent += ' Stopped.';
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    message.textContent = '';
    // Set at once (reading an upload is asynchronous): a new run's state never reads as the last one's end.
    panel.dataset.state = 'starting';
    let req: TrainRequest;
    try {
      req = { type: 'start', data: { kind: 'bundled' }, epochs: readInt(epochs.input, 'epochs'), seed: readInt(seed.input, 'seed'), layers: readInt(layers.input, 'layers') };
      if (new URLSearchParams(location.search).get('kernels') === 'ts') req.kernels = 'ts';
    } catch (e) {
      message.textContent = (e as Error).message;
      panel.dataset.state = 'error';
      return;
    }
    const f = file.files?.[0];
    if (upload.checked && !f) {
      message.textContent = 'Choose a TU dataset zip first (or train the bundled MUTAG).';
      panel.dataset.state = 'error';
      return;
    }
    const go = (r: TrainRequest) => start(r, r.data.kind === 'zip' ? [r.data.bytes] : []);
    if (upload.checked && f) {
      f.arrayBuffer().then((bytes) => go({ ...req, data: { kind: 'zip', fileName: f.name, bytes } }),
        (e: unknown) => { message.textContent = `${f.name}: cannot read the file (${(e as Error).message})`; panel.dataset.state = 'error'; });
    } else {
      go(req);
    }
  });

  function start(req: TrainRequest, transfer: Transferable[]): void {
    finish();
    best = null;
    dlWeights.disabled = dlConfig.disabled = true;
    charts.replaceChildren();
    table.replaceChildren();
    kernelsLine.textContent = '';
    status.textContent = req.data.kind === 'zip' ? `Reading ${req.data.fileName} ...` : 'Loading MUTAG ...';
    trainBtn.disabled = true;
    stopBtn.disabled = false;
    panel.dataset.state = 'training';
    let loss: LiveChart | null = null, metric: LiveChart | null = null, hop: LiveChart | null = null;
    const w = new Worker(new URL('./train/worker.js', document.baseURI), { type: 'module' });
    worker = w;
    w.addEventListener('error', (e) => {
      message.textContent = `The training worker failed: ${e.message || 'it could not be started'}`;
      finish();
    });
    w.addEventListener('message', (e: MessageEvent<WorkerMessage>) => {
      if (w !== worker) return; // a stopped run's last messages
      const m = e.data;
      switch (m.type) {
        case 'kernels':
          kernelsLine.dataset.kernels = m.name;
          kernelsLine.textContent = m.name === 'wasm' ? 'Kernels: WebAssembly (SIMD128, one thread).'
            : `Kernels: TypeScript (the fallback; slower): ${m.note ?? ''}`;
          break;
        case 'dataset': {
          status.textContent = `${m.name}: ${m.graphs} graphs, ${m.classes} classes, split ${m.split.join(' / ')}, preset ${m.preset}; preprocessing ${m.preprocessSeconds.toFixed(1)} s. Training ${req.epochs} epochs ...`;
          loss = liveChart(charts, 'loss', 'Training loss', 'epoch', 'loss', ['train loss']);
          metric = liveChart(charts, 'metric', `Validation and test ${m.metric}`, 'epoch', m.metric, ['val', 'test']);
          hop = liveChart(charts, 'hop', 'Learned hop of every head', 'epoch', 'hop', Array.from({ length: m.heads }, (_, h) => `head ${h}`), { dashed: true });
          const head = el('tr');
          for (const t of ['epoch', 'train loss', 'val', 'test', 'hop per head', 's']) head.append(el('th', undefined, t));
          table.append(head);
          break;
        }
        case 'epoch': {
          const r = m.record;
          loss?.push(r.epoch, [r.train_loss]);
          metric?.push(r.epoch, [r.val, r.test]);
          hop?.push(r.epoch, r.hop);
          const row = el('tr');
          // Exact values for the browser test (the cells are rounded).
          Object.assign(row.dataset, { epoch: String(r.epoch), loss: String(r.train_loss), val: String(r.val), test: String(r.test), hop: JSON.stringify(r.hop) });
          for (const t of [String(r.epoch), r.train_loss.toFixed(4), `${r.val.toFixed(4)}${m.improved ? ' *' : ''}`, r.test.toFixed(4), r.hop.map((v) => v.toFixed(3)).join(' '), r.epoch_seconds.toFixed(2)]) row.append(el('td', undefined, t));
          table.append(row);
          status.textContent = status.textContent!.replace(/ Training .*$/, ` Training: epoch ${r.epoch} of ${req.epochs} (${r.metric}).`);
          break;
        }
        case 'best':
          best = { epoch: m.epoch, weights: m.weights, config: m.config };
          dlWeights.disabled = dlConfig.disabled = false;
          dlWeights.textContent = `Download model.safetensors (epoch ${m.epoch})`;
          break;
        case 'done':
          status.textContent = status.textContent!.replace(/ Training.*$/, ` Done: best epoch ${m.bestEpoch}, val ${m.metric} ${m.val.toFixed(4)}, test ${m.metric} ${m.test.toFixed(4)}.`);
          finish();
          panel.dataset.state = 'done';
          break;
        case 'error':
          message.textContent = m.message;
          status.textContent = 'Stopped on an error.';
          finish();
          panel.dataset.state = 'error';
          break;
      }
    });
    w.postMessage(req, transfer);
  }
}

export const trainTab: PageTab = { id: 'train', label: 'Train', mount };
