/** `gradformer eval` and `gradformer predict`: run a checkpoint on a split, a dataset or SMILES. */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { GraphDataset } from '../data/dataset.js';
import { GraphLoader } from '../data/loader.js';
import { preprocessDataset, preprocessGraphs } from '../data/preprocess.js';
import { getDatasetEntry, presetDatasets } from '../data/registry.js';
import { loadTU } from '../data/tu.js';
import type { Graph } from '../graph/types.js';
import { loadDatasetByName, UsageError } from '../train/data.js';
import { computeMetric } from '../train/metrics.js';
import { loadTrainedModel } from '../train/load.js';
import type { RunConfig } from '../train/runconfig.js';
import { predictionRows, predictionsCsv } from '../train/predict_rows.js';
import { shippedModel } from '../train/shipped.js';
import { isNodeTask, predict, runSplit } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic.js';
import { autoThreadTuner } from '../tensor/backend.js';

const SPLIT_NAMES = ['train', 'val', 'test', 'all'] as const;
type SplitName = typeof SPLIT_NAMES[number];

/** The folder `--checkpoint DIR` or `--model NAME` (a shipped model) names: exactly one of them. */
function modelFolder(o: { checkpoint?: string; model?: string }): string {
  if (o.checkpoint && o.model) throw new UsageError('give either --checkpoint DIR or --model NAME, not both');
  if (o.model) return shippedModel(o.model).dir;
  if (!o.checkpoint) throw new UsageError('give --checkpoint DIR (a run folder) or --model NAME (a shipped model: `gradformer models` lists them)');
  return o.checkpoint;
}

function indicesOf(run: RunConfig, ds: GraphDataset, which: SplitName): Int32Array {
  if (which === 'all') return Int32Array.from(ds.graphs.keys());
  return runSplit(run, ds)[which];
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a checkpoint on a split of its dataset (the split is rebuilt from the run\'s seed and protocol)')
    .option('--checkpoint <dir>', 'a run folder (uses best/) or a checkpoint folder (best/ or last/)')
    .option('--model <name>', 'a model shipped in the package instead (ZINC, ogbg-molhiv; `gradformer models`)')
    .addOption(new Option('--split <name>', 'which split').choices(SPLIT_NAMES).default('test'))
    .option('--data-root <dir>', 'where the dataset is (default: the run\'s, then the usual search)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  gradformer eval --checkpoint runs/MUTAG-20240101-120000 --split test\n  gradformer eval --model ZINC --data-root ../shared/datasets')
    .action(async (o: { checkpoint?: string; model?: string; split: SplitName; dataRoot?: string; json?: boolean }) => {
      const { dir, state: st, model } = loadTrainedModel(modelFolder(o));
      const run = st.run;
      const ds = await loadDatasetByName(run.dataset, o.dataRoot ?? run.data_root ?? undefined);
      const pre = await preprocessDataset(ds, { pe: run.train.pe });
      const idx = indicesOf(run, ds, o.split);
      const batches = new GraphLoader(ds.graphs, pre, idx, { batchSize: run.train.batch_size });
      const { out, cols, y } = predict(model, batches, isNodeTask(run), autoThreadTuner());
      const value = computeMetric(run.train.metric, out, cols, y);
      if (o.json) {
        process.stdout.write(JSON.stringify({ checkpoint: dir, dataset: run.dataset, split: o.split, graphs: idx.length, epoch: st.epoch, metric: run.train.metric, value }) + '\n');
      } else {
        process.stdout.write(`${run.dataset} ${o.split} (${idx.length} graphs, checkpoint ${dir}, epoch ${st.epoch ?? 'unknown'}): ${run.train.metric} ${value.toFixed(4)}\n`);
      }
    });
}

