/**
 * The memory's tools for agents over MCP (`ctx.tools`): remember, recall, and look up what is
 * known about a thing. The subjects are the HTTP API's, so an agent writes and reads only its own
 * memories here as there.
 */
import type { PluginContext } from '../../../sdk/index.js';
import { EntityGetSchema, SearchSchema, WriteSchema } from './schemas.js';

/** A write or search may wait for an embedding (a model load, the first time), as the HTTP routes do. */
const EMBEDDING_MS = 120_000;

export function registerMemoryTools(ctx: PluginContext): void {
  const both = ['operator', 'agent'] as const;
  ctx.tools.register({
    name: 'write_memory',
    title: 'Remember',
    description:
      'Save something worth remembering across runs, as one short self-contained statement in `text` (a fact, a preference, a decision, what worked or failed): ' +
      'written so that you, or another run, can use it later without the conversation around it. ' +
      '`kind` says what it is (default fact; e.g. preference, decision, lesson), `product` and `tags` scope it. ' +
      'For a fact that changes over time (a deploy target, a user\'s timezone, the current owner of something) give a stable `key` (e.g. "deploy-target"): ' +
      'a later memory with the same key replaces this one, so searches find only the current value (the old one stays as history). ' +
      'Name the things it is about in `entities` ([{name, type}], e.g. {name: "Acme", type: "company"}) and how they relate in `relations` ' +
      '([{from, rel, to}], e.g. {from: "Ada", rel: "works_at", to: "Acme", exclusive: true}: exclusive means one at a time, so a new one replaces the old): ' +
      'get_entity reads them back. Returns the stored memory with its id.',
    subject: 'reef.v1.memories.write',
    input: WriteSchema,
    fill: ['agent'],
    scopes: both,
    timeoutMs: EMBEDDING_MS,
  });
  ctx.tools.register({
    name: 'search_memories',
    title: 'Recall',
    description:
      'Search your memories for what you need now: `query` in plain words (a question or the topic), `k` results (default 10). ' +
      'Matches by meaning and by words (`mode` hybrid, the default; vector or text alone on request); narrow with `kind`, `product`, `tags`, `since`/`until` (when recorded). ' +
      'Only current memories come back (a memory replaced through its key or supersedes is left out) unless `includeSuperseded`; `asOf` reads what was true at a past time. ' +
      'Returns `{hits: [{memory, score, why}]}` best first (memory has the text, id, kind, key). Read-only.',
    subject: 'reef.v1.memories.search',
    input: SearchSchema,
    scopes: both,
    readOnly: true,
    timeoutMs: EMBEDDING_MS,
  });
  ctx.tools.register({
    name: 'get_entity',
    title: 'What is known about a thing',
    description:
      'Look up an entity (a person, company, service, anything named in a memory\'s entities) by `name` (and `type` when names clash): ' +
      'returns `{entity, relations, neighbours}`: its relations to other entities and the entities out to `depth` hops (default 1, at most 4), current unless `asOf` names a past time. Entities are shared by the fleet. Read-only.',
    subject: 'reef.v1.entities.get',
    input: EntityGetSchema,
    scopes: both,
    readOnly: true,
  });
}
