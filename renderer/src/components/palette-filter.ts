// How the palette matches what was typed: every word must appear; titles that start with it rank first.
/** cmdk `filter`: `keywords[0]` is the item's title by convention of CommandPalette. */
export function paletteScore(value: string, search: string, keywords?: string[]): number {
  const query = search.trim().toLowerCase();
  if (query === '') return 1;
  const title = (keywords?.[0] ?? value).toLowerCase();
  const haystack = [value, ...(keywords ?? [])].join(' ').toLowerCase();
  const terms = query.split(/\s+/);
  if (!terms.every((t) => haystack.includes(t))) return 0;
  if (title.startsWith(query)) return 1;
  const first = terms[0] ?? query;
  if (title.split(/[\s./:-]+/).some((word) => word.startsWith(first))) return 0.8;
  if (title.includes(query)) return 0.6;
  return 0.3;
}
