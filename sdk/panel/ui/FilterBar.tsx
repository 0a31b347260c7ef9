// Filters over a table: toggle chips, selects and text fields given by the panel, a Clear button, and the panel's actions at the end of the line.
import { useEffect, useId, useRef, useState } from 'react';
import type { FilterBarProps, FilterChipGroup, FilterSelect, FilterText } from '../kit-types.js';

/** Text fields commit once typing pauses this long, so a list request is not sent per keystroke. */
export const FILTER_TEXT_DEBOUNCE_MS = 250;

function Chips({ field }: { field: FilterChipGroup }) {
  const toggle = (value: string) => field.onChange(field.selected.includes(value) ? field.selected.filter((x) => x !== value) : [...field.selected, value]);
  return (
    <div className="reef-ui-filters__chips" role="group" aria-label={field.label} data-testid={field.testId}>
      {field.options.map((chip) => (
        <button
          key={chip.value}
          type="button"
          className={`reef-ui-chip reef-ui-chip--${chip.tone ?? 'accent'}`}
          aria-pressed={field.selected.includes(chip.value)}
          data-testid={`${field.testId}-${chip.value}`}
          onClick={() => toggle(chip.value)}
        >
          {chip.glyph && <span aria-hidden="true">{chip.glyph} </span>}
          {chip.label}
        </button>
      ))}
    </div>
  );
}

function Select({ field }: { field: FilterSelect }) {
  return (
    <select className="reef-ui-input reef-ui-input--select" aria-label={field.label} data-testid={field.testId} value={field.value} onChange={(e) => field.onChange(e.target.value)}>
      <option value="">{field.allLabel}</option>
      {field.options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label ?? o.value}
        </option>
      ))}
    </select>
  );
}

/** A text field that commits after the operator pauses typing (or at once on Enter). */
function Text({ field }: { field: FilterText }) {
  const { value, onChange } = field;
  const [draft, setDraft] = useState(value);
  const [prevValue, setPrevValue] = useState(value);
  const listId = useId();
  // The committed value changed elsewhere (Clear): show it.
  if (value !== prevValue) {
    setPrevValue(value);
    setDraft(value);
  }
  // Re-renders (live counts) must not restart the pause.
  const commit = useRef(onChange);
  commit.current = onChange;
  useEffect(() => {
    if (draft === value) return;
    const timer = setTimeout(() => commit.current(draft), FILTER_TEXT_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [draft, value]);
  return (
    <>
      <input
        className={`reef-ui-input${field.wide ? ' reef-ui-input--wide' : ''}`}
        type="search"
        aria-label={field.label}
        data-testid={field.testId}
        placeholder={field.placeholder}
        value={draft}
        list={field.suggestions ? listId : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onChange(draft);
        }}
      />
      {field.suggestions && (
        <datalist id={listId}>
          {field.suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </>
  );
}

export function FilterBar({ testId, fields, onClear, children }: FilterBarProps) {
  const chips = fields.filter((f): f is FilterChipGroup => f.kind === 'chips');
  const inputs = fields.filter((f): f is FilterSelect | FilterText => f.kind !== 'chips');
  return (
    <div className="reef-ui-filters" role="search" data-testid={testId}>
      {chips.map((f) => (
        <Chips key={f.testId} field={f} />
      ))}
      <div className="reef-ui-filters__fields">
        {inputs.map((f) => (f.kind === 'select' ? <Select key={f.testId} field={f} /> : <Text key={f.testId} field={f} />))}
        {onClear && (
          <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid={`${testId}-clear`} onClick={onClear}>
            Clear
          </button>
        )}
        <span className="reef-ui-filters__spacer" />
        {children}
      </div>
    </div>
  );
}
