/**
 * While the panel is open: a watch lease renewed every `renewEveryMs` (so the host samples), the
 * live telemetry event, and the host's series once. On close the lease is given back at once
 * (unwatch); a window that vanishes without closing lets it run out instead.
 */
import { useEffect } from 'react';
import type { GpuClient } from './gpu-client.js';
import type { GpuStore } from './gpu-store.js';

/** After a failed watch, try again this soon (the lease's id is kept: renewing re-takes it). */
const RETRY_MS = 2000;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function useTelemetry(client: GpuClient, store: GpuStore): void {
  useEffect(() => {
    let closed = false;
    let leaseId: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const unsubscribe = client.onTelemetry((event) => store.getState().applyEvent(event));

    const renew = () => {
      timer = undefined;
      client.watch(leaseId).then(
        (lease) => {
          if (closed) {
            // Closed while the lease was on its way: give it back rather than let it run out.
            void client.unwatch(lease.leaseId).catch(() => undefined);
            return;
          }
          leaseId = lease.leaseId;
          store.getState().setLease(lease.leaseId);
          timer = setTimeout(renew, Math.max(500, lease.renewEveryMs));
        },
        (err: unknown) => {
          if (closed) return;
          store.getState().fail(`Live updates paused: ${messageOf(err)}`);
          timer = setTimeout(renew, RETRY_MS);
        },
      );
    };
    renew();

    client.telemetry().then(
      (reply) => {
        if (!closed) store.getState().applyReply(reply);
      },
      (err: unknown) => {
        if (!closed) store.getState().fail(messageOf(err));
      },
    );

    return () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
      if (leaseId !== undefined) void client.unwatch(leaseId).catch(() => undefined);
      store.getState().setLease(null);
    };
  }, [client, store]);
}
