import { distance } from "fastest-levenshtein";

/**
 * The closest candidate to a misspelt word, or undefined when nothing is close enough to be a
 * useful guess. Ties resolve to the alphabetically first candidate so messages are stable.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of [...candidates].sort()) {
    const d = candidate.startsWith(word) || word.startsWith(candidate) ? 1 : distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
