/**
 * The props of the panel UI kit's components, and the kit object a panel receives as `props.ui`.
 * Kept free of DOM types so the host build (no DOM lib) can name them in `PanelProps`.
 */
import type { ComponentType, ReactNode } from 'react';

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

/** Everything the kit offers a panel, as handed to third-party panels in `props.ui`. @since 0.2.0 */
export interface PanelKit {
  ConfirmDialog: ComponentType<ConfirmDialogProps>;
  Chart: ComponentType<ChartProps>;
  StatusBadge: ComponentType<StatusBadgeProps>;
  EmptyState: ComponentType<EmptyStateProps>;
  StatCard: ComponentType<StatCardProps>;
  KeyHints: ComponentType<KeyHintsProps>;
}
