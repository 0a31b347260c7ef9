/**
 * The props of the panel UI kit's components, and the kit object a panel receives as `props.ui`.
 * Kept free of DOM types so the host build (no DOM lib) can name them in `PanelProps`.
 */
import type { ComponentType, ReactElement, ReactNode } from 'react';

/** Extra `data-*` attributes for tests and styling, e.g. `{ action: 'pause' }` → `data-action="pause"`. @since 0.2.0 */
export type DataAttributes = Record<string, string | number | boolean | undefined>;

/** @since 0.2.0 */
export interface ConfirmDialogProps {
  /** The dialog's `data-testid`; its buttons are `<testId>-ok` and `<testId>-cancel`, the count `<testId>-count`. */
  testId: string;
  title: string;
  /** How many things the action touches, stated in the dialog; `undefined` while it is being counted. 0 disables the action. */
  count: number | undefined;
  /** What is counted, singular; the plural adds an "s" unless `nounPlural` says otherwise. */
  noun: string;
  nounPlural?: string;
  /** What the action does, in words. */
  children?: ReactNode;
  /** The confirm button's text (`Working…` while `busy`). */
  confirmLabel: string;
  /** `danger` for actions that stop or remove things (the default), `primary` for the rest. */
  tone?: 'danger' | 'primary';
  /** The action is running: the confirm button is disabled. */
  busy?: boolean;
  /** Why the last attempt failed; the dialog stays open. */
  error?: string | null | undefined;
  onConfirm(): void;
  onCancel(): void;
  data?: DataAttributes;
}

/** One line of a chart. @since 0.2.0 */
export interface ChartSeries {
  label: string;
  /** One value per time; `null` leaves a gap. */
  values: (number | null)[];
  /** A CSS colour or `var(--name)`; defaults to the theme's `--reef-chart-<n>` for the series' place. */
  color?: string;
  /** Fill under the line: a CSS colour or `var(--name)` (e.g. `var(--reef-accent-soft)`). */
  fill?: string;
  /** The legend's text for the latest value; defaults to the number as is. */
  format?(value: number): string;
}

/** @since 0.2.0 */
export interface ChartProps {
  testId: string;
  /** Epoch milliseconds, ascending, one per value of every series. Append to live-update: the chart keeps its canvas and redraws. */
  times: number[];
  series: ChartSeries[];
  height: number;
  /** The time axis spans this many seconds ending at the newest point. */
  windowSeconds: number;
  /** Shown instead of an empty plot when there is no point yet; without it an empty plot is drawn. */
  empty?: string;
}

/** What a badge's colour says. @since 0.2.0 */
export type Tone = 'neutral' | 'accent' | 'ok' | 'info' | 'warn' | 'error';

/** A state as a small pill: a glyph and a word, never colour alone. @since 0.2.0 */
export interface StatusBadgeProps {
  tone: Tone;
  /** Shown before the text and hidden from screen readers (the text says it). */
  glyph?: string;
  children: ReactNode;
  /** Heavier weight, for states that need a look (dead, expired). */
  emphasis?: boolean;
  testId?: string;
  data?: DataAttributes;
}

/** What a panel shows where it has nothing yet: what that means and what to do about it. @since 0.2.0 */
export interface EmptyStateProps {
  title: ReactNode;
  /** Explanations, an example, a button. */
  children?: ReactNode;
  /** `card` draws a dashed frame (the whole panel is empty); `plain` sits inside a card or table. */
  variant?: 'card' | 'plain';
  testId?: string;
}

/** One figure with its label, e.g. requests per second. @since 0.2.0 */
export interface StatCardProps {
  label: ReactNode;
  value: ReactNode;
  /** Colours the value (e.g. `error` when errors are above zero). */
  tone?: Tone;
  /** After the value: a unit, a total, a badge. */
  children?: ReactNode;
  testId?: string;
}

/** One keyboard hint: the keys (each in its own <kbd>, joined by "/") and what they do. @since 0.2.0 */
export interface KeyHint {
  keys: string[];
  label: string;
}

/** @since 0.2.0 */
export interface KeyHintsProps {
  hints: KeyHint[];
  /** Words before the hints, e.g. "Live from the queue." */
  lead?: ReactNode;
  testId?: string;
}

/** One view in a `Tabs` bar. @since 0.2.0 */
export interface TabItem<Id extends string = string> {
  id: Id;
  label: string;
  /** A count beside the label (pending, open); shown when above 0. */
  count?: number | undefined;
}

/** @since 0.2.0 */
export interface TabsProps<Id extends string = string> {
  /** The bar's accessible name, e.g. "Approvals views". */
  label: string;
  /** The views in order; their ids are of the type `active` has (inferred from it alone). */
  tabs: ReadonlyArray<TabItem<NoInfer<Id>>>;
  active: Id;
  /** A click, or the arrow keys, Home and End on the focused bar. */
  onChange(id: NoInfer<Id>): void;
  /** The bar's `data-testid`; each tab is `<testId>-<id>`, its count `<testId>-<id>-count`. */
  testId?: string;
}

/** One column of a `DataTable`: what its cells show and how wide it is. Rows have a fixed height, so cells never wrap. @since 0.2.0 */
export interface DataTableColumn<Row> {
  /** Unique within the table; also the cell's class `reef-ui-table__cell--<id>` and the key of `hiddenColumns`. */
  id: string;
  header: ReactNode;
  /** The cell's value; shown as text unless `cell` renders it. */
  value?(row: Row): unknown;
  /** Renders the cell; without it the cell shows `value` as text. */
  cell?(row: Row): ReactNode;
  /** Preferred width: the column's share of the spare width, in proportion to the others (default 100). */
  size?: number;
  /** Never narrower than this many pixels (default 60). */
  minSize?: number;
}

