/**
 * Predict from SMILES with a trained molecule model (ZINC or ogbg-molhiv): the
 * run folder comes back as a model in one call, and the molecules are featurised
 * exactly as the dataset's graphs (RDKit, wasm, bundled).
 * Run: node --import tsx examples/predict_smiles.ts RUN_DIR [SMILES ...]
 * (from an installed package, import from 'gradformer' instead of '../src/index.js').
 */
import { GraphLoader, MOLECULE_DATASETS, loadTrainedModel, moleculeGraphs, predict, preprocessGraphs } from '../src/index.js';

const [runDir, ...args] = process.argv.slice(2);
const smiles = args.length > 0 ? args : ['CCO', 'c1ccccc1O'];

const { model, state } = loadTrainedModel(runDir);                    // best/ checkpoint, eval mode; state.run = its config
const dataset = MOLECULE_DATASETS.find((d) => d === state.run.dataset);
if (!dataset) throw new Error(`${runDir} holds a ${state.run.dataset} model; SMILES need a ${MOLECULE_DATASETS.join(' or ')} model`);
const graphs = await moleculeGraphs(smiles, dataset);                   // the dataset's atom and bond ids
const pre = await preprocessGraphs(graphs, state.run.train.pe);         // shortest paths + the run's positional encoding
const { out, cols } = predict(model, new GraphLoader(graphs, pre, Int32Array.from(graphs.keys()), { batchSize: 32 }), false);
for (const [i, s] of smiles.entries()) console.log(`${s}\t${Array.from(out.subarray(i * cols, (i + 1) * cols)).join(' ')}`);
