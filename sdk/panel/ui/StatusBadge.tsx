// A state as a pill coloured by tone, with a glyph so it never relies on colour alone.
import type { StatusBadgeProps } from '../kit-types.js';
import { dataAttributes } from './data-attributes.js';

export function StatusBadge({ tone, glyph, children, emphasis = false, testId, data }: StatusBadgeProps) {
  return (
    <span className={`reef-ui-badge reef-ui-badge--${tone}${emphasis ? ' reef-ui-badge--emphasis' : ''}`} data-testid={testId} data-tone={tone} {...dataAttributes(data)}>
      {glyph && <span aria-hidden="true">{glyph}</span>}
      {glyph && ' '}
      {children}
    </span>
  );
}
