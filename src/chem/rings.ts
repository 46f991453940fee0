/**
 * Ring membership from the bond graph: an atom is in a ring iff one of its bonds
 * lies on a cycle, i.e. is not a bridge. This equals RDKit's Atom::IsInRing()
 * (RDKit's ring set is a cycle basis, which covers every non-bridge bond) without
 * depending on how RDKit stores ring information.
 */

/** [numBonds] true where bond k lies on a cycle. Iterative Tarjan bridge finding, O(n + B). */
export function cycleBonds(numAtoms: number, begin: ArrayLike<number>, end: ArrayLike<number>): Uint8Array {
  const nb = begin.length;
  const deg = new Int32Array(numAtoms + 1);
  for (let k = 0; k < nb; k++) { deg[begin[k] + 1]++; deg[end[k] + 1]++; }
  for (let i = 0; i < numAtoms; i++) deg[i + 1] += deg[i];
  const adjAtom = new Int32Array(2 * nb), adjBond = new Int32Array(2 * nb);
  const fill = deg.slice(0, numAtoms);
  for (let k = 0; k < nb; k++) {
    adjAtom[fill[begin[k]]] = end[k]; adjBond[fill[begin[k]]++] = k;
    adjAtom[fill[end[k]]] = begin[k]; adjBond[fill[end[k]]++] = k;
  }
  const disc = new Int32Array(numAtoms).fill(-1), low = new Int32Array(numAtoms);
  const parentBond = new Int32Array(numAtoms).fill(-1), it = new Int32Array(numAtoms);
  const onCycle = new Uint8Array(nb).fill(1);
  const stack: number[] = [];
  let time = 0;
  for (let r = 0; r < numAtoms; r++) {
    if (disc[r] >= 0) continue;
    disc[r] = low[r] = time++; it[r] = deg[r]; stack.push(r);
    while (stack.length) {
      const v = stack[stack.length - 1];
      if (it[v] < deg[v + 1]) {
        const e = it[v]++;
        const w = adjAtom[e], k = adjBond[e];
        if (k === parentBond[v]) continue;
        if (disc[w] < 0) {
          disc[w] = low[w] = time++; parentBond[w] = k; it[w] = deg[w]; stack.push(w);
        } else if (disc[w] < low[v]) low[v] = disc[w];
      } else {
        stack.pop();
        if (stack.length) {
          const u = stack[stack.length - 1];
          if (low[v] < low[u]) low[u] = low[v];
          if (low[v] > disc[u]) onCycle[parentBond[v]] = 0; // bridge
        }
      }
    }
  }
  return onCycle;
}

/** [numAtoms] 1 where the atom is in a ring. */
export function ringAtoms(numAtoms: number, begin: ArrayLike<number>, end: ArrayLike<number>): Uint8Array {
  const cyc = cycleBonds(numAtoms, begin, end);
  const inRing = new Uint8Array(numAtoms);
  for (let k = 0; k < begin.length; k++) if (cyc[k]) { inRing[begin[k]] = 1; inRing[end[k]] = 1; }
  return inRing;
}
