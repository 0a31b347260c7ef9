/**
 * NATS over TLS: tls:// (TCP) and wss:// (WebSocket) to a nats-server whose certificate comes
 * from a private CA (openssl, made here). Trusted through --nats-ca, the bus serves and answers;
 * without it the connection is refused with a clear error; a control center over tls:// works.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../main/host/config.js';
import { connectNatsBus } from '../../main/bus/nats-bus.js';
import type { HostInfo } from '../../sdk/contract.js';
import { makeTestCertificates, type TestCertificates } from '../harness/certs.js';
import { natsOrSkip, startNats, type RunningNats } from '../harness/nats.js';
import { startReef } from '../harness/reef-process.js';
import { RendererSocket } from '../harness/renderer-socket.js';
import { tempDir } from '../harness/tmp.js';

describe.runIf(natsOrSkip('NATS over TLS'))('NATS over TLS', () => {
  const dir = tempDir('reef-tls-');
  let certs: TestCertificates;
  let nats: RunningNats;

  beforeAll(async () => {
    certs = makeTestCertificates(dir.path);
    nats = await startNats({ tls: { certFile: certs.certFile, keyFile: certs.keyFile } });
  }, 30_000);
  afterAll(async () => {
    await nats?.stop();
    dir.remove();
  });

  it('serves and answers over tls:// and wss:// with the CA trusted', async () => {
    expect(nats.url).toMatch(/^tls:\/\//);
    const server = await connectNatsBus(nats.url, { caFile: certs.caFile });
    const overWs = await connectNatsBus(nats.wsUrl, { caFile: certs.caFile });
    try {
      await server.serve('reef.v1.tls.echo', async (body) => ({ echoed: body }));
      await expect(server.request('reef.v1.tls.echo', { over: 'tls' })).resolves.toEqual({ echoed: { over: 'tls' } });
      await expect(overWs.request('reef.v1.tls.echo', { over: 'wss' })).resolves.toEqual({ echoed: { over: 'wss' } });
      expect(server.serverUrl()).toMatch(/^tls:\/\/127\.0\.0\.1:/);
    } finally {
      await overWs.close();
      await server.close();
    }
  });

  it('refuses a server whose certificate it cannot verify, saying so', async () => {
    await expect(connectNatsBus(nats.url)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/certificate/i) });
  });

  it('refuses a CA file that is missing or holds no certificate, before connecting', () => {
    const notPem = path.join(dir.path, 'not-a-cert.txt');
    writeFileSync(notPem, 'hello');
    const base = { dataDir: dir.path, connect: nats.url };
    expect(() => resolveConfig({ ...base, natsCa: path.join(dir.path, 'missing.pem') }, {})).toThrow(/--nats-ca.*: cannot read .*missing\.pem/);
    expect(() => resolveConfig({ ...base, natsCa: notPem }, {})).toThrow(/--nats-ca.*holds no PEM certificate/);
    expect(resolveConfig({ ...base, natsCa: certs.caFile }, {}).natsCa).toBe(certs.caFile);
  });

  it('runs a factory host and a control center over tls:// with --nats-ca', async () => {
    const factory = await startReef({ args: ['--nats', nats.url, '--nats-ca', certs.caFile] });
    try {
      const center = await startReef({ args: ['--connect', nats.url, '--nats-ca', certs.caFile], env: { REEF_CONNECT_TOKEN: factory.token } });
      try {
        const socket = await RendererSocket.open(center);
        try {
          expect(await socket.call<HostInfo>('hostInfo', {})).toMatchObject({ tier: 'control-center', link: { state: 'connected', server: nats.url } });
          // The control center enqueues on the factory and lists it back, through NATS over TLS.
          const { task } = await socket.bus<{ task: { id: string } }>('reef.v1.tasks.enqueue', { queue: 'tls', type: 'hello' });
          const { tasks } = await socket.bus<{ tasks: Array<{ id: string }> }>('reef.v1.tasks.list', { queue: 'tls' });
          expect(tasks.map((t) => t.id)).toEqual([task.id]);
        } finally {
          socket.close();
        }
      } finally {
        await center.stop();
      }
    } finally {
      await factory.stop();
    }
  }, 60_000);
});
