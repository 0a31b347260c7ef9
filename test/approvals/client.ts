/** What the approvals API tests share: a client per token and small helpers. Test-only code. */
import type { Approval } from '../../plugins/approvals/host/schemas.js';
import { AgentApi } from '../fault/api.js';

export type ErrorReply = { error: { code: string; message: string; details?: Record<string, unknown> } };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ApprovalsApi extends AgentApi {
  async request(body: Record<string, unknown>): Promise<Approval> {
    const res = await this.call<{ approval: Approval } & ErrorReply>('POST', '/v1/approvals', { kind: 'spend', title: 'Buy', agent: 'forge', ...body });
    if (res.status !== 200) throw new Error(`request answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json.approval;
  }

  async approval(id: string, waitMs = 0): Promise<Approval> {
    const res = await this.call<{ approval: Approval }>('GET', `/v1/approvals/${id}?waitMs=${waitMs}`);
    if (res.status !== 200) throw new Error(`get answered ${res.status}: ${JSON.stringify(res.json)}`);
    return res.json.approval;
  }

  decide(id: string, body: Record<string, unknown>) {
    return this.call<{ approval: Approval } & ErrorReply>('POST', `/v1/approvals/${id}/decide`, body);
  }
}
