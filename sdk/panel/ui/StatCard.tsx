// One figure with its label, for the row of key numbers at the top of a panel.
import type { StatCardProps } from '../kit-types.js';

export function StatCard({ label, value, tone, children, testId }: StatCardProps) {
  return (
    <div className="reef-ui-stat" data-testid={testId}>
      <div className="reef-ui-stat__label">{label}</div>
      <div className={`reef-ui-stat__value${tone ? ` reef-ui-stat__value--${tone}` : ''}`}>
        {value}
        {children}
      </div>
    </div>
  );
}
