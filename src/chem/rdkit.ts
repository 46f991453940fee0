/**
 * RDKit (the `@rdkit/rdkit` wasm build of RDKit's MinimalLib) and a reader for
 * the per-atom / per-bond properties the featurisers need.
 *
 * Why the binary pickle: MinimalLib has no per-atom accessors, and its JSON
 * (`get_json`) lacks hybridisation and bond conjugation, which OGB's features
 * use. `get_as_uint8array()` returns RDKit's own binary pickle of the sanitised
 * molecule, which holds every property RDKit computed (hybridisation,
 * conjugation, aromaticity, chiral tag, valences, Hs, radicals, bond stereo), so
 * the values are RDKit's, not a re-implementation of its perception rules. One
 * wasm call per molecule.
 *
 * The pickle layout is RDKit-internal, so the reader checks the pickle version
 * (16.4.x, written by @rdkit/rdkit 2026.9.1, pinned in package.json) and
 * refuses any field it does not know instead of guessing.
 */
import rdkitPackage from '@rdkit/rdkit';
import type { MainModule } from '@rdkit/rdkit';
import type { RDKit } from './rdkit_pickle.js';

// The pickle reader has no Node or RDKit-loading dependency, so the browser build
// takes it alone (src/chem/rdkit_pickle.ts); this module adds the Node-side loader.
export * from './rdkit_pickle.js';

// The package is CommonJS whose module.exports is the factory; its typings declare an
// ES default export, so under NodeNext TypeScript sees the namespace. Take either.
type Factory = () => Promise<MainModule>;
const pkg = rdkitPackage as unknown as Factory | { default: Factory };
const initRDKitModule: Factory = typeof pkg === 'function' ? pkg : pkg.default;

let loading: Promise<RDKit> | null = null;

/** Load RDKit once per process (about 0.2 s; the wasm ships in the package, no network). */
export function loadRDKit(): Promise<RDKit> {
  if (!loading) {
    loading = initRDKitModule().then((rd) => {
      rd.disable_logging(); // parse failures are reported by the callers, with file and line
      return rd;
    });
  }
  return loading;
}
