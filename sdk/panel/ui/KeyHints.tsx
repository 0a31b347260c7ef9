// The keys a panel answers to, written as the operator would press them: <kbd>j</kbd>/<kbd>k</kbd> move, ...
import { Fragment } from 'react';
import type { KeyHintsProps } from '../kit-types.js';

export function KeyHints({ hints, lead, testId }: KeyHintsProps) {
  return (
    <div className="reef-ui-keyhints" data-testid={testId}>
      {lead && <>{lead} </>}
      {hints.map((hint, i) => (
        <Fragment key={hint.label}>
          {hint.keys.map((key, k) => (
            <Fragment key={key}>
              {k > 0 && '/'}
              <kbd>{key}</kbd>
            </Fragment>
          ))}{' '}
          {hint.label}
          {i < hints.length - 1 ? ', ' : '.'}
        </Fragment>
      ))}
    </div>
  );
}
