// The views of a panel as a tab bar: one pressed, a count beside a label where there is one, and
// the arrow keys moving between them (the WAI-ARIA tabs pattern, activation on focus).
import { useRef, type KeyboardEvent, type ReactElement } from 'react';
import type { TabsProps } from '../kit-types.js';

export function Tabs<Id extends string>({ label, tabs, active, onChange, testId }: TabsProps<Id>): ReactElement {
  const bar = useRef<HTMLDivElement>(null);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = tabs.findIndex((t) => t.id === active);
    const to =
      e.key === 'ArrowRight' ? (at + 1) % tabs.length
      : e.key === 'ArrowLeft' ? (at - 1 + tabs.length) % tabs.length
      : e.key === 'Home' ? 0
      : e.key === 'End' ? tabs.length - 1
      : -1;
    const next = tabs[to];
    if (!next) return;
    // The panel's own keys (j/k, letters) never see these.
    e.preventDefault();
    e.stopPropagation();
    onChange(next.id);
    bar.current?.querySelectorAll<HTMLButtonElement>('[role="tab"]')[to]?.focus();
  };
  return (
    <div className="reef-ui-tabs" role="tablist" aria-label={label} data-testid={testId} ref={bar} onKeyDown={onKeyDown}>
      {tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          className="reef-ui-tab"
          aria-selected={t.id === active}
          tabIndex={t.id === active ? 0 : -1}
          data-testid={testId && `${testId}-${t.id}`}
          onClick={() => onChange(t.id)}
        >
          {t.label}
          {t.count ? (
            <span className="reef-ui-tab__count" data-testid={testId && `${testId}-${t.id}-count`}>
              {t.count}
            </span>
          ) : null}
        </button>
      ))}
    </div>
  );
}
