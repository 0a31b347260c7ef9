// The panel UI kit: the components every panel shares, themed by the shell's CSS variables (light and dark).
import './kit.css';
import type { PanelKit } from '../kit-types.js';
import { Chart } from './Chart.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DataTable } from './DataTable.js';
import { EmptyState } from './EmptyState.js';
import { FilterBar } from './FilterBar.js';
import { KeyHints } from './KeyHints.js';
import { StatCard } from './StatCard.js';
import { StatusBadge } from './StatusBadge.js';
import { Tabs } from './Tabs.js';

export { Chart, ConfirmDialog, DataTable, EmptyState, FilterBar, KeyHints, StatCard, StatusBadge, Tabs };

/** The whole kit as one object: what the shell hands every panel as `props.ui`. @since 0.2.0 */
export const ui: PanelKit = { ConfirmDialog, Chart, StatusBadge, EmptyState, StatCard, KeyHints, DataTable, FilterBar, Tabs };
