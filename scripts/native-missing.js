// Runs when `node-gyp rebuild` fails during install: the package still works on
// the TypeScript backend, so installation must not fail.
console.warn('gradformer: native addon could not be built; falling back to the TypeScript backend (slower). ' +
  'Install python3, make and a C compiler, then run `npm rebuild gradformer` (in a gradformer checkout: `npm run install`).');
