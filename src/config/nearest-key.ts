/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment),
 * so "brokre" is one step from "broker", as an operator would see it.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known key an unknown one was most likely meant to be, or undefined when none is close:
 * within a third of the word's length (at least one edit), ignoring case. A tie between
 * candidates suggests nothing, since a coin-flip guess misleads more than it helps.
 */
export function nearestKey(unknown: string, known: readonly string[]): string | undefined {
  const word = unknown.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let tied = false;
  for (const candidate of known) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance > limit || distance > bestDistance) continue;
    tied = distance === bestDistance;
    best = candidate;
    bestDistance = distance;
  }
  return tied ? undefined : best;
}
