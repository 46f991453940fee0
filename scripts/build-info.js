// Records which source the build came from (dist/build-info.json: git commit and
// whether the working tree had uncommitted changes), so that env.json of a run made
// from a copy of the build without .git (an installed package, an experiment
// snapshot) still names its commit. Not a git checkout: commit null.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gitRevision } from '../dist/src/util/revision.js';

const info = gitRevision(fileURLToPath(new URL('..', import.meta.url))) ?? { commit: null, dirty: null };
writeFileSync(new URL('../dist/build-info.json', import.meta.url), JSON.stringify(info) + '\n');
