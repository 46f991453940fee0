// Records which source the build came from (dist/build-info.json: git commit and
// whether the working tree had uncommitted changes), so that env.json of a run made
// from a copy of the build without .git (an installed package, an experiment
// snapshot) still names its commit. Not a git checkout: commit null.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const git = (...args) => execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
let info;
try {
  info = { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
} catch {
  info = { commit: null, dirty: null };
}
writeFileSync(new URL('../dist/build-info.json', import.meta.url), JSON.stringify(info) + '\n');
