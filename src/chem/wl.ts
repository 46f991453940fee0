/**
 * Weisfeiler-Lehman colour-refinement hash of a small labelled graph, for tests
 * and reports that compare two featurisations of a molecule up to a
 * renumbering of its atoms (different canonical atom orders).
 * Equal graphs always hash equal; unequal graphs almost always differ.
 */

/** Hash of atoms `labels[i]` and undirected bonds [i, j, bondLabel] (bondLabel ignored when useBondLabels is false). */
export function wlHash(labels: ArrayLike<number>, bonds: [number, number, number][], useBondLabels = true, rounds = 4): string {
  const n = labels.length;
  const nbrs: [number, number][][] = Array.from({ length: n }, () => []);
  for (const [i, j, t] of bonds) {
    const l = useBondLabels ? t : 0;
    nbrs[i].push([j, l]); nbrs[j].push([i, l]);
  }
  let colour: string[] = Array.from(labels, (l) => String(l));
  for (let r = 0; r < rounds; r++) {
    colour = colour.map((c, i) => c + '(' + nbrs[i].map(([j, l]) => l + ':' + colour[j]).sort().join(',') + ')');
    // Compress to short ids so strings stay small; ids are assigned in sorted order (order-independent).
    const uniq = [...new Set(colour)].sort();
    const id = new Map(uniq.map((c, k) => [c, 'c' + k + '_' + c.length]));
    const compressed = colour.map((c) => id.get(c)!);
    // keep the signature of all colours so far in the final hash
    colour = compressed.map((c, i) => c + '|' + hashString(colour[i]));
  }
  return [...colour].sort().join(';').length + ':' + hashString([...colour].sort().join(';'));
}

function hashString(s: string): string {
  let h1 = 0x811c9dc5, h2 = 0x12345678;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619);
    h2 = Math.imul(h2 ^ c, 2246822519) ^ (h2 >>> 13);
  }
  return (h1 >>> 0).toString(36) + (h2 >>> 0).toString(36);
}
