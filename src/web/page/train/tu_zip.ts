/**
 * TU datasets in the browser: from a zip the user uploads (the `NAME/NAME_A.txt ...`
 * layout of the TU download, or the files at the top level) or from the bundled
 * MUTAG files fetched from the page's own origin. Parsing is the Node loader's
 * (src/data/tu_parse.ts), so errors name the file and line the same way.
 */
import type { GraphDataset } from '../../../data/dataset.js';
import { DataError } from '../../../data/errors.js';
import { parseTU } from '../../../data/tu_parse.js';
import { checkMemberSize, zipMembers } from '../../../data/zip_format.js';

/** The required parts and the optional ones the parser reads, as NAME_<part>.txt. */
const PARTS = ['A', 'graph_indicator', 'graph_labels', 'graph_attributes', 'node_labels', 'node_attributes', 'edge_labels', 'edge_attributes'];

/** Inflates one deflate member with the browser's DecompressionStream. */
async function inflateRaw(raw: Uint8Array, what: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([raw.slice()]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${what}: cannot inflate (${(e as Error).message}); the archive is corrupt`);
  }
}

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** Parses a TU dataset from the files `files` (name in errors -> bytes), named `name`. */
function parseFiles(name: string, files: Map<string, Uint8Array>, where: string): GraphDataset {
  const byPart = new Map<string, string>();
  for (const path of files.keys()) {
    for (const part of PARTS) if (baseName(path) === `${name}_${part}.txt` && !byPart.has(part)) byPart.set(part, path);
  }
  return parseTU({
    find: (part) => byPart.get(part) ?? null,
    read: (file) => files.get(file)!,
    missing: (part) => `${where}/${name}_${part}.txt`,
  }, name, {});
}

/**
 * The TU dataset in an uploaded zip: the name comes from its NAME_A.txt member
 * (one dataset per zip). Errors name the zip and the member, with the line.
 */
export async function tuFromZip(fileName: string, bytes: Uint8Array): Promise<GraphDataset> {
  const members = zipMembers(bytes, fileName).filter((m) => !m.name.startsWith('__MACOSX/'));
  const aFiles = members.filter((m) => /_A\.txt$/.test(baseName(m.name)));
  if (aFiles.length === 0) {
    throw new DataError(fileName, 0, 'no NAME_A.txt in the archive; a TU dataset zip holds NAME/NAME_A.txt, NAME/NAME_graph_indicator.txt, NAME/NAME_graph_labels.txt (and optionally NAME_node_labels.txt, ...)');
  }
  const names = [...new Set(aFiles.map((m) => baseName(m.name).slice(0, -'_A.txt'.length)))];
  if (names.length > 1) throw new DataError(fileName, 0, `holds several TU datasets (${names.join(', ')}); zip one dataset folder`);
  const name = names[0];
  const files = new Map<string, Uint8Array>();
  for (const m of members) {
    if (!baseName(m.name).startsWith(`${name}_`) || !m.name.endsWith('.txt')) continue;
    const what = `${fileName}/${m.name}`;
    files.set(what, checkMemberSize(m, m.method === 0 ? m.raw : await inflateRaw(m.raw, what), fileName));
  }
  const dir = aFiles[0].name.includes('/') ? `${fileName}/${aFiles[0].name.slice(0, aFiles[0].name.lastIndexOf('/'))}` : fileName;
  return parseFiles(name, files, dir);
}

/** The bundled MUTAG: its TU text files, listed in `<base>/index.json` and fetched from the same folder. */
export async function tuFromUrl(base: URL, name: string): Promise<GraphDataset> {
  const get = async (file: string) => {
    const url = new URL(file, base);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot load ${url.pathname} (HTTP ${res.status}); rebuild the page with npm run build:web`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const list = JSON.parse(new TextDecoder().decode(await get('index.json'))) as string[];
  const files = new Map<string, Uint8Array>();
  await Promise.all(list.map(async (f) => { files.set(`${name}/${f}`, await get(f)); }));
  return parseFiles(name, files, name);
}
