/**
 * Versions of the preprocessing algorithms. Each number names the exact values
 * its algorithm produces: any change that alters a single bit of an output
 * (a faster formula, another summation order, a new dependency version) must
 * bump it. The preprocessing cache key includes the versions its contents
 * depend on, so a cache written by other code is ignored (recomputed), and
 * every run records them in env.json. test/pre_versions.test.ts pins the
 * values of each version on real graphs and fails when they change without a bump.
 */

/** One version number per preprocessing algorithm. */
export interface PreVersions {
  /** Shortest-path distances (src/graph/spd.ts). */
  spd: number;
  /** Random-walk structural encoding (src/graph/rwse.ts). 1: dense powers of D^-1 A, before commit ec1307d; 2: symmetric S^m products for undirected graphs. */
  rwse: number;
  /** Laplacian eigenvector encoding (src/graph/lappe.ts, ml-matrix's eigensolver). */
  lappe: number;
  /** OGB atom/bond featuriser (src/chem/ogb.ts, RDKit). */
  featuriser_ogb: number;
  /** ZINC atom-type/bond-type featuriser (src/chem/zinc.ts, RDKit). */
  featuriser_zinc: number;
}

/** The versions this code computes. */
export const PRE_VERSIONS: Readonly<PreVersions> = Object.freeze({
  spd: 1,
  rwse: 2,
  lappe: 1,
  featuriser_ogb: 1,
  featuriser_zinc: 1,
});

/** The source file holding the version constants (named in test failures and docs). */
export const PRE_VERSIONS_FILE = 'src/data/pre_versions.ts';

/**
 * The versions a preprocessing cache entry depends on: distances and the PE kind
 * it holds. Featurisers are not among them: their output (node and edge
 * categories) is not cached but recomputed from SMILES on every load, and a
 * featuriser change that moves an edge changes the structure hash anyway.
 */
export function cacheVersions(peKind: 'rwse' | 'lappe', v: Readonly<PreVersions> = PRE_VERSIONS): Record<string, number> {
  return { spd: v.spd, [peKind]: v[peKind] };
}

/** The versions as env.json records them: flat keys `preprocess_<algorithm>`. */
export function versionsEnv(v: Readonly<PreVersions> = PRE_VERSIONS): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) out[`preprocess_${k}`] = n;
  return out;
}
