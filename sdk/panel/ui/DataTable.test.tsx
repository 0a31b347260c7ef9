// The kit's DataTable: loads on first render, moves with j/k, opens with Enter or a click, selects with x, asks for the next page by cursor, hides columns.
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DataTableColumn } from '../kit-types.js';
import { DataTable } from './DataTable.js';

interface Job {
  id: string;
  name: string;
  owner: string;
}

const jobs: Job[] = Array.from({ length: 5 }, (_, i) => ({ id: `j${i}`, name: `job ${i}`, owner: i % 2 ? 'ana' : 'bo' }));
const columns: DataTableColumn<Job>[] = [
  { id: 'name', header: 'Name', value: (j) => j.name },
  { id: 'owner', header: 'Owner', cell: (j) => <em>{j.owner}</em> },
];

function Harness({ onOpen, onLoadMore, cursor, hidden }: { onOpen?(id: string): void; onLoadMore?(cursor: string): void; cursor?: string; hidden?: string[] }) {
  const [active, setActive] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) => setSelected((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));
  return (
    <DataTable<Job>
      testId="jobs"
      label="Jobs"
      rows={jobs}
      rowId={(j) => j.id}
      columns={columns}
      hiddenColumns={hidden}
      activeId={active}
      onActiveChange={setActive}
      onOpen={onOpen}
      selectedIds={selected}
      onToggleSelected={toggle}
      cursor={cursor}
      onLoadMore={onLoadMore}
    />
  );
}

afterEach(cleanup);

describe('DataTable', () => {
  it('renders every row with its cells once its code has loaded', async () => {
    render(<Harness />);
    await waitFor(() => expect(screen.getByTestId('jobs').getAttribute('data-rows')).toBe('5'));
    expect(screen.getByTestId('jobs-row-j3').textContent).toBe('job 3ana');
    expect(screen.getByTestId('jobs-row-j3').querySelector('em')?.textContent).toBe('ana');
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Name', 'Owner']);
  });

  it('j/k move the active row, Enter opens it, x toggles its selection', async () => {
    const onOpen = vi.fn();
    render(<Harness onOpen={onOpen} />);
    const scroll = await screen.findByTestId('jobs-scroll');
    fireEvent.keyDown(scroll, { key: 'j' });
    fireEvent.keyDown(scroll, { key: 'j' });
    fireEvent.keyDown(scroll, { key: 'ArrowDown' });
    fireEvent.keyDown(scroll, { key: 'k' });
    expect(screen.getByTestId('jobs-row-j1').getAttribute('data-active')).toBe('true');
    expect(scroll.getAttribute('aria-activedescendant')).toBe('jobs-row-j1');
    fireEvent.keyDown(scroll, { key: 'Enter' });
    expect(onOpen).toHaveBeenCalledWith('j1');

    fireEvent.keyDown(scroll, { key: 'x' });
    fireEvent.keyDown(scroll, { key: 'j' });
    fireEvent.keyDown(scroll, { key: 'x' });
    expect(screen.getByTestId('jobs').getAttribute('data-selected')).toBe('2');
    expect(screen.getByTestId('jobs-row-j1').getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(scroll, { key: 'x' });
    expect(screen.getByTestId('jobs-row-j2').getAttribute('aria-selected')).toBe('false');
    expect(screen.getByTestId('jobs').getAttribute('data-selected')).toBe('1');

    fireEvent.click(screen.getByTestId('jobs-row-j4'));
    expect(onOpen).toHaveBeenLastCalledWith('j4');
  });

  it('asks for the next page with its cursor when the last rows are in view, and not without a cursor', async () => {
    const onLoadMore = vi.fn();
    const { rerender } = render(<Harness onLoadMore={onLoadMore} cursor="c-5" />);
    await waitFor(() => expect(onLoadMore).toHaveBeenCalledWith('c-5'));
    expect(screen.getByTestId('jobs-more').textContent).toBe('Scroll for more');
    onLoadMore.mockClear();
    rerender(<Harness onLoadMore={onLoadMore} />);
    await waitFor(() => expect(screen.queryByTestId('jobs-more')).toBeNull());
    expect(onLoadMore).not.toHaveBeenCalled();
  });

  it('leaves hidden columns out of the header and the rows', async () => {
    render(<Harness hidden={['owner']} />);
    await waitFor(() => expect(screen.getByTestId('jobs-row-j0').textContent).toBe('job 0'));
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Name']);
  });
});
