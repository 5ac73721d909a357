/** A copy of a record with its keys in sorted order, so output built from it is deterministic. */
export function sortKeys<T>(r: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((k) => [k, r[k]!]),
  );
}
