/**
 * Model benchmark: forward and forward+backward ms per batch for the NCI1 preset
 * (batch 128, GIN, 4 layers, 64 channels) and the ZINC preset (batch 32, GINE,
 * 10 layers, PE BatchNorm), on 1 and on all threads. Real graphs from
 * ../shared/datasets when present (else the bundled MUTAG shapes are reused).
 *
 *   npm run bench:model [-- --json] [--data-root DIR] [--reps N]
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { collate } from '../src/graph/batch.js';
import { shortestPathDistances } from '../src/graph/spd.js';
import { randomWalkPE } from '../src/graph/rwse.js';
import type { Graph, GraphPre } from '../src/graph/types.js';
import { loadTU } from '../src/data/tu.js';
import { loadZinc } from '../src/data/zinc.js';
import { Gradformer } from '../src/models/gradformer.js';
import { taskLoss } from '../src/models/verify.js';
import type { GradformerConfig } from '../src/models/config.js';
import { kernels, setThreads } from '../src/tensor/backend.js';
import { noGrad } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { benchArgs } from './args.js';

const A = benchArgs('bench:model', { strings: ['data-root', 'reps'], flags: ['json'] });
const json = A.flag('json');
const root = A.str('data-root', join(import.meta.dirname, '..', '..', 'shared', 'datasets'))!;
const reps = A.num('reps', 5, true)!;

function prepare(graphs: Graph[], walk: number): GraphPre[] {
  return graphs.map((g) => ({ spd: shortestPathDistances(g.numNodes, g.edgeIndex), pe: randomWalkPE(g.numNodes, g.edgeIndex, walk) }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

interface Case { preset: string; config: Partial<GradformerConfig>; graphs: Graph[]; pre: GraphPre[] }

const nci1 = loadTU(join(root, 'NCI1'), 'NCI1');
const nci1Graphs = nci1.graphs.slice(0, 128);
const zinc = loadZinc(join(root, "ZINC"));
const zincGraphs = zinc.graphs.slice(0, 32);
const cases: Case[] = [
  {
    preset: 'NCI1',
    config: { mpnn: 'GIN', channels: 64, nhead: 4, num_layers: 4, pe_origin_dim: 20, pe_dim: 20, node_method: 'add',
      projection: 'lin', pool: 'add', node_dim: nci1.nodeFeatDim, num_tasks: 2, task: 'multi_class', attn_dropout: 0, dropout: 0 },
    graphs: nci1Graphs, pre: prepare(nci1Graphs, 20),
  },
  {
    preset: 'ZINC',
    config: { mpnn: 'GINE', channels: 64, nhead: 4, num_layers: 10, pe_norm: true, pe_origin_dim: 20, pe_dim: 8,
      node_method: 'embedding', edge_method: 'embedding', projection: 'mlp', pool: 'add', node_dim: 28, edge_dim: 4,
      num_tasks: 1, task: 'regression', attn_dropout: 0, dropout: 0 },
    graphs: zincGraphs, pre: prepare(zincGraphs, 20),
  },
];

const threadCounts = [...new Set([1, availableParallelism()])];
if (!json) console.log(`backend ${kernels().name}, reps ${reps} (median ms per batch)`);
for (const c of cases) {
  const batch = collate(c.graphs, c.pre, c.graphs.map((_, i) => i));
  const model = new Gradformer(c.config, new Rng(0));
  for (const threads of threadCounts) {
    setThreads(threads);
    for (const pass of ['forward', 'forward+backward'] as const) {
      const times: number[] = [];
      for (let r = 0; r < reps + 1; r++) {
        const t0 = performance.now();
        if (pass === 'forward') {
          model.eval();
          noGrad(() => model.forward(batch));
        } else {
          model.train();
          const { out } = model.forward(batch);
          taskLoss(model.config.task, out, batch).backward();
          model.zeroGrad();
        }
        if (r > 0) times.push(performance.now() - t0); // first run is warm-up
      }
      const ms = median(times);
      if (json) console.log(JSON.stringify({ bench: 'model', preset: c.preset, pass, threads, ms: Number(ms.toFixed(3)) }));
      else console.log(`${c.preset.padEnd(5)} batch ${String(c.graphs.length).padStart(3)}  ${pass.padEnd(16)} threads ${threads}  ${ms.toFixed(2)} ms`);
    }
  }
}
