/** The operator token: made on first run, kept in the data dir with mode 0600, compared in constant time. */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const OPERATOR_TOKEN_FILE = 'operator.token';

export function operatorTokenPath(dataDir: string): string {
  return path.join(dataDir, OPERATOR_TOKEN_FILE);
}

export function ensureOperatorToken(dataDir: string): string {
  const file = operatorTokenPath(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 32) {
      // A token readable by others is as good as public: tighten it rather than trust it.
      if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return token;
    }
  }
  const token = `reef_op_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

export function tokensEqual(given: string, expected: string): boolean {
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