/** Load state of a table's rows: `loading` (first page, nothing to show), `ready`, `error` (no paging). @since 0.2.0 */
export type DataTableStatus = 'loading' | 'ready' | 'error';

/**
 * A virtualized table of fixed-height rows, paged by a cursor, driven by the keyboard:
 * j/k (or the arrows) move the active row, Enter (or a click) opens it, x toggles its selection.
 * @since 0.2.0
 */
export interface DataTableProps<Row> {
  /** The table's `data-testid`; its scroller is `<testId>-scroll`. */
  testId: string;
  /** The table's accessible name. */
  label: string;
  rows: readonly Row[];
  /** A stable, unique id per row: the key of selection, `activeId` and `rowTestId`. */
  rowId(row: Row): string;
  columns: DataTableColumn<Row>[];
  /** Ids of columns left out for now (e.g. while a side pane takes width). */
  hiddenColumns?: readonly string[];
  /** Pixels per row (default 32). */
  rowHeight?: number;
  /** Default `ready`: drives `data-status`, `aria-busy`, the loading line and paging. */
  status?: DataTableStatus;
  /** The row j/k move from and Enter opens; the panel owns it (controlled). */
  activeId?: string | null;
  /** j/k asked for another active row: the id one step down or up. Without it, j/k do nothing. */
  onActiveChange?(id: string): void;
  /** Enter on the active row, or a click on any row. */
  onOpen?(id: string): void;
  /** Rows marked with x; with `onToggleSelected`, the table is multi-select (`aria-selected` follows it, not the active row). */
  selectedIds?: ReadonlySet<string>;
  /** x on the active row: add it to the selection or take it out. */
  onToggleSelected?(id: string): void;
  /** Where the next page starts; `null`/`undefined` when everything is loaded. */
  cursor?: string | null;
  /** Called with `cursor` as the operator nears the last loaded row (never while `loadingMore` or not `ready`). */
  onLoadMore?(cursor: string): void;
  loadingMore?: boolean;
  /** Shown in place of rows once loaded with none. */
  empty?: ReactNode;
  /** Extra classes for a row (e.g. its state), a tooltip, its `data-*` attributes and `data-testid`. */
  rowClassName?(row: Row): string | undefined;
  rowTitle?(row: Row): string | undefined;
  rowData?(row: Row): DataAttributes;
  /** Default `<testId>-row-<id>`. */
  rowTestId?(row: Row): string;
  data?: DataAttributes;
}

/** One toggle chip of a `FilterBar`. @since 0.2.0 */
export interface FilterChip {
  value: string;
  label: ReactNode;
  /** Before the label, hidden from screen readers. */
  glyph?: string;
  /** Colour while pressed (default `accent`). */
  tone?: Tone;
}

/** A row of toggle chips: any number pressed at once. @since 0.2.0 */
export interface FilterChipGroup {
  kind: 'chips';
  /** The group's `data-testid`; each chip is `<testId>-<value>`. */
  testId: string;
  label: string;
  options: FilterChip[];
  selected: readonly string[];
  onChange(selected: string[]): void;
}

/** A choice of one value; `''` is "all". @since 0.2.0 */
export interface FilterSelect {
  kind: 'select';
  testId: string;
  label: string;
  value: string;
  /** The text of `''` (e.g. "All queues"). */
  allLabel: string;
  options: Array<{ value: string; label?: string }>;
  onChange(value: string): void;
}

/** A text field that commits when typing pauses (or at once on Enter). @since 0.2.0 */
export interface FilterText {
  kind: 'text';
  testId: string;
  label: string;
  value: string;
  placeholder?: string;
  /** Offered while typing. */
  suggestions?: readonly string[];
  /** `search` takes more width. */
  wide?: boolean;
  onChange(value: string): void;
}

/** @since 0.2.0 */
export type FilterField = FilterChipGroup | FilterSelect | FilterText;

/** Filters over a table: chip groups on the first line, then selects and text fields, a Clear button and the panel's actions. @since 0.2.0 */
export interface FilterBarProps {
  testId: string;
  fields: FilterField[];
  /** Shows Clear (`<testId>-clear`), which calls this; leave it out while nothing is filtered. */
  onClear?(): void;
  /** After the fields, pushed to the end of the line: the actions on what the filters match. */
  children?: ReactNode;
}

/** Everything the kit offers a panel, as handed to third-party panels in `props.ui`. @since 0.2.0 */
export interface PanelKit {
  ConfirmDialog: ComponentType<ConfirmDialogProps>;
  Chart: ComponentType<ChartProps>;
  StatusBadge: ComponentType<StatusBadgeProps>;
  EmptyState: ComponentType<EmptyStateProps>;
  StatCard: ComponentType<StatCardProps>;
  KeyHints: ComponentType<KeyHintsProps>;
  /** Loaded on first use: its table libraries stay out of the page until a panel renders one. */
  DataTable<Row>(props: DataTableProps<Row>): ReactElement;
  FilterBar: ComponentType<FilterBarProps>;
  /** @since 0.2.0 */
  Tabs<Id extends string>(props: TabsProps<Id>): ReactElement;
}
