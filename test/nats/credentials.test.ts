/**
 * Logging in to NATS with real credentials: a user and password, a token and an NKey seed file
 * reach a nats-server that requires them; a refused login stops the start with a message that
 * names the login and never the secret.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus, type NatsCredentials } from '../../main/bus/nats-bus.js';
import { refused } from '../harness/refusal.js';
import { startReef } from '../harness/reef-process.js';
import { natsOrSkip, startNats, type RunningNats } from '../harness/nats.js';
import { tempDir, type TempDir } from '../harness/tmp.js';

describe.runIf(natsOrSkip('NATS credentials'))('NATS credentials', () => {
  const agent = createUser();
  const seed = new TextDecoder().decode(agent.getSeed());
  let users: RunningNats;
  let tokenServer: RunningNats;
  let dir: TempDir;
  let seedFile: string;

  beforeAll(async () => {
    dir = tempDir('reef-nats-creds-');
    seedFile = path.join(dir.path, 'agent.nk');
    writeFileSync(seedFile, `${seed}\n`, { mode: 0o600 });
    [users, tokenServer] = await Promise.all([
      startNats({ extraConfig: `authorization { users: [ { user: "reef-host", password: "pw-right" }, { nkey: "${agent.getPublicKey()}" } ] }` }),
      startNats({ extraConfig: 'authorization { token: "tk-right" }' }),
    ]);
  }, 30_000);
  afterAll(async () => {
    await users?.stop();
    await tokenServer?.stop();
    dir?.remove();
  });

  const reaches = async (url: string, credentials?: NatsCredentials) => {
    const bus = await connectNatsBus(url, { credentials, drainTimeoutMs: 200 });
    try {
      await bus.serve('reef.v1.ping', () => 'pong');
      return await bus.request('reef.v1.ping', {});
    } finally {
      await bus.close();
    }
  };

  it('logs in with a user and password, a token, or an NKey seed file', async () => {
    expect(await reaches(users.url, { kind: 'user', user: 'reef-host', pass: 'pw-right' })).toBe('pong');
    expect(await reaches(users.wsUrl, { kind: 'user', user: 'reef-host', pass: 'pw-right' })).toBe('pong');
    expect(await reaches(users.url, { kind: 'nkey', seedFile })).toBe('pong');
    expect(await reaches(tokenServer.url, { kind: 'token', token: 'tk-right' })).toBe('pong');
  });

  it('a refused login is `unauthorized`, naming the login and how to give another, never the secret', async () => {
    const wrong = await refused(connectNatsBus(users.url, { credentials: { kind: 'user', user: 'reef-host', pass: 'pw-wrong' } }));
    expect(wrong.code).toBe('unauthorized');
    expect(wrong.message).toMatch(/refused user reef-host .*--nats-user/);
    expect(wrong.message).not.toContain('pw-wrong');
    expect((await refused(connectNatsBus(users.url))).message).toMatch(/refused anonymous/);
    const token = await refused(connectNatsBus(tokenServer.url, { credentials: { kind: 'token', token: 'tk-wrong' } }));
    expect(token.message).toMatch(/refused a token/);
    expect(token.message).not.toContain('tk-wrong');
  });

  it('`reef serve --nats` logs in from the environment, and a wrong password stops it without printing the password', async () => {
    const host = await startReef({ args: ['--nats', users.url], env: { REEF_NATS_USER: 'reef-host', REEF_NATS_PASS: 'pw-right' } });
    await host.stop();
    const failed = await startReef({ args: ['--nats', users.url], env: { REEF_NATS_USER: 'reef-host', REEF_NATS_PASS: 'pw-typo' } }).then(
      () => 'started',
      (err: unknown) => String(err),
    );
    expect(failed).toMatch(/NATS at .* refused user reef-host/);
    expect(failed).not.toContain('pw-typo');
  }, 60_000);
});
