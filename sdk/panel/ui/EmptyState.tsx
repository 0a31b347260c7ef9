// Where a panel has nothing to show yet: a title that says so, then what to do about it.
import type { EmptyStateProps } from '../kit-types.js';

export function EmptyState({ title, children, variant = 'plain', testId }: EmptyStateProps) {
  return (
    <section className={`reef-ui-empty reef-ui-empty--${variant}`} data-testid={testId}>
      <h3 className="reef-ui-empty__title">{title}</h3>
      {children}
    </section>
  );
}
