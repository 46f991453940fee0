/**
 * RDKit's MinimalLib for the Predict tab, loaded only when a prediction is first
 * asked for (its wasm is about 7 MB), from the page's own origin: the build
 * copies `@rdkit/rdkit`'s RDKit_minimal.js + .wasm into rdkit/ beside the page.
 */
import type { RDKit } from '../../../chem/rdkit_pickle.js';

type InitRDKit = (opts: { locateFile: (file: string) => string }) => Promise<RDKit>;

let loading: Promise<RDKit> | null = null;

function addScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load RDKit from ${src}; rebuild the page with npm run build:web (it copies RDKit into rdkit/)`));
    document.head.append(s);
  });
}

/** RDKit, loaded once per page (a failed load is retried on the next call). */
export function pageRDKit(): Promise<RDKit> {
  loading ??= (async () => {
    const dir = new URL('rdkit/', document.baseURI);
    // A classic script: it defines the global initRDKitModule.
    await addScript(new URL('RDKit_minimal.js', dir).href);
    const init = (globalThis as unknown as { initRDKitModule?: InitRDKit }).initRDKitModule;
    if (!init) throw new Error('rdkit/RDKit_minimal.js did not define initRDKitModule; rebuild the page with npm run build:web');
    const rd = await init({ locateFile: (file) => new URL(file, dir).href });
    rd.disable_logging(); // bad SMILES are reported on the page, naming the SMILES
    return rd;
  })().catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

/** Whether RDKit was asked for yet (the page shows it; the browser test checks it is not before a prediction). */
export function rdkitRequested(): boolean {
  return loading !== null;
}
