// Pause and play as inline SVG: the pause glyph is missing from common system fonts, and nothing is fetched.
export function PauseIcon() {
  return (
    <svg className="qp-icon" viewBox="0 0 10 10" width="9" height="9" aria-hidden="true">
      <rect x="1.5" y="1" width="2.4" height="8" rx="0.5" fill="currentColor" />
      <rect x="6.1" y="1" width="2.4" height="8" rx="0.5" fill="currentColor" />
    </svg>
  );
}

export function PlayIcon() {
  return (
    <svg className="qp-icon" viewBox="0 0 10 10" width="9" height="9" aria-hidden="true">
      <path d="M2 1 L9 5 L2 9 Z" fill="currentColor" />
    </svg>
  );
}
