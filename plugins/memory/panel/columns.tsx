// The results table's columns: the text, where it applies, the fused score, why it matched (with
// the vector similarity and text rank), when it was recorded.
import type { DataTableColumn } from '../../../sdk/panel/index.js';
import { StatusBadge } from '../../../sdk/panel/index.js';
import { formatScore, formatSimilarity, formatTime, oneLine, WHY_GLYPH, WHY_LABEL, WHY_TONE, whyTitle } from './format.js';
import type { SearchRow } from './search-store.js';

/** Columns that mean nothing without a query (the newest-first list). */
export const SEARCH_ONLY = ['score', 'why', 'vector', 'textRank'];
/** Left out while the detail pane takes width. */
export const HIDDEN_WITH_DETAIL = ['product', 'vector', 'textRank', 'recorded'];

export const memoryColumns: DataTableColumn<SearchRow>[] = [
  {
    id: 'text',
    header: 'Memory',
    size: 420,
    minSize: 200,
    value: (r) => r.memory.text,
    cell: (r) => (
      <span className="mem-cell-text" title={r.memory.text}>
        {r.memory.pinned && (
          <span className="mem-pin" aria-label="pinned" title="pinned">
            📌{' '}
          </span>
        )}
        <span className={r.memory.supersededBy ? 'mem-struck' : ''}>{oneLine(r.memory.text)}</span>
      </span>
    ),
  },
  { id: 'agent', header: 'Agent', size: 90, value: (r) => r.memory.agent },
  { id: 'product', header: 'Product', size: 90, value: (r) => r.memory.product ?? '–' },
  { id: 'kind', header: 'Kind', size: 70, value: (r) => r.memory.kind },
  {
    id: 'score',
    header: 'Score',
    size: 60,
    value: (r) => r.hit?.score,
    cell: (r) => (
      <span className="mem-num" data-testid={`memory-score-${r.id}`}>
        {formatScore(r.hit?.score)}
      </span>
    ),
  },
  {
    id: 'why',
    header: 'Why',
    size: 70,
    minSize: 74,
    value: (r) => r.hit?.why,
    cell: (r) =>
      r.hit ? (
        <span title={whyTitle(r.hit)}>
          <StatusBadge tone={WHY_TONE[r.hit.why]} glyph={WHY_GLYPH[r.hit.why]} testId={`memory-why-${r.id}`} data={{ why: r.hit.why }}>
            {WHY_LABEL[r.hit.why]}
          </StatusBadge>
        </span>
      ) : null,
  },
  {
    id: 'vector',
    header: 'Similarity',
    size: 70,
    value: (r) => r.hit?.vectorScore,
    cell: (r) => (
      <span className="mem-num" data-testid={`memory-vector-${r.id}`} title={r.hit?.vectorRank !== undefined ? `vector rank ${r.hit.vectorRank}` : 'not among the vector matches'}>
        {formatSimilarity(r.hit?.vectorScore)}
      </span>
    ),
  },
  {
    id: 'textRank',
    header: 'Text rank',
    size: 60,
    value: (r) => r.hit?.textRank,
    cell: (r) => (
      <span className="mem-num" data-testid={`memory-text-rank-${r.id}`} title={r.hit?.textScore !== undefined ? `text score ${formatScore(r.hit.textScore)}` : 'not among the text matches'}>
        {r.hit?.textRank !== undefined ? `#${r.hit.textRank}` : '–'}
      </span>
    ),
  },
  { id: 'recorded', header: 'Recorded', size: 100, minSize: 110, value: (r) => formatTime(r.memory.recordedAt) },
];
