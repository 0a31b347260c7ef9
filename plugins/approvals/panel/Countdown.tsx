// Live times: what is left before a request expires (or a grant ends), and how long one has waited.
import { countdown, formatAge } from './format.js';
import { useSecond } from './ticker.js';

export function Countdown({ to, testId, prefix = '' }: { to: string; testId?: string; prefix?: string }) {
  const now = useSecond();
  const c = countdown(to, now);
  return (
    <span className={`apv-countdown apv-countdown--${c.tone}`} data-testid={testId} data-tone={c.tone} title={`until ${new Date(to).toLocaleString([], { hour12: false })}`}>
      {c.overdue ? c.text : `${prefix}${c.text}`}
    </span>
  );
}

export function Age({ from }: { from: string }) {
  const now = useSecond();
  return (
    <span className="apv-age" title={`since ${new Date(from).toLocaleString([], { hour12: false })}`}>
      {formatAge(from, now)}
    </span>
  );
}
