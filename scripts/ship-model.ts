// Puts a run's best weights into the package as a shipped model (models/<NAME>/:
// config.json, model.safetensors with the epoch in its metadata, about.json with
// where they come from and what they scored), replacing the one there; the folder
// is written beside and renamed into place, so a failure leaves the old one whole.
//   node --import tsx scripts/ship-model.ts RUN_DIR [--name NAME] [--source TEXT]
// RUN_DIR is a run folder (its best/ checkpoint) whose log.jsonl says whether it finished.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.js';
import { readCheckpointState, resolveCheckpointDir } from '../src/train/checkpoint.js';
import { shippedModelsDir, type ShippedModelAbout } from '../src/train/shipped.js';
import { packageRoot } from '../src/data/registry.js';

const args = process.argv.slice(2);
const opt = (k: string): string | undefined => { const i = args.indexOf(k); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
const name = opt('--name');
const sourceNote = opt('--source');
if (args.length !== 1) {
  console.error('usage: node --import tsx scripts/ship-model.ts RUN_DIR [--name NAME] [--source TEXT]');
  process.exit(2);
}
const runDir = resolve(args[0]);
const ckpt = resolveCheckpointDir(runDir, 'best');
const st = readCheckpointState(ckpt);
if (!st.best) throw new Error(`${ckpt}/state.json has no best epoch`);
if (st.best.epoch !== st.epoch) throw new Error(`${ckpt} holds epoch ${st.epoch}, but its best is epoch ${st.best.epoch}: pass the run folder, whose best/ is the best epoch`);
const logPath = join(runDir, 'log.jsonl');
const finished = existsSync(logPath) && readFileSync(logPath, 'utf8').includes('"final":true');
const root = packageRoot();
const rel = relative(root, runDir);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();

const modelName = name ?? st.run.dataset;
const about: ShippedModelAbout = {
  name: modelName,
  dataset: st.run.dataset,
  metric: st.run.train.metric,
  val: st.best.val,
  test: st.best.test,
  epoch: st.best.epoch,
  epochs: st.run.train.epochs,
  finished,
  source: `${rel}, seed ${st.run.seed}, preset ${st.run.preset}` + (sourceNote ? `: ${sourceNote}` : ''),
  commit,
  shipped: new Date().toISOString().slice(0, 10),
};
// The data root is the training machine's: a user's predictions must not look there.
const config = { ...st.run, data_root: null };
const { tensors, metadata } = readSafetensors(join(ckpt, 'model.safetensors'));

const dest = join(shippedModelsDir(), modelName);
const tmp = `${dest}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 1) + '\n');
writeSafetensors(join(tmp, 'model.safetensors'), tensors, { ...metadata, epoch: String(st.best.epoch) });
writeFileSync(join(tmp, 'about.json'), JSON.stringify(about, null, 1) + '\n');
const old = `${dest}.old-${process.pid}`;
if (existsSync(dest)) renameSync(dest, old);
renameSync(tmp, dest);
rmSync(old, { recursive: true, force: true });
console.log(`shipped ${modelName}: epoch ${about.epoch} of ${about.epochs}${finished ? '' : ' (run unfinished)'}, ` +
  `val ${about.metric} ${about.val.toFixed(4)}, test ${about.test.toFixed(4)} -> ${relative(root, dest)}`);