/** Graphs from SMILES with the featuriser the model's dataset was built with. */
async function graphsFromSmiles(smiles: string[], dataset: string): Promise<Graph[]> {
  const { MOLECULE_DATASETS, moleculeGraphs } = await import('../chem/molecules.js');
  const known = MOLECULE_DATASETS.find((d) => d === dataset);
  if (!known) throw new UsageError(`--smiles works for molecule models (${MOLECULE_DATASETS.join(', ')}); this checkpoint was trained on ${dataset}`);
  try {
    return await moleculeGraphs(smiles, known);
  } catch (e) {
    // A user's typo, not a bug: say which string and why, without a stack trace.
    throw new UsageError((e as Error).message.replace(/^molecules: SMILES/, '--smiles'));
  }
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict with a checkpoint on a dataset (a known name or a TU-format folder) or on SMILES strings (molecule models)')
    .option('--checkpoint <dir>', 'a run folder (uses best/) or a checkpoint folder')
    .option('--model <name>', 'a model shipped in the package instead (ZINC, ogbg-molhiv; `gradformer models`)')
    .option('--input <name|dir>', 'a dataset name or a folder of TU text files (NAME_A.txt, ...); default: the run\'s dataset')
    .addOption(new Option('--split <name>', 'which graphs of a known dataset').choices(SPLIT_NAMES).default('test'))
    .option('--smiles <s...>', 'SMILES strings (several after one --smiles, or --smiles repeated)')
    .option('--data-root <dir>', 'where a named dataset is')
    .addOption(new Option('--format <f>', 'output format').choices(['json', 'csv']).default('json'))
    .option('--output <file>', 'write here instead of stdout')
    .addHelpText('after', '\nExamples:\n  gradformer predict --model ZINC --smiles CCO c1ccccc1\n  gradformer predict --checkpoint runs/zinc --smiles CCO c1ccccc1\n  gradformer predict --checkpoint runs/mutag --input MUTAG --split all --format csv --output preds.csv')
    .action(async (o: { checkpoint?: string; model?: string; input?: string; split: SplitName; smiles?: string[]; dataRoot?: string; format: 'json' | 'csv'; output?: string }) => {
      const { state: st, model } = loadTrainedModel(modelFolder(o));
      const run = st.run;
      if (isNodeTask(run)) throw new UsageError('predict supports graph-level models; this checkpoint is a node-level model');
      let graphs: Graph[], ids: (string | number)[], idx: Int32Array;
      if (o.smiles) {
        if (o.input) throw new UsageError('give either --smiles or --input, not both');
        graphs = await graphsFromSmiles(o.smiles, run.dataset);
        ids = o.smiles; idx = Int32Array.from(graphs.keys());
      } else {
        const input = o.input ?? run.dataset;
        let ds: GraphDataset;
        // The run's own dataset loads by name even without a preset (a TU folder under its data root).
        if (getDatasetEntry(input)?.preset || input === run.dataset) {
          ds = await loadDatasetByName(input, o.dataRoot ?? run.data_root ?? undefined);
          idx = ds.name === run.dataset ? indicesOf(run, ds, o.split) : Int32Array.from(ds.graphs.keys());
        } else if (existsSync(input)) {
          ds = loadTU(resolve(input), basename(resolve(input)));
          idx = Int32Array.from(ds.graphs.keys());
        } else {
          throw new UsageError(`--input ${input} is neither a known dataset (${presetDatasets().map((d) => d.name).join(', ')}) nor a folder of TU files`);
        }
        // Categorical encoders read ids of the run's own vocabulary (ZINC atom types, OGB features):
        // another dataset's ids would index it without any error and give meaningless numbers.
        const nm = run.model.node_method;
        if (ds.name !== run.dataset && (nm === 'embedding' || nm === 'ogb')) {
          throw new UsageError(`--input ${input} does not fit this model, trained on ${run.dataset}: its node_method ${nm} reads ${run.dataset}'s ` +
            `atom and bond ids, and ${ds.name}'s labels are other ids; predict on ${run.dataset} (the default --input) or on SMILES (--smiles)`);
        }
        graphs = ds.graphs; ids = Array.from(idx); // dataset positions, as numbers in JSON and CSV alike
      }
      // In memory, uncached: SMILES and ad-hoc folders are one-off inputs.
      const pre = await preprocessGraphs(graphs, run.train.pe);
      const batches = new GraphLoader(graphs, pre, idx, { batchSize: run.train.batch_size });
      let res;
      try {
        res = predict(model, batches, false, autoThreadTuner());
      } catch (e) {
        // Another dataset's graphs (other feature widths or kinds) do not fit the model: say which and why.
        if (o.smiles || !o.input) throw e;
        throw new UsageError(`--input ${o.input} does not fit this model, trained on ${run.dataset}: ${(e as Error).message}; ` +
          `predict on graphs featurised as ${run.dataset}'s`);
      }
      const { out, cols } = res;
      const rows = predictionRows(run.model.task, ids, out, cols);
      const text = o.format === 'json'
        ? JSON.stringify({ dataset: run.dataset, task: run.model.task, predictions: rows }, null, 1) + '\n'
        : predictionsCsv(rows);
      if (o.output) writeFileAtomic(o.output, text); else process.stdout.write(text);
    });
}
