/** Approvals for the panel's tests: ids sort by creation, as the host's do. */
import type { Approval } from './types.js';

let seq = 0;

export function makeApproval(patch: Partial<Approval> = {}): Approval {
  seq++;
  const at = new Date(Date.UTC(2025, 0, 1, 11, 0, seq)).toISOString();
  return {
    id: `ap_${String(seq).padStart(6, '0')}`,
    kind: 'spend',
    title: `Buy thing ${seq}`,
    summary: 'a summary',
    agent: 'forge',
    product: 'acme',
    amountUsd: 12,
    risk: 'low',
    status: 'pending',
    responses: ['approve', 'reject'],
    expiresAt: new Date(Date.UTC(2025, 0, 1, 12, 30, seq)).toISOString(),
    onExpiry: 'reject',
    blocks: [],
    createdAt: at,
    updatedAt: at,
    ...patch,
  };
}

export { fakePanelApi as fakeApi } from '../../../sdk/testing.js';
