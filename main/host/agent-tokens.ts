/**
 * Agent tokens: made by `reef token create --scope agent --name NAME`, shown once, stored as
 * a SHA-256 hash in the database (so every host on a shared PostgreSQL knows them).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ReefError, describeIssues, type Caller } from '../../sdk/index.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrations.js';
import { HOST_MIGRATIONS } from './host-tables.js';


export const TokenNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 of letters, digits, ".", "_", "-", starting with a letter or digit');

export interface TokenInfo {
  name: string;
  scope: 'agent';
  createdAt: string;
  revokedAt?: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export class AgentTokens {
  /** Positive lookups are kept briefly so a busy agent does not cost a query per request. */
  private readonly cache = new Map<string, { caller: Caller | undefined; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
    private readonly cacheMs = 5000,
  ) {}

  async init(): Promise<void> {
    await migrate(this.db, 'host', HOST_MIGRATIONS, this.now);
  }

  async create(name: string): Promise<{ token: string; info: TokenInfo }> {
    const parsed = TokenNameSchema.safeParse(name);
    if (!parsed.success) throw new ReefError('invalid_request', `--name: ${describeIssues(parsed.error.issues).replace(/^\(root\): /, '')}`);
    const existing = await this.db.query('SELECT name FROM reef_tokens WHERE name = ?', [name]);
    if (existing[0]) throw new ReefError('conflict', `a token named "${name}" exists already; revoke it first or pick another name`);
    const token = `reef_ag_${randomBytes(24).toString('base64url')}`;
    const at = this.now();
    await this.db.execute('INSERT INTO reef_tokens (name, scope, hash, created_at) VALUES (?, ?, ?, ?)', [name, 'agent', hash(token), at]);
    return { token, info: { name, scope: 'agent', createdAt: new Date(at).toISOString() } };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.db.query('SELECT name, scope, created_at, revoked_at FROM reef_tokens ORDER BY name');
    return rows.map((r) => {
      const info: TokenInfo = { name: String(r.name), scope: 'agent', createdAt: new Date(Number(r.created_at)).toISOString() };
      if (r.revoked_at !== null && r.revoked_at !== undefined) info.revokedAt = new Date(Number(r.revoked_at)).toISOString();
      return info;
    });
  }

  async revoke(name: string): Promise<void> {
    const { changes } = await this.db.execute('UPDATE reef_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL', [this.now(), name]);
    if (changes === 0) throw new ReefError('not_found', `no active token named "${name}"`);
    this.cache.clear();
  }

  /** The caller a presented token stands for, or undefined when it is unknown or revoked. */
  async verify(token: string): Promise<Caller | undefined> {
    if (!token.startsWith('reef_ag_')) return undefined;
    const key = hash(token);
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.caller;
    const rows = await this.db.query('SELECT name FROM reef_tokens WHERE hash = ? AND revoked_at IS NULL', [key]);
    const caller: Caller | undefined = rows[0] ? { kind: 'agent', id: String(rows[0].name) } : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { caller, until: Date.now() + this.cacheMs });
    return caller;
  }
}
