// tsc writes dist/src/cli/main.js without the executable bit; `npx gradformer`
// in the package's own folder runs that file directly, so make it executable.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
