/**
 * Unknown keys in an options object are errors. TypeScript catches a misspelt option
 * in an object literal, but JavaScript callers, JSON configurations and spreads do
 * not: `{ weight_decay: 1e-5 }` for `weightDecay`, or `num_layer: 12`, would be
 * dropped without a word and the default used. No Node imports (browser path).
 */
export function checkKeys(where: string, opts: object | null | undefined, accepted: readonly string[]): void {
  if (opts === null || opts === undefined) return;
  const unknown = Object.keys(opts).filter((k) => !accepted.includes(k));
  if (unknown.length === 0) return;
  const named = unknown.map((k) => {
    const near = nearest(k, accepted);
    return `${JSON.stringify(k)}${near ? ` (did you mean ${near}?)` : ''}`;
  });
  throw new Error(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; accepted: ${accepted.join(', ')}`);
}

/**
 * The accepted key a misspelling most likely meant: the same letters but for case,
 * `_` and `-`, or a few edits away (one per three letters, at most two).
 */
function nearest(key: string, accepted: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: string | undefined, bestD = Math.min(2, Math.floor(squash(key).length / 3)) + 1;
  for (const a of accepted) {
    const d = editDistance(squash(key), squash(a));
    if (d < bestD) { best = a; bestD = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
