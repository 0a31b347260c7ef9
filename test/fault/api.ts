/** A tiny HTTP client for the agent API, for the fault tests (what any language would do). */
import type { Task } from '../../plugins/queue/host/schemas.js';

export class AgentApi {
  constructor(
    readonly origin: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as T };
  }

  async enqueueMany(tasks: unknown[], batch = 1000): Promise<Task[]> {
    const out: Task[] = [];
    for (let i = 0; i < tasks.length; i += batch) {
      const res = await this.call<{ tasks: Task[] }>('POST', '/v1/tasks/batch', { tasks: tasks.slice(i, i + batch) });
      if (res.status !== 200) throw new Error(`batch enqueue answered ${res.status}: ${JSON.stringify(res.json)}`);
      out.push(...res.json.tasks);
    }
    return out;
  }

  /** Every task of a queue (optionally in one state), page by page. */
  async allTasks(queue: string, state?: string): Promise<Task[]> {
    const out: Task[] = [];
    let cursor: string | undefined;
    do {
      const res = await this.call<{ tasks: Task[]; nextCursor?: string }>('GET', `/v1/tasks?queue=${queue}${state ? `&state=${state}` : ''}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...res.json.tasks);
      cursor = res.json.nextCursor;
    } while (cursor);
    return out;
  }
}
