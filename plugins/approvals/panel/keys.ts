/**
 * The inbox's keys as a pure function: a key press becomes one command, or nothing (the key is
 * left to the page). The panel applies commands; this file holds no state, so it is tested alone.
 */
import type { KeyHint } from '../../../sdk/panel/index.js';
import type { Approval, Decision } from './types.js';

export type InboxCommand =
  | { type: 'move'; delta: 1 | -1 }
  | { type: 'approve' }
  /** Opens the inline prompt: a comment (reject), an answer (respond), the editor (edit), the grant choice. */
  | { type: 'prompt'; prompt: 'reject' | 'respond' | 'edit' | 'grant' }
  | { type: 'toggle' }
  /** On the selection when there is one, else on everything the filter matches. */
  | { type: 'batch'; decision: 'approve' | 'reject' }
  | { type: 'search' }
  | { type: 'help' }
  | { type: 'escape' };

export interface KeyPress {
  key: string;
  shiftKey?: boolean;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
}

/** Keys of the list (the prompt's own field answers Enter and Esc itself). */
export function inboxCommand(e: KeyPress): InboxCommand | undefined {
  if (e.altKey || e.ctrlKey || e.metaKey) return undefined;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return { type: 'move', delta: 1 };
    case 'k':
    case 'ArrowUp':
      return { type: 'move', delta: -1 };
    case 'a':
      return { type: 'approve' };
    case 'A':
      return { type: 'batch', decision: 'approve' };
    case 'r':
      return { type: 'prompt', prompt: 'reject' };
    case 'R':
      return { type: 'batch', decision: 'reject' };
    case 'e':
      return { type: 'prompt', prompt: 'edit' };
    case 't':
      return { type: 'prompt', prompt: 'respond' };
    case 'g':
      return { type: 'prompt', prompt: 'grant' };
    case 'x':
      return { type: 'toggle' };
    case '/':
      return { type: 'search' };
    case '?':
      return { type: 'help' };
    case 'Escape':
      return { type: 'escape' };
    default:
      return undefined;
  }
}

/** Whether the request allows this answer: the panel offers only those (the host refuses the rest). */
export function allows(a: Pick<Approval, 'responses' | 'status'> | undefined, decision: Decision): boolean {
  return a !== undefined && a.status === 'pending' && a.responses.includes(decision);
}

/** What a prompt needs from the request; undefined when it allows no such answer. */
export function promptAllowed(a: Approval | undefined, prompt: 'reject' | 'respond' | 'edit' | 'grant'): boolean {
  return allows(a, prompt === 'grant' ? 'approve' : prompt);
}

/** The keys as KeyHints shows them (`?` toggles the full list). */
export const INBOX_KEYS: KeyHint[] = [
  { keys: ['j', 'k'], label: 'move' },
  { keys: ['a'], label: 'approve' },
  { keys: ['r'], label: 'reject with a comment' },
  { keys: ['e'], label: 'edit, then approve' },
  { keys: ['t'], label: 'answer in text' },
  { keys: ['g'], label: 'approve and allow for a while' },
  { keys: ['x'], label: 'select' },
  { keys: ['A'], label: 'approve the selection (or all matching)' },
  { keys: ['R'], label: 'reject the selection (or all matching)' },
  { keys: ['/'], label: 'search' },
  { keys: ['Esc'], label: 'cancel, clear the selection' },
  { keys: ['?'], label: 'these keys' },
];

export const SHORT_KEYS: KeyHint[] = [
  { keys: ['j', 'k'], label: 'move' },
  { keys: ['a'], label: 'approve' },
  { keys: ['r'], label: 'reject' },
  { keys: ['x'], label: 'select' },
  { keys: ['?'], label: 'all keys' },
];
