// PanelApi.request's signal: a request carries a requestId only when it can be cancelled; aborting
// rejects at once with the signal's reason and sends busCancel naming it; a late reply is dropped.
import { describe, expect, it } from 'vitest';
import type { ConnectionState, HostEvent, MethodReply, MethodRequest, ReefApi, ReefTransport } from '../../../sdk/contract.js';
import { ReefError } from '../../../sdk/errors.js';
import type { BusSubscriptions } from './bus-subscriptions.js';
import { createPanelApi } from './panel-api.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A transport whose busRequest waits until the test answers it; records every call. */
function fakeTransport() {
  const requests: Array<{ params: MethodRequest<'busRequest'>; reply: ReturnType<typeof deferred<MethodReply<'busRequest'>>> }> = [];
  const cancels: string[] = [];
  const unused = async (): Promise<never> => {
    throw new Error('unused');
  };
  const api: ReefApi = {
    hostInfo: unused,
    listPlugins: unused,
    busRequest: (params) => {
      const reply = deferred<MethodReply<'busRequest'>>();
      requests.push({ params, reply });
      return reply.promise;
    },
    busCancel: async ({ requestId }) => {
      cancels.push(requestId);
      return { cancelled: true };
    },
    busSubscribe: unused,
    busUnsubscribe: unused,
    notify: unused,
  };
  const transport: ReefTransport = {
    api,
    onEvent: (_l: (e: HostEvent) => void) => () => undefined,
    onConnection: (l: (s: ConnectionState) => void) => {
      l('open');
      return () => undefined;
    },
  };
  return { transport, requests, cancels };
}

const panelApiOver = (transport: ReefTransport) => createPanelApi('gpu', transport, {} as BusSubscriptions);

describe('PanelApi.request with a signal', () => {
  it('aborting rejects at once with an AbortError and tells the host which request to cancel', async () => {
    const { transport, requests, cancels } = fakeTransport();
    const api = panelApiOver(transport);
    const controller = new AbortController();
    const pending = api.request('reef.v1.inference.chat', { model: 'm' }, { timeoutMs: 120_000, signal: controller.signal });
    expect(requests).toHaveLength(1);
    const { requestId, ...rest } = requests[0]!.params;
    expect(rest).toEqual({ subject: 'reef.v1.inference.chat', body: { model: 'm' }, timeoutMs: 120_000 });
    expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    controller.abort();
    const err = await pending.catch((e: unknown) => e);
    // jsdom's AbortController makes its own DOMException: the name is what callers check.
    expect((err as DOMException).name).toBe('AbortError');
    expect(cancels).toEqual([requestId]);
    // The host's late answer (the cancelled request's error) changes nothing.
    requests[0]!.reply.reject({ error: { code: 'unavailable', message: 'cancelled' } });
    await new Promise((r) => setTimeout(r, 0));
  });

  it("rejects with the signal's own reason when it has one", async () => {
    const { transport } = fakeTransport();
    const controller = new AbortController();
    const pending = panelApiOver(transport).request('reef.v1.x', {}, { signal: controller.signal });
    const reason = new Error('left the page');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('each cancellable request gets its own id; one answered first is not cancelled, and its abort is ignored', async () => {
    const { transport, requests, cancels } = fakeTransport();
    const api = panelApiOver(transport);
    const first = new AbortController();
    const second = new AbortController();
    const a = api.request('reef.v1.a', {}, { signal: first.signal });
    const b = api.request('reef.v1.b', {}, { signal: second.signal });
    expect(requests[0]!.params.requestId).not.toBe(requests[1]!.params.requestId);
    requests[0]!.reply.resolve({ body: { ok: 1 } });
    await expect(a).resolves.toEqual({ ok: 1 });
    first.abort();
    requests[1]!.reply.reject({ error: { code: 'forbidden', message: 'no' } });
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReefError);
    expect((err as ReefError).code).toBe('forbidden');
    second.abort();
    expect(cancels).toEqual([]);
  });

  it('an already aborted signal sends nothing; without a signal no requestId is sent', async () => {
    const { transport, requests, cancels } = fakeTransport();
    const api = panelApiOver(transport);
    const err = await api.request('reef.v1.x', {}, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('AbortError');
    expect(requests).toEqual([]);
    expect(cancels).toEqual([]);
    const plain = api.request('reef.v1.x', { n: 1 });
    expect(requests[0]!.params).toEqual({ subject: 'reef.v1.x', body: { n: 1 } });
    requests[0]!.reply.resolve({ body: 'ok' });
    await expect(plain).resolves.toBe('ok');
  });
});
