/** One database interface with two backends (SQLite for the single box, PostgreSQL for the factory). */
import type { Row, SqlExecutor } from '../../sdk/index.js';

export interface TxExecutor extends SqlExecutor {
  /** Runs a script of several statements without parameters (migrations). */
  script(sql: string): Promise<void>;
}

/** LISTEN/NOTIFY (PostgreSQL only): wake other hosts without polling. */
export interface Notifications {
  listen(channel: string, onNotify: (payload: string) => void): Promise<{ dispose(): Promise<void> }>;
  notify(channel: string, payload: string): Promise<void>;
  /** Called when the listening connection came back: notifications sent meanwhile were lost. */
  onReconnect(fn: () => void): () => void;
}

export interface Database extends TxExecutor {
  /** Present on PostgreSQL. */
  readonly notifications?: Notifications;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: TxExecutor) => Promise<T>): Promise<T>;
  /** Serialises racing migrators (an advisory lock on PostgreSQL; BEGIN IMMEDIATE on SQLite). */
  exclusiveTransaction<T>(fn: (tx: TxExecutor) => Promise<T>): Promise<T>;
  /** A short description for logs and `/healthz`, without credentials. */
  readonly description: string;
  close(): Promise<void>;
}

export type { Row };

export type Durability = 'normal' | 'full';
